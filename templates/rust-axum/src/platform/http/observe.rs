//! Traces and metrics of each request: one SERVER span with exactly the contract's attributes,
//! and one sample of the request-duration histogram. Written with the OpenTelemetry API itself,
//! not an instrumentation crate, so that the attributes are the contract's and nothing more.
//! A method outside the contract's known ones is recorded as the contract's other method, so
//! that clients cannot create metric series or span names at will.
//!
//! The span is current while the request is handled, so every line logged meanwhile, the access
//! log included, carries its ids.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, Version};
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::context::FutureExt as _;
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_http::HeaderExtractor;

use super::middleware::{OnDrop, UNOBSERVED_PATHS, handled_route, matched_route};
use crate::platform::contract::http::{
    CLIENT_CLOSED_STATUS, KNOWN_METHODS, METHOD_ORIGINAL_ATTRIBUTE, OTHER_METHOD, OTHER_SPAN_NAME,
};
use crate::platform::contract::trace::{ERROR_ATTRIBUTE, SPAN_NAME, attribute};
use crate::platform::telemetry::RequestTelemetry;

/// The service speaks plain HTTP; TLS, if any, ends in front of it.
const SCHEME: &str = "http";

/// Attributes a span gets at its start (the original method included), and the most it can end
/// up with (route, status, error).
const SPAN_ATTRIBUTES: usize = 5 + 3;

/// Traces and measures the request, continuing the trace of an incoming `traceparent`.
pub(super) async fn observe(
    State(telemetry): State<RequestTelemetry>,
    request: Request,
    next: Next,
) -> Response {
    if UNOBSERVED_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let started = Instant::now();
    let (method, original) = recorded_method(request.method());
    let matched = matched_route(&request);
    let matched_name = matched.as_ref().map_or("", |route| route.as_str());
    let parent = telemetry
        .propagator
        .extract(&HeaderExtractor(request.headers()));
    // Room for the attributes set at the end, so that they need no second allocation.
    let mut attributes = Vec::with_capacity(SPAN_ATTRIBUTES);
    attributes.extend([
        KeyValue::new(attribute::HTTP_REQUEST_METHOD, method),
        // The path as sent, %-escapes and all: never decoded, so always valid UTF-8 (the http
        // crate refuses a request line that is not).
        KeyValue::new(attribute::URL_PATH, request.uri().path().to_owned()),
        KeyValue::new(attribute::URL_SCHEME, SCHEME),
        KeyValue::new(
            attribute::NETWORK_PROTOCOL_VERSION,
            protocol_version(request.version()),
        ),
    ]);
    let known = original.is_none();
    if let Some(original) = original {
        attributes.push(KeyValue::new(METHOD_ORIGINAL_ATTRIBUTE, original));
    }
    let span = telemetry
        .tracer
        .span_builder(span_name(method, known, matched_name))
        .with_kind(SpanKind::Server)
        .with_attributes(attributes)
        .start_with_context(&telemetry.tracer, &parent);
    let context = parent.with_span(span);
    // hyper drops this future when the client goes away before the answer: the request is then
    // recorded with the client-closed status, route as matched, duration until then.
    let left = OnDrop::new({
        let (telemetry, context) = (telemetry.clone(), context.clone());
        let route = matched_name.to_owned();
        move || {
            let status = StatusCode::from_u16(CLIENT_CLOSED_STATUS).unwrap_or_default();
            record(&telemetry, &context, method, &route, status, started);
        }
    });

    let response = next.run(request).with_context(context.clone()).await;
    left.disarm();

    // The route and the status are known now; the name changes only for a 405.
    let route = handled_route(matched.as_ref(), &response);
    if route != matched_name {
        context.span().update_name(span_name(method, known, route));
    }
    record(
        &telemetry,
        &context,
        method,
        route,
        response.status(),
        started,
    );
    response
}

