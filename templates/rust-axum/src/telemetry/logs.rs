//! Logs: one JSON object per line on stdout, with exactly the contract's keys (time, level, msg,
//! service; trace and span id while a span is active) plus the event's own fields as flat
//! top-level keys.

use std::any::Any;
use std::fmt;
use std::io::Write;
use std::panic::PanicHookInfo;
use std::time::SystemTime;

use opentelemetry::trace::SpanContext;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use super::current_span;
use crate::contract::logging::{field, level};

/// Name of the tracing field that carries an event's message.
const MESSAGE_FIELD: &str = "message";

/// Prefix of the targets of OpenTelemetry's own diagnostics, which are chatter below WARN.
const OTEL_TARGETS: &str = "opentelemetry";

/// Installs the process-wide JSON logger and routes panics through it, so that even a panic
/// produces a JSON line instead of free text on stderr.
///
/// Call it once, first thing in `main`; later calls leave the first logger in place.
pub fn init(service: &'static str, level: Level) {
    if tracing::subscriber::set_global_default(subscriber(service, level, write_stdout)).is_ok() {
        std::panic::set_hook(Box::new(log_panic));
    }
}

/// The subscriber behind [`init`], writing each line through `write_line` (tests capture them).
pub fn subscriber<W>(service: &'static str, level: Level, write_line: W) -> impl Subscriber
where
    W: Fn(&[u8]) + Send + Sync + 'static,
{
    let logs = JsonLines {
        service,
        write_line,
    };
    let level = LevelFilter::from_level(level);
    let filter = Targets::new()
        .with_default(level)
        .with_target(OTEL_TARGETS, level.min(LevelFilter::WARN));
    tracing_subscriber::registry().with(logs.with_filter(filter))
}

/// The text of a panic payload: panics carry a `&str` or a `String`, almost always.
#[must_use]
pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic with a non-string payload")
}

fn log_panic(info: &PanicHookInfo<'_>) {
    let location = info.location().map(ToString::to_string).unwrap_or_default();
    tracing::error!(error = panic_message(info.payload()), location, "panic");
}

/// Log lines are best effort: a closed stdout must not take the service down.
fn write_stdout(line: &[u8]) {
    let _ = std::io::stdout().lock().write_all(line);
}

/// A layer that writes every event as one JSON line.
struct JsonLines<W> {
    service: &'static str,
    write_line: W,
}

impl<S, W> Layer<S> for JsonLines<W>
where
    S: Subscriber,
    W: Fn(&[u8]) + 'static,
{
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let line = Line {
            time: humantime::format_rfc3339_millis(SystemTime::now()),
            level: level_name(*event.metadata().level()),
            service: self.service,
            span: current_span(),
            fields,
        };
        if let Ok(mut json) = serde_json::to_vec(&line) {
            json.push(b'\n');
            (self.write_line)(&json);
        }
    }
}

/// The contract's name of a level; TRACE, below every accepted `LOG_LEVEL`, reads as DEBUG.
fn level_name(event_level: Level) -> &'static str {
    match event_level {
        Level::ERROR => level::ERROR,
        Level::WARN => level::WARN,
        Level::INFO => level::INFO,
        Level::DEBUG | Level::TRACE => level::DEBUG,
    }
}

