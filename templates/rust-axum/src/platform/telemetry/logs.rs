//! Logs: one JSON object per line on stdout, with exactly the contract's keys (time, level, msg,
//! service; trace and span id while a span is active) plus the event's own fields as flat
//! top-level keys.
//!
//! Application code logs the standard ways and joins in: `tracing` events, and records of crates
//! that log through the `log` crate (made tracing events by tracing-log). `tracing` spans it
//! opens (`#[tracing::instrument]`, `info_span!`) become OpenTelemetry spans, children of the
//! request's server span (tracing-opentelemetry); entering one makes it the current
//! OpenTelemetry span, so the lines logged inside carry its ids.
//!
//! Lines go through a buffer instead of one write to stdout each: under load a write per line
//! costs a system call per request, while the buffer makes one per batch of lines. The buffer
//! is written out by a background thread every `FLUSH_INTERVAL_MS` (100 ms), so no line waits
//! longer than that; at once after an ERROR line, which may be the last thing the process
//! says; in the panic hook; and by `main` on every way out ([`flush_logs`]).

use std::any::Any;
use std::backtrace::Backtrace;
use std::cell::RefCell;
use std::fmt::{self, Display, Write as _};
use std::io::{self, BufWriter, Stdout, Write};
use std::panic::PanicHookInfo;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use opentelemetry::Context;
use opentelemetry::trace::{SpanId, TraceContextExt as _, TraceId};
use opentelemetry_sdk::trace::SdkTracer;
use serde::{Serialize, Serializer as _};
use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_log::AsLog as _;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context as LayerContext, Layer, SubscriberExt};

use super::filter::LogLevels;
use crate::platform::contract::logging::{event, field, level, output};

/// Name of the tracing field that carries an event's message.
const MESSAGE_FIELD: &str = "message";

/// Keys of the line itself; an event field with one of these names is dropped, so every line
/// keeps exactly one of each.
const RESERVED: [&str; 6] = [
    field::TIME,
    field::LEVEL,
    field::MSG,
    field::SERVICE,
    field::TRACE_ID,
    field::SPAN_ID,
];

/// Fields tracing-log adds to the events it makes of `log` records: where the record came from,
/// which the line leaves out, like the file and line of a `tracing` event. The record's target
/// becomes the line's `target`.
const LOG_RECORD_FIELDS: [&str; 4] = [LOG_TARGET_FIELD, "log.module_path", "log.file", "log.line"];

/// The field holding a `log` record's target (its event's own target is tracing-log's).
const LOG_TARGET_FIELD: &str = "log.target";

/// The target of the platform's own lines (this module's crate, `crate::platform` and `main`),
/// which leave `target` out: their shape is the contract's, the same in Go and Rust.
const CRATE_TARGET: &str = env!("CARGO_CRATE_NAME");

/// Line buffers larger than this are not kept for the next line.
const MAX_KEPT_BYTES: usize = 16 * 1024;

/// Stdout, behind the process's line buffer.
static STDOUT: LazyLock<Mutex<BufWriter<Stdout>>> =
    LazyLock::new(|| Mutex::new(BufWriter::with_capacity(output::BUFFER_BYTES, io::stdout())));

/// Installs the process-wide JSON logger, starts the thread that flushes it, and routes panics
/// and `log` records through it, so that even a panic produces a JSON line instead of free
/// text on stderr. `levels` is `LOG_LEVEL` and `LOG_FILTER` (or a bare [`Level`]); `spans` (the
/// telemetry's tracer; `None` when disabled) exports the `tracing` spans application code opens.
///
/// Call it once, as soon as the configuration is read; later calls leave the first logger in
/// place. Call [`flush_logs`] before the process exits.
pub fn init(service: &'static str, levels: impl Into<LogLevels>, spans: Option<SdkTracer>) {
    let levels = levels.into();
    let max_level = levels.max_level();
    let logs = layered(service, levels, spans, write_stdout, flush_logs);
    if tracing::subscriber::set_global_default(logs).is_ok() {
        forward_log_records(max_level);
        std::panic::set_hook(Box::new(log_panic));
        spawn_flusher();
    }
}

