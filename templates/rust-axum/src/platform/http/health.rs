//! Health endpoints for the orchestrator. Liveness only says the process runs; readiness turns
//! to draining once shutdown begins, so load balancers stop sending new requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::AppState;
use crate::platform::contract::{health, routes};

/// Whether the service takes new requests; cloned handles share one flag.
#[derive(Clone, Debug, Default)]
pub struct Readiness {
    draining: Arc<AtomicBool>,
}

impl Readiness {
    /// From now on, readiness answers 503: called once shutdown begins.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    #[must_use]
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(routes::LIVENESS, get(liveness))
        .route(routes::READINESS, get(readiness))
}

/// Never checks dependencies: a failing liveness probe restarts the process.
async fn liveness() -> Json<Value> {
    status(health::OK)
}

async fn readiness(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if state.readiness.is_draining() {
        (StatusCode::SERVICE_UNAVAILABLE, status(health::DRAINING))
    } else {
        (StatusCode::OK, status(health::OK))
    }
}

fn status(value: &str) -> Json<Value> {
    Json(json!({ health::STATUS_KEY: value }))
}
