//! The "standard stack" baseline for the skeleton benchmarks: the same route as a generated Rust
//! service, instrumented by hand with the Rust ecosystem's standard crates, each used the way its
//! own documentation (and axum's examples) show, as a team would assemble it:
//!
//! - tracing: tower-http's `TraceLayer` opens an INFO span per request, which
//!   tracing-opentelemetry turns into an OpenTelemetry span, exported by the SDK's batch span
//!   processor over OTLP/HTTP (opentelemetry-otlp), configured by the standard `OTEL_*` variables
//!   (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_TRACES_SAMPLER`, ...): every request is sampled by
//!   default, and `OTEL_SDK_DISABLED=true` leaves tracing off. An incoming `traceparent` is
//!   honoured;
//! - logging: tracing-subscriber's JSON formatter on stdout at INFO, one access-log line per
//!   request (in `TraceLayer`'s `on_response`), with the trace and span ids;
//! - metrics: a request-duration histogram by method, route and status, recorded with the
//!   `metrics` facade in a small middleware and served by metrics-exporter-prometheus on
//!   `METRICS_PORT` (default 9464);
//! - `/livez` and `/readyz`, neither traced, logged nor measured (as in the skeleton).
//!
//! It listens on loopback only, on `PORT` (default 8080), and flushes its spans on SIGTERM.

use std::error::Error;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Path, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use opentelemetry::propagation::TextMapCompositePropagator;
use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde_json::{Value, json};
use tower_http::trace::TraceLayer;
use tracing::{Span, field};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

const SERVICE_NAME: &str = "std-axum";
const REQUEST_DURATION: &str = "http_request_duration_seconds";
// The Prometheus client libraries' default buckets.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
// How often the histograms' samples are drained (metrics-exporter-prometheus's own default).
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

async fn hello(Path(name): Path<String>) -> Json<Value> {
    Json(json!({ "message": format!("hello, {name}") }))
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The request's span, a child of the caller's trace when a `traceparent` came with it.
fn make_span(request: &Request) -> Span {
    let method = request.method();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str);
    let span = tracing::info_span!(
        "request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = route,
        url.path = request.uri().path(),
        http.response.status_code = field::Empty,
    );
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(request.headers()))
    });
    // Fails only without the OpenTelemetry layer (OTEL_SDK_DISABLED) or with the span disabled.
    let _ = span.set_parent(parent);
    span
}

/// The access-log line, written inside the request's span (whose fields it shows).
fn on_response(response: &Response, latency: Duration, span: &Span) {
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    let context = span.context();
    let otel_span = context.span();
    let ids = otel_span.span_context();
    tracing::info!(
        status,
        duration_ms = latency.as_secs_f64() * 1000.0,
        trace_id = %ids.trace_id(),
        span_id = %ids.span_id(),
        "request"
    );
}

/// Records the request's duration in the histogram (as axum's prometheus-metrics example does).
async fn track_metrics(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(String::new, |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let labels = [
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::histogram!(REQUEST_DURATION, &labels).record(start.elapsed().as_secs_f64());
    response
}

/// The OTLP/HTTP exporter and the tracer provider, as opentelemetry-otlp's documentation sets
/// them up; `None` when `OTEL_SDK_DISABLED=true`.
fn tracer_provider() -> Result<Option<SdkTracerProvider>, Box<dyn Error>> {
    if std::env::var("OTEL_SDK_DISABLED").is_ok_and(|value| value.eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name(SERVICE_NAME).build())
        .build();
    opentelemetry::global::set_text_map_propagator(TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ]));
    Ok(Some(provider))
}

fn port(name: &str, default: u16) -> Result<u16, Box<dyn Error>> {
    match std::env::var(name) {
        Ok(value) => Ok(value.parse()?),
        Err(_) => Ok(default),
    }
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate.recv() => {},
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let provider = tracer_provider()?;
    let otel = provider
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer(SERVICE_NAME)));
    tracing_subscriber::registry()
        .with(LevelFilter::INFO)
        .with(tracing_subscriber::fmt::layer().json())
        .with(otel)
        .init();

    let metrics: PrometheusHandle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.to_owned()), &BUCKETS)?
        .install_recorder()?;
    let upkeep = metrics.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(UPKEEP_INTERVAL);
        loop {
            interval.tick().await;
            upkeep.run_upkeep();
        }
    });

    // A layer wraps the routes added before it: the API is traced, then measured inside its
    // span; the probes, added after, are neither.
    let app = Router::new()
        .route("/v1/hello/{name}", get(hello))
        .route_layer(middleware::from_fn(track_metrics))
        .route_layer(
            TraceLayer::new_for_http()
                .make_span_with(make_span)
                .on_response(on_response),
        )
        .route("/livez", get(health))
        .route("/readyz", get(health));
    let metrics_app = Router::new().route("/metrics", get(move || async move { metrics.render() }));

    let listener =
        tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port("PORT", 8080)?)).await?;
    let metrics_listener =
        tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port("METRICS_PORT", 9464)?)).await?;
    tokio::spawn(async move { axum::serve(metrics_listener, metrics_app).await });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;

    // Exports the spans still queued.
    if let Some(provider) = provider {
        provider.shutdown()?;
    }
    Ok(())
}
