//! Telemetry of the process: logs (JSON lines on stdout), traces (OTLP) and metrics (Prometheus:
//! the request histogram, and the service's build, process and runtime metrics).
//!
//! `main` builds [`Telemetry`] as soon as the configuration is read and installs the logger
//! with [`start_logging`]; the HTTP middleware records every request with the telemetry, and
//! `main` flushes it on shutdown.

mod filter;
mod logs;
mod operability;
mod otel;

use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, TraceContextExt};

pub use filter::LogLevels;
pub use logs::{
    flush_logs, forward_log_records, init, panic_message, recovering, subscriber, take_panic_stack,
};
pub use otel::{RequestTelemetry, Telemetry};

use crate::platform::config::Config;

/// Installs the process's logger for `config` and `telemetry`, as `main` does: JSON lines at
/// `LOG_LEVEL` and `LOG_FILTER`, the `tracing` spans application code opens exported through
/// the telemetry's tracer, and the records of crates that log through the `log` crate. One
/// function, so that the `wiring` test checks what `main` runs.
pub fn start_logging(service: &'static str, config: &Config, telemetry: &Telemetry) {
    init(service, levels(config), telemetry.tracer());
}

/// `LOG_LEVEL` and `LOG_FILTER`.
#[must_use]
pub fn levels(config: &Config) -> LogLevels {
    LogLevels::new(config.log_level, &config.log_filter)
}

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
