//! The example route: copy this file to add an endpoint of your own, then register it in
//! [`super::routes`]. Errors are returned as `crate::platform::problem::Problem`.

use axum::Json;
use axum::extract::Path;
use serde_json::{Value, json};

use crate::platform::contract::hello::{MESSAGE_KEY, MESSAGE_PREFIX};

/// `GET /v1/hello/{name}` answers `{"message": "hello, <name>"}`.
pub(super) async fn hello(Path(name): Path<String>) -> Json<Value> {
    Json(json!({ MESSAGE_KEY: format!("{MESSAGE_PREFIX}{name}") }))
}
