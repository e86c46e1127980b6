//! The platform middleware of `app()`: access log, panic recovery, the body limit and timeout,
//! the request timeout, and path parameters that are not UTF-8.

use std::any::Any;
use std::future::poll_fn;
use std::pin::Pin;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRequestParts as _, MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Level;

use super::Limits;
use crate::platform::contract::http::CLIENT_CLOSED_STATUS;
use crate::platform::contract::logging::{access, event, message};
use crate::platform::contract::{problem as errors, routes};
use crate::platform::problem::Problem;
use crate::platform::telemetry::{self, panic_message, take_panic_stack};

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
    // The path as sent, never decoded; it stays with the request's bytes: a URI clone copies no
    // text.
    let uri = request.uri().clone();
    let path = uri.path();
    if UNOBSERVED_PATHS.contains(&path) {
        return next.run(request).await;
    }
    let started = Instant::now();
    let method = request.method().clone();
    let matched = matched_route(&request);
    // hyper drops this future when the client goes away before the answer: the request is then
    // logged with the client-closed status, route as matched, duration until then.
    let left = OnDrop::new({
        let (method, uri) = (method.clone(), uri.clone());
        let route = matched
            .as_ref()
            .map_or(String::new(), |route| route.as_str().to_owned());
        move || {
            tracing::info!(
                { access::METHOD } = method.as_str(),
                { access::ROUTE } = route,
                { access::PATH } = uri.path(),
                { access::STATUS } = CLIENT_CLOSED_STATUS,
                { access::DURATION } = milliseconds(started),
                "{}",
                access::MSG
            );
        }
    });
    let response = next.run(request).await;
    left.disarm();
    let route = handled_route(matched.as_ref(), &response);
    let duration_ms = milliseconds(started);
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

/// Milliseconds since `started`, to the microsecond.
fn milliseconds(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1e6).round() / 1e3
}

/// Runs its closure when dropped, unless disarmed first: what a request's middleware still has
/// to record when hyper drops the request's future, its client gone.
pub(super) struct OnDrop<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> OnDrop<F> {
    pub(super) const fn new(on_drop: F) -> Self {
        Self(Some(on_drop))
    }

    /// The request was answered: nothing to do on drop.
    pub(super) fn disarm(mut self) {
        self.0 = None;
    }
}

impl<F: FnOnce()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        if let Some(on_drop) = self.0.take() {
            on_drop();
        }
    }
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

/// Answers with the bad-request problem when a path parameter %-decodes to bytes that are not
/// UTF-8, on every route and whatever the handler extracts.
pub(super) async fn reject_non_utf8_params(request: Request, next: Next) -> Response {
    // The path itself is UTF-8 (the http crate refuses anything else); only a %-escape can
    // decode to something that is not. Most paths have none, and skip the check.
    if !request.uri().path().contains('%') {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    if let Err(RawPathParamsRejection::InvalidUtf8InPathParam(_)) =
        RawPathParams::from_request_parts(&mut parts, &()).await
    {
        return Problem::from(errors::BAD_REQUEST).into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Reads every request body in full before the rest of the stack runs, so that all routes see the
/// same limits whether or not their handler reads the body: at most `limits.max_body_bytes`
/// bytes, within `limits.request_timeout` of the headers. A body of known size (hyper takes it
/// from `Content-Length`) over the limit is answered at once, unread; one of unknown size
/// (chunked) is read up to the limit. A body that has not arrived in time is answered with the
/// request-timeout problem, and the connection is closed: what is left of the body would
/// otherwise be read as the next request. The handler then gets the body from memory, and its
/// own timeout.
pub(super) async fn limit_body(
    State(limits): State<Limits>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let limit = limits.max_body_bytes;
    if body.size_hint().lower() > limit as u64 {
        return Problem::from(errors::PAYLOAD_TOO_LARGE).into_response();
    }
    let body = match tokio::time::timeout(limits.request_timeout, read_up_to(body, limit)).await {
        Ok(Ok(Some(bytes))) => Body::from(bytes),
        Ok(Ok(None)) => return Problem::from(errors::PAYLOAD_TOO_LARGE).into_response(),
        // The client broke off or sent a broken chunked encoding.
        Ok(Err(_)) => return Problem::from(errors::UNREADABLE_BODY).into_response(),
        Err(_) => {
            let mut response = Problem::from(errors::REQUEST_TIMEOUT).into_response();
            // hyper closes the connection after a response that says so.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    next.run(Request::from_parts(parts, body)).await
}

/// The body's data, or `None` as soon as it exceeds `limit` bytes. Trailers are dropped. A body
/// that arrives in one piece, as most do, is not copied.
async fn read_up_to(mut body: Body, limit: usize) -> Result<Option<Bytes>, axum::Error> {
    let mut chunks = Vec::new();
    let mut read = 0;
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        if let Ok(chunk) = frame?.into_data() {
            if chunk.len() > limit - read {
                return Ok(None);
            }
            read += chunk.len();
            chunks.push(chunk);
        }
    }
    Ok(Some(if chunks.len() == 1 {
        chunks.swap_remove(0)
    } else {
        chunks.concat().into()
    }))
}

/// Turns a handler panic into the generic 500 problem; the panic text goes to the log only.
#[allow(
    clippy::needless_pass_by_value,
    reason = "tower-http hands over the payload by value"
)]
pub(super) fn recover(payload: Box<dyn Any + Send + 'static>) -> Response {
    // The one line of the panic: the hook left it to us, with the backtrace.
    tracing::error!(
        { event::ERROR } = panic_message(payload.as_ref()),
        { event::STACK } = take_panic_stack(),
        "{}",
        message::PANIC_RECOVERED
    );
    Problem::from(errors::INTERNAL).into_response()
}

/// Runs the rest of the request under panic recovery (see [`recover`]).
pub(super) async fn recovering(request: Request, next: Next) -> Response {
    telemetry::recovering(next.run(request)).await
}
