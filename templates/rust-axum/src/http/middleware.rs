//! The platform middleware of `app()`: access log, request timeout and panic recovery.

use std::any::Any;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Level;

use crate::contract::logging::{access, event, message};
use crate::contract::{problem as errors, routes};
use crate::problem::Problem;
use crate::telemetry::panic_message;

/// Paths that probes and scrapers hit every few seconds: no access log, span or metric for them.
pub(super) const UNOBSERVED_PATHS: [&str; 3] =
    [routes::LIVENESS, routes::READINESS, routes::METRICS];

/// Marks a 405 answer: the path fits a route template, but no route takes the method.
#[derive(Clone, Copy, Debug)]
pub(super) struct NoRouteForMethod;

/// The route template the request's path matched, in `{param}` form; `None` when none did.
/// [`handled_route`] settles it once the answer is known.
pub(super) fn matched_route(request: &Request) -> Option<MatchedPath> {
    // Shared with the request, not copied.
    request.extensions().get::<MatchedPath>().cloned()
}

/// The route that handled the request: `matched`, or empty when no route took the request's
/// method (405), as for an unknown path. Go services report the same.
pub(super) fn handled_route<'a>(matched: Option<&'a MatchedPath>, response: &Response) -> &'a str {
    match matched {
        Some(route) if response.extensions().get::<NoRouteForMethod>().is_none() => route.as_str(),
        _ => "",
    }
}

/// Writes one access-log line per request: INFO, or ERROR for a 5xx answer.
pub(super) async fn access_log(request: Request, next: Next) -> Response {
    // The path stays with the request's bytes: a URI clone copies no text.
    let uri = request.uri().clone();
    let path = uri.path();
    if UNOBSERVED_PATHS.contains(&path) {
        return next.run(request).await;
    }
    let started = Instant::now();
    let method = request.method().clone();
    let matched = matched_route(&request);
    let response = next.run(request).await;
    let route = handled_route(matched.as_ref(), &response);
    // Milliseconds, to the microsecond.
    let duration_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    let status = response.status();

    // A tracing event's level is fixed where it is written, hence one call per level.
    macro_rules! access_event {
        ($level:expr) => {
            tracing::event!(
                $level,
                { access::METHOD } = method.as_str(),
                { access::ROUTE } = route,
                { access::PATH } = path,
                { access::STATUS } = status.as_u16(),
                { access::DURATION } = duration_ms,
                "{}",
                access::MSG
            )
        };
    }
    if status.is_server_error() {
        access_event!(Level::ERROR);
    } else {
        access_event!(Level::INFO);
    }
    response
}

/// Answers with the timeout problem when the handler outlives `limit`; the handler is dropped.
pub(super) async fn timeout(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Problem::from(errors::TIMEOUT).into_response(),
    }
}

/// Turns a handler panic into the generic 500 problem; the panic text goes to the log only.
#[allow(
    clippy::needless_pass_by_value,
    reason = "tower-http hands over the payload by value"
)]
pub(super) fn recover(payload: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!(
        { event::ERROR } = panic_message(payload.as_ref()),
        "{}",
        message::PANIC_RECOVERED
    );
    Problem::from(errors::INTERNAL).into_response()
}
