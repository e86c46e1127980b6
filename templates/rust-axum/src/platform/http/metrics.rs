//! The metrics server's one route: the Prometheus text exposition of the service's metrics.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus::{Encoder as _, Registry, TEXT_FORMAT, TextEncoder};

use crate::platform::contract::{problem as errors, routes};
use crate::platform::problem::Problem;

pub(super) fn routes(registry: Registry) -> Router {
    Router::new()
        .route(routes::METRICS, get(exposition))
        .with_state(registry)
}

/// Empty, but still 200, while nothing has been measured or the SDK is disabled.
async fn exposition(State(registry): State<Registry>) -> Response {
    let mut text = Vec::new();
    match TextEncoder::new().encode(&registry.gather(), &mut text) {
        Ok(()) => ([(header::CONTENT_TYPE, TEXT_FORMAT)], text).into_response(),
        Err(error) => {
            tracing::error!(error = %error, "metrics encoding failed");
            Problem::from(errors::INTERNAL).into_response()
        }
    }
}
