//! Telemetry of the process: logs (JSON lines on stdout), traces (OTLP) and metrics (Prometheus).
//!
//! `main` installs the logger first thing with [`init`], then builds [`Telemetry`], which the HTTP
//! middleware records every request with and which `main` flushes on shutdown.

mod logs;
mod otel;

use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, TraceContextExt};

pub use logs::{init, panic_message, subscriber};
pub use otel::{RequestTelemetry, Telemetry};

/// The span the current task runs in, if any: the HTTP middleware makes each request's server
/// span current while the request is handled, so log lines and problem documents can name it.
#[must_use]
pub fn current_span() -> Option<SpanContext> {
    let context = Context::current();
    let span = context.span().span_context().clone();
    span.is_valid().then_some(span)
}
