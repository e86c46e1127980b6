//! The probe build's routes (`make build-probe`): they panic, stall and fail on demand, so that
//! `scaffold check --run` can watch the service handle what its own routes never do on request.
//! `make build` leaves them out.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value};

use super::AppState;
use crate::platform::contract::health::{OK, STATUS_KEY};
use crate::platform::contract::probe::{self, problem as own};
use crate::platform::problem::Problem;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(probe::PANIC, get(panic))
        .route(probe::SLOW, get(slow))
        .route(probe::STATUS, get(status))
        .route(probe::PROBLEM, get(problem))
}

#[expect(clippy::panic, reason = "panicking is this route's job")]
async fn panic() -> Response {
    panic!("{}", probe::PANIC_MESSAGE)
}

/// Answers after `SLOW_MS`; a client that leaves first drops the future.
async fn slow() -> Json<Value> {
    tokio::time::sleep(Duration::from_millis(probe::SLOW_MS)).await;
    Json(Value::Object(Map::from_iter([(
        STATUS_KEY.to_owned(),
        OK.into(),
    )])))
}

/// Answers the bare status in the path, the usual axum way.
async fn status(Path(code): Path<String>) -> Result<StatusCode, Problem> {
    code.parse()
        .ok()
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                "code must be an integer from 100 to 599",
            )
        })
}

/// A handler's own problem, extension members included.
async fn problem() -> Problem {
    let status = StatusCode::from_u16(own::STATUS).unwrap_or(StatusCode::CONFLICT);
    let mut problem = Problem::new(status, own::TITLE, own::DETAIL).with_type(own::TYPE);
    if let Ok(Value::Object(members)) = serde_json::from_str(own::EXTENSIONS) {
        for (name, value) in members {
            problem = problem.with_extension(name, value);
        }
    }
    problem
}