/// The message and the other fields of one event, in the order they were written.
#[derive(Default)]
struct Fields {
    msg: String,
    other: Vec<(&'static str, Value)>,
}

impl Fields {
    fn add(&mut self, field: &Field, value: Value) {
        if field.name() == MESSAGE_FIELD {
            self.msg = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
        } else {
            self.other.push((field.name(), value));
        }
    }
}

impl Visit for Fields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.add(field, value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.add(field, value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.add(field, value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.add(field, value.into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.add(field, value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.add(field, value.to_string().into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.add(field, format!("{value:?}").into());
    }
}

/// One log line: the contract's keys first, then the event's fields. An event field that
/// reuses a contract key is dropped, so every line keeps exactly one of each.
struct Line {
    time: humantime::Rfc3339Timestamp,
    level: &'static str,
    service: &'static str,
    /// The span the event happened in, if any.
    span: Option<SpanContext>,
    fields: Fields,
}

impl Serialize for Line {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let reserved = [
            field::TIME,
            field::LEVEL,
            field::MSG,
            field::SERVICE,
            field::TRACE_ID,
            field::SPAN_ID,
        ];
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(field::TIME, &self.time.to_string())?;
        map.serialize_entry(field::LEVEL, self.level)?;
        map.serialize_entry(field::MSG, &self.fields.msg)?;
        map.serialize_entry(field::SERVICE, self.service)?;
        if let Some(span) = &self.span {
            map.serialize_entry(field::TRACE_ID, &span.trace_id().to_string())?;
            map.serialize_entry(field::SPAN_ID, &span.span_id().to_string())?;
        }
        for (name, value) in &self.fields.other {
            if !reserved.contains(name) {
                map.serialize_entry(name, value)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::{Map, json};

    use super::*;

    /// Runs `log` under a capturing subscriber and returns the lines it wrote, parsed.
    fn capture(level: Level, log: impl FnOnce()) -> Vec<Map<String, Value>> {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        let subscriber = subscriber("svc", level, move |line: &[u8]| {
            sink.lock().unwrap().push(line.to_vec());
        });
        tracing::subscriber::with_default(subscriber, log);
        let lines = lines.lock().unwrap();
        lines
            .iter()
            .map(|line| {
                let (last, json) = line.split_last().unwrap();
                assert_eq!(*last, b'\n', "every line ends with a newline");
                assert!(!json.contains(&b'\n'), "one line per event");
                serde_json::from_slice(json).unwrap()
            })
            .collect()
    }

    #[test]
    fn lines_have_the_contract_keys_and_flat_fields() {
        let lines = capture(Level::INFO, || {
            tracing::info!(port = 8080_u16, "server started");
            tracing::error!({ "http.route" } = "/x", ratio = 0.5, ok = true, "failed");
        });
        assert_eq!(lines.len(), 2);
        let keys: Vec<&str> = lines[0].keys().map(String::as_str).collect();
        let mut expected = vec![
            field::TIME,
            field::LEVEL,
            field::MSG,
            field::SERVICE,
            "port",
        ];
        expected.sort_unstable();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, expected);
        assert_eq!(lines[0][field::LEVEL], level::INFO);
        assert_eq!(lines[0][field::MSG], "server started");
        assert_eq!(lines[0][field::SERVICE], "svc");
        assert_eq!(lines[0]["port"], 8080);
        assert_eq!(lines[1][field::LEVEL], level::ERROR);
        assert_eq!(lines[1]["http.route"], "/x");
        assert_eq!(lines[1]["ratio"], json!(0.5));
        assert_eq!(lines[1]["ok"], true);
    }

    #[test]
    fn time_is_utc_rfc3339_with_milliseconds() {
        let lines = capture(Level::INFO, || tracing::info!("tick"));
        let time = lines[0][field::TIME].as_str().unwrap();
        // 2026-11-27T07:23:00.123Z
        assert_eq!(time.len(), 24, "{time}");
        assert!(time.ends_with('Z'), "{time}");
        assert_eq!(&time[10..11], "T", "{time}");
        assert_eq!(&time[19..20], ".", "{time}");
        assert!(time[20..23].bytes().all(|b| b.is_ascii_digit()), "{time}");
    }

    #[test]
    fn levels_below_the_threshold_are_dropped() {
        let lines = capture(Level::WARN, || {
            tracing::debug!("debug");
            tracing::info!("info");
            tracing::warn!("warn");
            tracing::error!("error");
        });
        let levels: Vec<&Value> = lines.iter().map(|line| &line[field::LEVEL]).collect();
        assert_eq!(levels, [level::WARN, level::ERROR]);
    }

    #[test]
    fn lines_written_in_a_span_carry_its_ids() {
        use opentelemetry::trace::{
            SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
        };
        use opentelemetry::{Context, ContextGuard};

        let span = SpanContext::new(
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        );
        let lines = capture(Level::INFO, || {
            tracing::info!("outside");
            let _guard: ContextGuard = Context::new().with_remote_span_context(span).attach();
            tracing::info!(trace_id = "forged", "inside");
        });
        assert!(lines[0].get(field::TRACE_ID).is_none());
        assert!(lines[0].get(field::SPAN_ID).is_none());
        assert_eq!(
            lines[1][field::TRACE_ID],
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(lines[1][field::SPAN_ID], "00f067aa0ba902b7");
        assert_eq!(lines[1].len(), 6);
    }

    #[test]
    fn opentelemetry_diagnostics_start_at_warn() {
        let lines = capture(Level::DEBUG, || {
            tracing::info!(target: "opentelemetry_sdk", "chatter");
            tracing::warn!(target: "opentelemetry_sdk", "trouble");
            tracing::debug!("ours");
        });
        let msgs: Vec<&Value> = lines.iter().map(|line| &line[field::MSG]).collect();
        assert_eq!(msgs, ["trouble", "ours"]);

        // A stricter LOG_LEVEL applies to them too.
        let lines = capture(Level::ERROR, || {
            tracing::warn!(target: "opentelemetry_sdk", "trouble");
        });
        assert!(lines.is_empty());
    }

    #[test]
    fn fields_cannot_override_contract_keys() {
        let lines = capture(Level::DEBUG, || {
            tracing::debug!(service = "other", level = 3, "hello");
        });
        assert_eq!(lines[0][field::SERVICE], "svc");
        assert_eq!(lines[0][field::LEVEL], level::DEBUG);
        assert_eq!(lines[0].len(), 4);
    }

    #[test]
    fn errors_and_debug_values_are_strings() {
        let error = std::io::Error::other("disk on fire");
        let lines = capture(Level::INFO, || {
            tracing::info!(error = &error as &dyn std::error::Error, list = ?[1, 2], "oops");
        });
        assert_eq!(lines[0]["error"], "disk on fire");
        assert_eq!(lines[0]["list"], "[1, 2]");
    }

    #[test]
    fn panic_messages_are_extracted() {
        let text: Box<dyn Any + Send> = Box::new("boom");
        let owned: Box<dyn Any + Send> = Box::new(String::from("bang"));
        let other: Box<dyn Any + Send> = Box::new(42);
        assert_eq!(panic_message(text.as_ref()), "boom");
        assert_eq!(panic_message(owned.as_ref()), "bang");
        assert_eq!(
            panic_message(other.as_ref()),
            "panic with a non-string payload"
        );
    }
}
