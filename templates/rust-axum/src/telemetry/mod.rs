//! Telemetry of the process: logs (JSON lines on stdout), traces (OTLP) and metrics (Prometheus:
//! the request histogram, and the service's build, process and runtime metrics).
//!
//! `main` installs the logger first thing with [`init`], then builds [`Telemetry`], which the HTTP
//! middleware records every request with and which `main` flushes on shutdown.

mod logs;
mod operability;
mod otel;

use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, TraceContextExt};

pub use logs::{
    flush_logs, forward_log_records, init, panic_message, recovering, subscriber, take_panic_stack,
};
pub use otel::{RequestTelemetry, Telemetry};

/// The span the current task runs in, if any: the HTTP middleware makes each request's server
/// span current while the request is handled, so log lines and problem documents can name it.
#[must_use]
pub fn current_span() -> Option<SpanContext> {
    Context::map_current(|context| {
        let span = context.span();
        let span = span.span_context();
        span.is_valid().then(|| span.clone())
    })
}
