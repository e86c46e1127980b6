//! The HTTP surface: the service's routes, the health endpoints and the platform middleware
//! that gives every response the contract's shape; and the metrics server's routes.

mod health;
mod hello;
mod metrics;
mod middleware;
mod observe;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus::Registry;
use tower_http::catch_panic::CatchPanicLayer;

pub use health::Readiness;

use crate::config::Config;
use crate::contract::{problem as errors, routes};
use crate::problem::{self, Problem};
use crate::telemetry::RequestTelemetry;

/// State shared by the handlers.
#[derive(Clone, Debug, Default)]
pub struct AppState {
    pub readiness: Readiness,
}

/// Limits that apply to every request.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// How long the body has to arrive once the headers are in, and then how long the handler
    /// has to answer.
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
}

impl From<&Config> for Limits {
    fn from(config: &Config) -> Self {
        Self {
            request_timeout: config.request_timeout,
            max_body_bytes: config.max_body_bytes,
        }
    }
}

/// The service's own routes: add new endpoints here. `hello` is a complete example, and route
/// templates belong next to the others in the contract when other services depend on them.
pub fn routes() -> Router<AppState> {
    Router::new().route(routes::HELLO, get(hello::hello))
}

/// The whole application: `routes` plus the health endpoints, wrapped in the platform
/// middleware (traces and metrics unless `telemetry` is `None`, access log, problem documents,
/// panic recovery, body limit and timeout, request timeout, path parameters that are not UTF-8).
pub fn app(
    routes: Router<AppState>,
    state: AppState,
    limits: Limits,
    telemetry: Option<RequestTelemetry>,
) -> Router {
    let app = routes
        .merge(health::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Being layered on the router, the middleware runs after routing and sees the matched
        // route; the request meets it top-down. One `layer` call for all of it: each call
        // boxes everything below it once more, and every request clones those boxes anew.
        // The body is read in full before the request timeout starts: a body and a handler get
        // a budget each, and a slow client cannot hold a handler.
        .layer((
            axum::middleware::from_fn(middleware::access_log),
            axum::middleware::from_fn(problem::render),
            CatchPanicLayer::custom(middleware::recover),
            axum::middleware::from_fn_with_state(limits, middleware::limit_body),
            axum::middleware::from_fn_with_state(limits.request_timeout, middleware::timeout),
            axum::middleware::from_fn(middleware::reject_non_utf8_params),
            // limit_body has done the extractors' work.
            DefaultBodyLimit::disable(),
        ))
        .with_state(state);
    match telemetry {
        // Outermost, so that the access log and every other line are written inside the span.
        Some(telemetry) => app.layer(axum::middleware::from_fn_with_state(
            telemetry,
            observe::observe,
        )),
        None => app,
    }
}

/// The metrics server: the metrics path, answered from `registry`, and problem documents.
pub fn metrics_app(registry: Registry) -> Router {
    metrics::routes(registry)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(problem::render))
}

async fn not_found() -> Problem {
    errors::NOT_FOUND.into()
}

/// axum adds the `Allow` header listing the route's methods.
async fn method_not_allowed() -> Response {
    let mut response = Problem::from(errors::METHOD_NOT_ALLOWED).into_response();
    response
        .extensions_mut()
        .insert(middleware::NoRouteForMethod);
    response
}