/// Makes the records of crates that log through the `log` crate (at `level` or above; the
/// logger then filters each by its target) tracing events, so they reach the JSON log with the
/// ids of the span they were logged in. [`init`] calls it; so do tests that capture lines. Only
/// the first call in a process counts.
pub fn forward_log_records(level: impl Into<LevelFilter>) {
    // Fails only if a logger took the `log` crate first; its records are then its own.
    let _ = tracing_log::LogTracer::builder()
        .with_max_level(level.into().as_log())
        .init();
}

/// Writes the buffered lines to stdout now.
pub fn flush_logs() {
    let mut stdout = lock_stdout();
    if !stdout.buffer().is_empty() {
        // Best effort, like every write here.
        let _ = stdout.flush();
    }
}

/// The subscriber behind [`init`], writing each line through `write_line` (tests capture them).
pub fn subscriber<W>(
    service: &'static str,
    levels: impl Into<LogLevels>,
    spans: Option<SdkTracer>,
    write_line: W,
) -> impl Subscriber
where
    W: Fn(&[u8]) + Send + Sync + 'static,
{
    layered(service, levels.into(), spans, write_line, || {})
}

/// The subscriber, with `flush` called after each ERROR line. `levels` filters spans as well
/// as events, so a span below its target's level is neither logged in nor exported.
fn layered<W>(
    service: &'static str,
    levels: LogLevels,
    spans: Option<SdkTracer>,
    write_line: W,
    flush: fn(),
) -> impl Subscriber
where
    W: Fn(&[u8]) + Send + Sync + 'static,
{
    let logs = JsonLines {
        service,
        write_line,
        flush,
    };
    let spans = spans.map(|tracer| tracing_opentelemetry::layer().with_tracer(tracer));
    tracing_subscriber::registry()
        .with(levels)
        .with(spans)
        .with(logs)
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

tokio::task_local! {
    /// Set while a request runs under panic recovery ([`recovering`]): the panic hook leaves
    /// the log line to the recovery and hands it the backtrace, so a panic is one line.
    static RECOVERING: RefCell<Option<String>>;
}

/// Runs `future` (a request's handling) under panic recovery: a panic in it is logged once,
/// by the recovery, with the backtrace the hook captured ([`take_panic_stack`]).
pub async fn recovering<F: Future>(future: F) -> F::Output {
    RECOVERING.scope(RefCell::new(None), future).await
}

/// The backtrace of the panic the current request's recovery is handling ("" if none).
#[must_use]
pub fn take_panic_stack() -> String {
    RECOVERING
        .try_with(|stack| stack.borrow_mut().take())
        .ok()
        .flatten()
        .unwrap_or_default()
}

fn log_panic(info: &PanicHookInfo<'_>) {
    // Whatever RUST_BACKTRACE says: a panic without its stack is hard to act on.
    let mut stack = Some(Backtrace::force_capture().to_string());
    if RECOVERING
        .try_with(|recovered| *recovered.borrow_mut() = stack.take())
        .is_ok()
    {
        return;
    }
    let location = info.location().map(ToString::to_string).unwrap_or_default();
    tracing::error!(
        { event::ERROR } = panic_message(info.payload()),
        { event::STACK } = stack.unwrap_or_default(),
        location,
        "panic"
    );
    flush_logs();
}

/// Log lines are best effort: a closed stdout must not take the service down.
fn write_stdout(line: &[u8]) {
    let _ = lock_stdout().write_all(line);
}

/// Nothing that holds the lock panics; if something did, the buffered lines would still be
/// worth writing.
fn lock_stdout() -> MutexGuard<'static, BufWriter<Stdout>> {
    STDOUT.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Flushes the buffer every `FLUSH_INTERVAL_MS`, for the life of the process.
fn spawn_flusher() {
    let interval = Duration::from_millis(output::FLUSH_INTERVAL_MS);
    // Without the thread, which only a process out of resources fails to start, lines still
    // leave when the buffer fills, after an ERROR line and at exit.
    let _ = std::thread::Builder::new()
        .name("log-flush".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(interval);
                flush_logs();
            }
        });
}