/// Ends the request's span with its route and status, and records its duration sample.
fn record(
    telemetry: &RequestTelemetry,
    context: &Context,
    method: &'static str,
    route: &str,
    status: StatusCode,
    started: Instant,
) {
    let span = context.span();
    let metric_attributes = [
        KeyValue::new(attribute::HTTP_REQUEST_METHOD, method),
        // Shared by the span and the metric.
        KeyValue::new(attribute::HTTP_ROUTE, Arc::<str>::from(route)),
        // An integer, as the contract wants; OpenTelemetry integers are i64.
        KeyValue::new(
            attribute::HTTP_RESPONSE_STATUS_CODE,
            i64::from(status.as_u16()),
        ),
    ];
    // The method is on the span since its start.
    span.set_attributes(metric_attributes[1..].iter().cloned());
    if status.is_server_error() {
        span.set_attribute(KeyValue::new(ERROR_ATTRIBUTE, status.as_str().to_owned()));
        span.set_status(Status::error(""));
    }
    span.end();
    telemetry
        .duration
        .record(started.elapsed().as_secs_f64(), &metric_attributes);
}

/// The `http.request.method` of a request: the method, when the contract knows it; otherwise
/// the contract's other method, and the method as sent for the original-method attribute.
fn recorded_method(method: &Method) -> (&'static str, Option<String>) {
    match KNOWN_METHODS
        .iter()
        .find(|known| **known == method.as_str())
    {
        Some(known) => (known, None),
        None => (OTHER_METHOD, Some(method.as_str().to_owned())),
    }
}

/// `GET /v1/hello/{name}`; just the method when no route matched. The contract's template
/// filled in one pass, into one allocation. A method that is not `known` stays out of the name:
/// it is the contract's other span name, followed by the route when one matched.
fn span_name(method: &str, known: bool, route: &str) -> String {
    if !known {
        return if route.is_empty() {
            OTHER_SPAN_NAME.to_owned()
        } else {
            [OTHER_SPAN_NAME, " ", route].concat()
        };
    }
    if route.is_empty() {
        return method.to_owned();
    }
    let mut name = String::with_capacity(SPAN_NAME.len() + method.len() + route.len());
    let mut rest = SPAN_NAME;
    while let Some(start) = rest.find('{') {
        name.push_str(&rest[..start]);
        rest = &rest[start..];
        if let Some(after) = rest.strip_prefix("{method}") {
            name.push_str(method);
            rest = after;
        } else if let Some(after) = rest.strip_prefix("{route}") {
            name.push_str(route);
            rest = after;
        } else {
            name.push('{');
            rest = &rest[1..];
        }
    }
    name.push_str(rest);
    name
}

/// The `network.protocol.version` of a request: "1.1" for HTTP/1.1.
fn protocol_version(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::contract::routes;

    #[test]
    fn span_names_follow_the_contract_template() {
        let name = span_name("GET", true, routes::HELLO);
        assert_eq!(name, format!("GET {}", routes::HELLO));
        assert_eq!(
            name,
            SPAN_NAME
                .replace("{method}", "GET")
                .replace("{route}", routes::HELLO)
        );
        assert_eq!(span_name("DELETE", true, ""), "DELETE");
    }

    #[test]
    fn unknown_methods_name_spans_after_the_contract_alone() {
        assert_eq!(
            span_name(OTHER_METHOD, false, routes::HELLO),
            format!("{OTHER_SPAN_NAME} {}", routes::HELLO)
        );
        assert_eq!(span_name(OTHER_METHOD, false, ""), OTHER_SPAN_NAME);
    }

    #[test]
    fn known_methods_are_recorded_as_they_are() {
        for known in KNOWN_METHODS {
            let method = Method::from_bytes(known.as_bytes()).unwrap();
            assert_eq!(recorded_method(&method), (*known, None));
        }
    }

    #[test]
    fn other_methods_are_recorded_as_the_contract_says() {
        // Method names are case-sensitive: `get` is not `GET`.
        for sent in ["PURGE", "get", OTHER_METHOD] {
            let method = Method::from_bytes(sent.as_bytes()).unwrap();
            assert_eq!(
                recorded_method(&method),
                (OTHER_METHOD, Some(sent.to_owned()))
            );
        }
    }

    #[test]
    fn protocol_versions_are_semconv_strings() {
        assert_eq!(protocol_version(Version::HTTP_10), "1.0");
        assert_eq!(protocol_version(Version::HTTP_11), "1.1");
        assert_eq!(protocol_version(Version::HTTP_2), "2");
    }
}
