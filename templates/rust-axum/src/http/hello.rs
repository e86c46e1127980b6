//! The example route: copy this file to add an endpoint of your own, then register it in
//! `routes()` in `http/mod.rs`. Errors are returned as `crate::problem::Problem`.

use axum::Json;
use axum::extract::Path;
use serde_json::{Value, json};

use crate::contract::hello::{MESSAGE_KEY, MESSAGE_PREFIX};

/// `GET /v1/hello/{name}` answers `{"message": "hello, <name>"}`.
pub(super) async fn hello(Path(name): Path<String>) -> Json<Value> {
    Json(json!({ MESSAGE_KEY: format!("{MESSAGE_PREFIX}{name}") }))
}