/// A layer that writes every event as one JSON line.
struct JsonLines<W> {
    service: &'static str,
    write_line: W,
    /// Called after each ERROR line.
    flush: fn(),
}

impl<S, W> Layer<S> for JsonLines<W>
where
    S: Subscriber,
    W: Fn(&[u8]) + 'static,
{
    fn on_event(&self, event: &Event<'_>, _ctx: LayerContext<'_, S>) {
        let write = |buffers: &mut Buffers| {
            if buffers.format(event, self.service) {
                (self.write_line)(&buffers.line);
            }
        };
        // Each thread reuses its buffers; an event logged while a line is being formatted (by
        // a field's Debug, say) gets fresh ones.
        let reused = BUFFERS.try_with(|buffers| {
            buffers
                .try_borrow_mut()
                .map(|mut buffers| write(&mut buffers))
                .is_ok()
        });
        if reused != Ok(true) {
            write(&mut Buffers::default());
        }
        if *event.metadata().level() == Level::ERROR {
            (self.flush)();
        }
    }
}

thread_local! {
    static BUFFERS: RefCell<Buffers> = RefCell::default();
}

/// The pieces of one line, kept between lines to save allocations.
#[derive(Default)]
struct Buffers {
    /// The message.
    msg: String,
    /// The target of a `log` record.
    log_target: String,
    /// The event's other fields, as JSON members, each preceded by a comma.
    fields: Vec<u8>,
    /// The whole line.
    line: Vec<u8>,
}

impl Buffers {
    /// Formats `event` into `line`: the contract's keys first, then the event's fields. False
    /// when a field could not be formatted (its Debug or Display failed).
    fn format(&mut self, event: &Event<'_>, service: &'static str) -> bool {
        // Whatever the last line left, even a panic halfway through it.
        self.clear();
        let mut fields = Fields {
            msg: &mut self.msg,
            log_target: &mut self.log_target,
            json: &mut self.fields,
            failed: false,
        };
        event.record(&mut fields);
        if fields.failed {
            return false;
        }
        let line = &mut self.line;
        line.push(b'{');
        push_str(line, field::TIME);
        line.push(b':');
        // Digits and separators only: nothing to escape.
        let time = humantime::format_rfc3339_millis(SystemTime::now());
        let _ = write!(line, "\"{time}\"");
        push_member(line, field::LEVEL, level_name(*event.metadata().level()));
        push_member(line, field::MSG, &self.msg);
        push_member(line, field::SERVICE, service);
        if let Some((trace_id, span_id)) = current_ids() {
            push_key(line, field::TRACE_ID);
            push_hex(line, &trace_id.to_bytes());
            push_key(line, field::SPAN_ID);
            push_hex(line, &span_id.to_bytes());
        }
        let target = if self.log_target.is_empty() {
            event.metadata().target()
        } else {
            &self.log_target
        };
        if !is_platform(target) {
            push_member(line, event::TARGET, target);
        }
        line.extend_from_slice(&self.fields);
        line.extend_from_slice(b"}\n");
        true
    }

    /// Empties the buffers, giving back the memory of an unusually long line.
    fn clear(&mut self) {
        if self.line.capacity() > MAX_KEPT_BYTES {
            *self = Self::default();
        }
        self.msg.clear();
        self.log_target.clear();
        self.fields.clear();
        self.line.clear();
    }
}

/// Whether `target` is the platform's own: the crate root (`main`) or `crate::platform`.
fn is_platform(target: &str) -> bool {
    target.strip_prefix(CRATE_TARGET).is_some_and(|rest| {
        rest.is_empty()
            || rest
                .strip_prefix("::platform")
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    })
}

