//! Baseline for the skeleton benchmarks: the same route as a generated Rust service on a plain
//! axum router with nothing else, so the difference measures what the skeleton adds. It listens
//! on loopback only, on PORT (default 8080).

use std::net::Ipv4Addr;

use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

async fn hello(Path(name): Path<String>) -> Json<Value> {
    Json(json!({ "message": format!("hello, {name}") }))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = match std::env::var("PORT") {
        Ok(value) => value.parse().map_err(std::io::Error::other)?,
        Err(_) => 8080_u16,
    };
    let app = Router::new().route("/v1/hello/{name}", get(hello));
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
    axum::serve(listener, app).await
}