/// The ids of the span the current task runs in, if any (see [`super::current_span`]).
fn current_ids() -> Option<(TraceId, SpanId)> {
    Context::map_current(|context| {
        let span = context.span();
        let span = span.span_context();
        span.is_valid().then(|| (span.trace_id(), span.span_id()))
    })
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

/// `,"key":`, which the value follows.
fn push_key(line: &mut Vec<u8>, key: &str) {
    line.push(b',');
    push_str(line, key);
    line.push(b':');
}

/// `,"key":"value"`.
fn push_member(line: &mut Vec<u8>, key: &str, value: &str) {
    push_key(line, key);
    push_str(line, value);
}

/// `text` as a JSON string, escaped as `serde_json` escapes it.
fn push_str(out: &mut Vec<u8>, text: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(out, text);
}

/// What `value` displays, as a JSON string, without an intermediate `String`.
fn push_display(out: &mut Vec<u8>, value: &dyn Display) -> serde_json::Result<()> {
    serde_json::Serializer::new(out).collect_str(value)
}

/// `bytes` as a JSON string of lowercase hex digits.
fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)]);
        out.push(DIGITS[usize::from(byte & 0xf)]);
    }
    out.push(b'"');
}

/// Records the message into `msg` and the other fields, as JSON members, into `json`, in the
/// order they were written.
struct Fields<'a> {
    msg: &'a mut String,
    log_target: &'a mut String,
    json: &'a mut Vec<u8>,
    failed: bool,
}

impl Fields<'_> {
    /// Starts the member for `field` and returns true, or returns false for a field that is
    /// dropped because it reuses a contract key or the line's target.
    fn member(&mut self, field: &Field) -> bool {
        let name = field.name();
        if RESERVED.contains(&name) || LOG_RECORD_FIELDS.contains(&name) || name == event::TARGET {
            return false;
        }
        push_key(self.json, name);
        true
    }

    /// A number or a boolean: the message reads as its JSON text.
    fn add_scalar<T: Serialize + Into<Value>>(&mut self, field: &Field, value: T) {
        if field.name() == MESSAGE_FIELD {
            self.msg.clear();
            let _ = write!(self.msg, "{}", value.into());
        } else if self.member(field) {
            // Writing a number or a boolean into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *self.json, &value);
        }
    }

    /// Text written by `Display`: the message itself, or a JSON string.
    fn add_display(&mut self, field: &Field, value: &dyn Display) {
        let result = if field.name() == MESSAGE_FIELD {
            self.msg.clear();
            write!(self.msg, "{value}").map_err(|_| ())
        } else if self.member(field) {
            push_display(self.json, value).map_err(|_| ())
        } else {
            Ok(())
        };
        self.failed |= result.is_err();
    }
}

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.add_scalar(field, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.add_scalar(field, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.add_scalar(field, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.add_scalar(field, value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == MESSAGE_FIELD {
            self.msg.clear();
            self.msg.push_str(value);
        } else if field.name() == LOG_TARGET_FIELD {
            self.log_target.clear();
            self.log_target.push_str(value);
        } else if self.member(field) {
            push_str(self.json, value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.add_display(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.add_display(field, &DebugText(value));
    }
}

/// Displays what a value's `Debug` writes.
struct DebugText<'a>(&'a dyn fmt::Debug);

impl Display for DebugText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::{Map, json};

    use super::*;

    /// Runs `log` under a capturing subscriber and returns the lines it wrote, parsed.
    fn capture(levels: impl Into<LogLevels>, log: impl FnOnce()) -> Vec<Map<String, Value>> {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        let subscriber = subscriber("svc", levels, None, move |line: &[u8]| {
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
    fn log_crate_records_are_lines_like_any_other() {
        forward_log_records(Level::TRACE);
        let lines = capture(Level::INFO, || {
            log::info!(target: "pool", "pool ready");
            log::debug!("below the level");
        });
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0][field::MSG], "pool ready");
        assert_eq!(lines[0][field::LEVEL], level::INFO);
        // Exactly the contract's keys and the record's target: where it came from stays out.
        assert_eq!(lines[0][event::TARGET], "pool");
        assert_eq!(lines[0].len(), 5, "{lines:?}");
    }

    /// `LOG_FILTER` over `LOG_LEVEL`: `billing` at debug while the rest stays at info.
    fn billing_debug_sqlx_warn() -> LogLevels {
        let pairs = [
            ("billing".to_owned(), Level::DEBUG),
            ("sqlx".to_owned(), Level::WARN),
        ];
        LogLevels::new(Level::INFO, &pairs)
    }

    #[test]
    fn log_filter_sets_levels_per_target() {
        let lines = capture(billing_debug_sqlx_warn(), || {
            tracing::debug!(target: "billing", "billing debug");
            tracing::debug!(target: "billing::invoice", "invoice debug");
            tracing::debug!(target: "billingsvc", "not billing");
            tracing::debug!(target: "other", "other debug");
            tracing::info!(target: "other", "other info");
            tracing::info!(target: "sqlx::query", "sqlx info");
            tracing::warn!(target: "sqlx::query", "sqlx warn");
        });
        let msgs: Vec<&Value> = lines.iter().map(|line| &line[field::MSG]).collect();
        assert_eq!(
            msgs,
            ["billing debug", "invoice debug", "other info", "sqlx warn"]
        );
        assert_eq!(lines[1][event::TARGET], "billing::invoice");
    }

    #[test]
    fn log_records_are_filtered_by_their_own_target() {
        forward_log_records(Level::TRACE);
        let lines = capture(billing_debug_sqlx_warn(), || {
            log::debug!(target: "sqlx", "sqlx debug");
            log::info!(target: "sqlx::pool", "sqlx info");
            log::warn!(target: "sqlx::pool", "sqlx warn");
            log::debug!(target: "billing", "billing debug");
            log::debug!(target: "other", "other debug");
        });
        let msgs: Vec<&Value> = lines.iter().map(|line| &line[field::MSG]).collect();
        assert_eq!(msgs, ["sqlx warn", "billing debug"]);
        assert_eq!(lines[0][event::TARGET], "sqlx::pool");
        assert_eq!(lines[1][event::TARGET], "billing");
    }

    #[test]
    fn only_the_platform_lines_leave_the_target_out() {
        let lines = capture(Level::INFO, || {
            tracing::info!("platform");
            tracing::info!(target: CRATE_TARGET, "main");
            tracing::info!(target: concat!(env!("CARGO_CRATE_NAME"), "::app::orders"), "app");
            tracing::info!(target: "billing", target = "forged", "library");
        });
        let targets: Vec<Option<&Value>> = lines.iter().map(|l| l.get(event::TARGET)).collect();
        let app = Value::from(format!("{CRATE_TARGET}::app::orders"));
        let billing = Value::from("billing");
        assert_eq!(targets, [None, None, Some(&app), Some(&billing)]);
        assert!(is_platform(&format!("{CRATE_TARGET}::platform")));
        assert!(!is_platform(&format!("{CRATE_TARGET}::platforms")));
        assert!(!is_platform(&format!("{CRATE_TARGET}_other")));
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
    fn error_lines_are_flushed_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};

        static FLUSHES: AtomicUsize = AtomicUsize::new(0);
        fn count_flush() {
            FLUSHES.fetch_add(1, Ordering::SeqCst);
        }
        let logs = layered("svc", Level::DEBUG.into(), None, |_: &[u8]| {}, count_flush);
        tracing::subscriber::with_default(logs, || {
            tracing::debug!("debug");
            tracing::info!("info");
            tracing::warn!("warn");
            assert_eq!(FLUSHES.load(Ordering::SeqCst), 0);
            tracing::error!("error");
            assert_eq!(FLUSHES.load(Ordering::SeqCst), 1);
        });
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
