//! Configuration from environment variables, validated once at startup so that a bad value stops
//! the process with a clear message instead of surfacing later. Names, defaults and bounds come
//! from the platform contract.

use std::fmt;
use std::net::Ipv6Addr;
use std::time::Duration;

use tracing::Level;

use crate::platform::contract::env::{self, Choice, Filter, Int, Port};
use crate::platform::contract::otel_env::{
    OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_PROPAGATORS, OTEL_SDK_DISABLED, OTEL_SERVICE_NAME,
    OTEL_TRACES_EXPORTER, OTEL_TRACES_SAMPLER, OTLP_ENDPOINT_SCHEMES,
};
use crate::platform::contract::trace::{SAMPLER_VALUES, propagators, traces_exporter};

/// Everything the service reads from its environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub port: u16,
    /// Port of the metrics server.
    pub metrics_port: u16,
    pub log_level: Level,
    /// `LOG_FILTER`: per-target levels over `log_level`, in the order given; see
    /// `telemetry::LevelFilters` for how a pair covers a target.
    pub log_filter: Vec<(String, Level)>,
    /// Time allowed for in-flight requests and the telemetry flush, from the listeners' close.
    pub shutdown_timeout: Duration,
    /// How long readiness says draining, while every route keeps serving, before the listeners
    /// close.
    pub shutdown_drain_delay: Duration,
    /// How long a request body has to arrive once the headers are in, and then, again, how long
    /// the handler has to answer.
    pub request_timeout: Duration,
    /// How long a client has to send a request's headers.
    pub read_header_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    pub max_body_bytes: usize,
    /// `OTEL_SERVICE_NAME`: the telemetry's `service.name`, when not the service's own name.
    pub otel_service_name: Option<String>,
    /// `OTEL_SDK_DISABLED`: no spans, no metric samples, no trace ids in logs.
    pub otel_sdk_disabled: bool,
    /// `OTEL_TRACES_EXPORTER`: spans are sent over OTLP, or only created (ids in logs, propagation).
    pub export_traces: bool,
    /// `OTEL_PROPAGATORS`: the formats trace context is read from requests and passed on in,
    /// names from the contract's list, each once, in the order given; empty for `none`.
    pub propagators: Vec<&'static str>,
}

/// A variable with an unusable value; the message names the variable and what it accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the process environment.
    ///
    /// # Errors
    /// The first variable, in contract order, whose value is invalid.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_env)
    }

    /// Reads variables through `lookup`, so tests need not touch the process environment.
    ///
    /// # Errors
    /// The first variable, in contract order, whose value is invalid.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let port = read_port(&lookup, env::PORT)?;
        let metrics_port = read_port(&lookup, env::METRICS_PORT)?;
        if port == metrics_port {
            return Err(ConfigError(format!(
                "{} must differ from {}, both are {port}",
                env::METRICS_PORT.name,
                env::PORT.name
            )));
        }
        let config = Self {
            port,
            metrics_port,
            log_level: read_level(&lookup, env::LOG_LEVEL)?,
            log_filter: read_filter(&lookup, env::LOG_FILTER)?,
            shutdown_timeout: Duration::from_millis(read_int(&lookup, env::SHUTDOWN_TIMEOUT_MS)?),
            shutdown_drain_delay: Duration::from_millis(read_int(
                &lookup,
                env::SHUTDOWN_DRAIN_DELAY_MS,
            )?),
            request_timeout: Duration::from_millis(read_int(
                &lookup,
                env::HTTP_REQUEST_TIMEOUT_MS,
            )?),
            read_header_timeout: Duration::from_millis(read_int(
                &lookup,
                env::HTTP_READ_HEADER_TIMEOUT_MS,
            )?),
            idle_timeout: Duration::from_millis(read_int(&lookup, env::HTTP_IDLE_TIMEOUT_MS)?),
            max_body_bytes: read_size(&lookup, env::HTTP_MAX_BODY_BYTES)?,
            otel_service_name: value(&lookup, OTEL_SERVICE_NAME),
            otel_sdk_disabled: read_bool(&lookup, OTEL_SDK_DISABLED)?,
            export_traces: read_choice(&lookup, OTEL_TRACES_EXPORTER, traces_exporter::VALUES)?
                .is_none_or(|exporter| exporter != traces_exporter::NONE),
            propagators: read_propagators(&lookup, OTEL_PROPAGATORS)?,
        };
        // The SDK reads the sampler itself, but would fall back silently on a typo.
        read_choice(&lookup, OTEL_TRACES_SAMPLER, SAMPLER_VALUES)?;
        // So does the exporter with the collector's URL, but it would catch only some mistakes,
        // and only when spans are exported.
        check_endpoint(&lookup, OTEL_EXPORTER_OTLP_ENDPOINT, OTLP_ENDPOINT_SCHEMES)?;
        Ok(config)
    }
}

/// Values that are not valid Unicode are passed on (lossily) so that they are reported as
/// invalid rather than silently ignored.
fn process_env(name: &str) -> Option<String> {
    std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
}

/// The value of a variable, where an empty value counts as unset.
fn value(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name).filter(|value| !value.is_empty())
}

fn read_port(lookup: &impl Fn(&str) -> Option<String>, var: Port) -> Result<u16, ConfigError> {
    let Some(raw) = value(lookup, var.name) else {
        return Ok(var.default);
    };
    match raw.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(ConfigError(format!(
            "{} must be an integer from 1 to 65535, got {raw:?}",
            var.name
        ))),
    }
}

fn read_int(lookup: &impl Fn(&str) -> Option<String>, var: Int) -> Result<u64, ConfigError> {
    let Some(raw) = value(lookup, var.name) else {
        return Ok(var.default);
    };
    match raw.parse::<u64>() {
        Ok(number) if number >= var.min => Ok(number),
        _ => Err(ConfigError(format!(
            "{} must be an integer >= {}, got {raw:?}",
            var.name, var.min
        ))),
    }
}

fn read_size(lookup: &impl Fn(&str) -> Option<String>, var: Int) -> Result<usize, ConfigError> {
    let bytes = read_int(lookup, var)?;
    usize::try_from(bytes).map_err(|_| {
        ConfigError(format!(
            "{} must be at most {} on this platform, got {bytes}",
            var.name,
            usize::MAX
        ))
    })
}

fn read_level(lookup: &impl Fn(&str) -> Option<String>, var: Choice) -> Result<Level, ConfigError> {
    let raw = value(lookup, var.name).unwrap_or_else(|| var.default.to_owned());
    if var.choices.contains(&raw.as_str()) {
        // Every contract level name is one of tracing's own, which parse case-insensitively.
        if let Ok(level) = raw.parse() {
            return Ok(level);
        }
    }
    Err(ConfigError(format!(
        "{} must be one of {}, got {raw:?}",
        var.name,
        var.choices.join(", ")
    )))
}

/// Comma-separated `target=level` pairs (spaces around items, targets and levels ignored, and
/// empty items skipped). Strict on everything else: an empty target, a missing `=`, a level
/// that is not a lowercase contract level, or a target given twice is refused, as a typo would
/// otherwise silently log too much or too little.
fn read_filter(
    lookup: &impl Fn(&str) -> Option<String>,
    var: Filter,
) -> Result<Vec<(String, Level)>, ConfigError> {
    let raw = value(lookup, var.name).unwrap_or_else(|| var.default.to_owned());
    let refuse = |why: &str| {
        ConfigError(format!(
            "{} must be comma-separated target=level pairs, each level one of {}: {why}, got {raw:?}",
            var.name,
            var.levels.join(", ")
        ))
    };
    let mut pairs: Vec<(String, Level)> = Vec::new();
    for item in raw
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let Some((target, name)) = item.split_once('=') else {
            return Err(refuse(&format!("{item:?} has no \"=\"")));
        };
        let (target, name) = (target.trim(), name.trim());
        if target.is_empty() {
            return Err(refuse(&format!("{item:?} has no target")));
        }
        // Every contract level name is one of tracing's own, which parse case-insensitively.
        let level = var
            .levels
            .contains(&name)
            .then(|| name.parse::<Level>().ok())
            .flatten()
            .ok_or_else(|| refuse(&format!("{name:?} is not a level")))?;
        if pairs.iter().any(|(seen, _)| seen == target) {
            return Err(refuse(&format!("{target:?} is given twice")));
        }
        pairs.push((target.to_owned(), level));
    }
    Ok(pairs)
}

/// `true` or `false` in any case, as OpenTelemetry reads booleans; unset is `false`.
fn read_bool(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Result<bool, ConfigError> {
    let Some(raw) = value(lookup, name) else {
        return Ok(false);
    };
    match raw.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ConfigError(format!(
            "{name} must be true or false (any case), got {raw:?}"
        ))),
    }
}

/// One of `choices`, exactly; `None` when unset.
fn read_choice(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    choices: &[&str],
) -> Result<Option<String>, ConfigError> {
    match value(lookup, name) {
        Some(raw) if !choices.contains(&raw.as_str()) => Err(ConfigError(format!(
            "{name} must be one of {}, got {raw:?}",
            choices.join(", ")
        ))),
        raw => Ok(raw),
    }
}

/// A comma-separated list of the contract's propagators (spaces around names and empty items
/// ignored, repeats kept once); unset or empty is the contract's default, and `none` alone is
/// no propagator. Unknown names are refused rather than skipped: a typo would otherwise
/// silently cut every trace at this service.
fn read_propagators(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Vec<&'static str>, ConfigError> {
    let raw = value(lookup, name).unwrap_or_default();
    let mut chosen: Vec<&'static str> = Vec::new();
    for item in raw
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let Some(known) = propagators::VALUES.iter().find(|known| **known == item) else {
            return Err(ConfigError(format!(
                "{name} must be a comma-separated list of {}, got {raw:?}",
                propagators::VALUES.join(", ")
            )));
        };
        if !chosen.contains(known) {
            chosen.push(known);
        }
    }
    if chosen.is_empty() {
        return Ok(propagators::DEFAULT.to_vec());
    }
    if chosen.contains(&propagators::NONE) {
        if chosen.len() > 1 {
            return Err(ConfigError(format!(
                "{name} cannot combine {} with other propagators, got {raw:?}",
                propagators::NONE
            )));
        }
        chosen.clear();
    }
    Ok(chosen)
}

/// A collector URL that the SDK reads itself; unset is the SDK's default.
fn check_endpoint(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    schemes: &[&str],
) -> Result<(), ConfigError> {
    match value(lookup, name) {
        Some(raw) if !is_endpoint(&raw, schemes) => Err(ConfigError(format!(
            "{name} must be scheme://host[:port][/path] with scheme {}, got {raw:?}",
            schemes.join(" or ")
        ))),
        _ => Ok(()),
    }
}

/// Whether `raw` is `scheme://host[:port][/path]` with one of `schemes`, in any letter case. The
/// grammar is narrower than a URL's on purpose, and the Go template checks the same one: both
/// SDKs append `/v1/traces` to the value and agree on everything accepted here, but not on user
/// info, queries, fragments or %-escapes.
fn is_endpoint(raw: &str, schemes: &[&str]) -> bool {
    let Some((scheme, rest)) = raw.split_once("://") else {
        return false;
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let known = |name: &&str| name.eq_ignore_ascii_case(scheme);
    schemes.iter().any(known) && is_authority(authority) && path.chars().all(is_path_char)
}

/// Whether `authority` is `host[:port]`, where the host is a name of unreserved characters or an
/// IPv6 address in brackets (without a zone).
fn is_authority(authority: &str) -> bool {
    if let Some(literal) = authority.strip_prefix('[') {
        return literal.split_once(']').is_some_and(|(address, port)| {
            address.parse::<Ipv6Addr>().is_ok() && is_optional_port(port)
        });
    }
    let (host, port) = authority.split_at(authority.find(':').unwrap_or(authority.len()));
    !host.is_empty() && host.chars().all(is_unreserved) && is_optional_port(port)
}

/// Whether `s` is empty, or a colon and a port in decimal digits (no sign).
fn is_optional_port(s: &str) -> bool {
    s.is_empty()
        || s.strip_prefix(':').is_some_and(|digits| {
            digits.bytes().all(|byte| byte.is_ascii_digit())
                && digits.parse::<u16>().is_ok_and(|port| port > 0)
        })
}

/// An ASCII letter or digit, or one of `- . _ ~` (RFC 3986).
fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~".contains(c)
}

/// A character the path may hold as it is: never `%`, `?` or `#`.
fn is_path_char(c: char) -> bool {
    is_unreserved(c) || "!$&'()*+,;=:@/".contains(c)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    fn error(vars: &[(&str, &str)]) -> String {
        config(vars)
            .expect_err("the configuration should be rejected")
            .to_string()
    }

    #[test]
    fn defaults_come_from_the_contract() {
        let config = config(&[]).unwrap();
        assert_eq!(config.port, env::PORT.default);
        assert_eq!(config.metrics_port, env::METRICS_PORT.default);
        assert_eq!(
            config.log_level.as_str().to_lowercase(),
            env::LOG_LEVEL.default
        );
        let millis = |var: Int| Duration::from_millis(var.default);
        assert_eq!(config.shutdown_timeout, millis(env::SHUTDOWN_TIMEOUT_MS));
        assert_eq!(
            config.shutdown_drain_delay,
            millis(env::SHUTDOWN_DRAIN_DELAY_MS)
        );
        assert_eq!(config.request_timeout, millis(env::HTTP_REQUEST_TIMEOUT_MS));
        assert_eq!(
            config.read_header_timeout,
            millis(env::HTTP_READ_HEADER_TIMEOUT_MS)
        );
        assert_eq!(config.idle_timeout, millis(env::HTTP_IDLE_TIMEOUT_MS));
        assert_eq!(
            config.max_body_bytes as u64,
            env::HTTP_MAX_BODY_BYTES.default
        );
        assert_eq!(config.otel_service_name, None);
        assert!(!config.otel_sdk_disabled);
        assert!(config.export_traces);
        assert_eq!(config.propagators, propagators::DEFAULT);
        assert!(config.log_filter.is_empty());
    }

    #[test]
    fn log_filter_is_target_level_pairs() {
        let pairs = |raw: &str| config(&[(env::LOG_FILTER.name, raw)]).unwrap().log_filter;
        assert_eq!(
            pairs(" sqlx=warn , billing::api = debug,,my-crate/x.y=error,"),
            [
                ("sqlx".to_owned(), Level::WARN),
                ("billing::api".to_owned(), Level::DEBUG),
                ("my-crate/x.y".to_owned(), Level::ERROR),
            ]
        );
        for level in env::LOG_FILTER.levels {
            let parsed = pairs(&format!("a={level}"));
            assert!(parsed[0].1.as_str().eq_ignore_ascii_case(level), "{level}");
        }
        assert!(pairs(" , ").is_empty());
    }

    #[test]
    fn log_filter_refuses_what_it_cannot_mean() {
        let cases = [
            ("sqlx=verbose", "\"verbose\" is not a level"),
            ("sqlx=trace", "\"trace\" is not a level"),
            ("sqlx=WARN", "\"WARN\" is not a level"),
            ("sqlx=", "\"\" is not a level"),
            ("=warn", "has no target"),
            (" = warn", "has no target"),
            ("sqlx", "has no \"=\""),
            ("sqlx=warn,billing", "has no \"=\""),
            ("sqlx=warn=debug", "is not a level"),
            ("sqlx=warn, sqlx =debug", "\"sqlx\" is given twice"),
        ];
        for (bad, why) in cases {
            let message = error(&[(env::LOG_FILTER.name, bad)]);
            assert!(message.starts_with(env::LOG_FILTER.name), "{message}");
            assert!(message.contains(why), "{bad}: {message}");
            assert!(message.contains(&format!("{bad:?}")), "{message}");
            for level in env::LOG_FILTER.levels {
                assert!(message.contains(level), "{message}");
            }
        }
    }

    #[test]
    fn propagators_are_a_list_of_contract_names() {
        let chosen = |raw: &str| config(&[(OTEL_PROPAGATORS, raw)]).unwrap().propagators;
        assert_eq!(
            chosen(" baggage , tracecontext,,baggage "),
            [propagators::BAGGAGE, propagators::TRACECONTEXT]
        );
        assert_eq!(
            chosen(propagators::TRACECONTEXT),
            [propagators::TRACECONTEXT]
        );
        assert_eq!(chosen(" , "), propagators::DEFAULT);
        assert!(chosen(propagators::NONE).is_empty());
        for bad in ["b3", "tracecontext,jaeger", "none,baggage", "TraceContext"] {
            let message = error(&[(OTEL_PROPAGATORS, bad)]);
            assert!(message.starts_with(OTEL_PROPAGATORS), "{message}");
        }
    }

    #[test]
    fn empty_values_count_as_unset() {
        let all_empty: Vec<_> = [
            env::PORT.name,
            env::METRICS_PORT.name,
            env::LOG_LEVEL.name,
            env::LOG_FILTER.name,
            env::SHUTDOWN_TIMEOUT_MS.name,
            env::SHUTDOWN_DRAIN_DELAY_MS.name,
            env::HTTP_REQUEST_TIMEOUT_MS.name,
            env::HTTP_READ_HEADER_TIMEOUT_MS.name,
            env::HTTP_IDLE_TIMEOUT_MS.name,
            env::HTTP_MAX_BODY_BYTES.name,
            OTEL_SERVICE_NAME,
            OTEL_SDK_DISABLED,
            OTEL_TRACES_EXPORTER,
            OTEL_TRACES_SAMPLER,
            OTEL_EXPORTER_OTLP_ENDPOINT,
            OTEL_PROPAGATORS,
        ]
        .into_iter()
        .map(|name| (name, ""))
        .collect();
        assert_eq!(config(&all_empty).unwrap(), config(&[]).unwrap());
    }

    #[test]
    fn valid_values_are_used() {
        let config = config(&[
            (env::PORT.name, "1"),
            (env::METRICS_PORT.name, "65535"),
            (env::LOG_LEVEL.name, "debug"),
            (env::SHUTDOWN_TIMEOUT_MS.name, "1"),
            (env::SHUTDOWN_DRAIN_DELAY_MS.name, "1500"),
            (env::HTTP_REQUEST_TIMEOUT_MS.name, "250"),
            (env::HTTP_READ_HEADER_TIMEOUT_MS.name, "1"),
            (env::HTTP_IDLE_TIMEOUT_MS.name, "90000"),
            (env::HTTP_MAX_BODY_BYTES.name, "0"),
            (OTEL_SERVICE_NAME, "checkout"),
            (OTEL_SDK_DISABLED, "TRUE"),
            (OTEL_TRACES_EXPORTER, traces_exporter::NONE),
            (OTEL_TRACES_SAMPLER, SAMPLER_VALUES[0]),
        ])
        .unwrap();
        assert_eq!((config.port, config.metrics_port), (1, 65535));
        assert_eq!(config.log_level, Level::DEBUG);
        assert_eq!(config.shutdown_timeout, Duration::from_millis(1));
        assert_eq!(config.shutdown_drain_delay, Duration::from_millis(1500));
        assert_eq!(config.request_timeout, Duration::from_millis(250));
        assert_eq!(config.read_header_timeout, Duration::from_millis(1));
        assert_eq!(config.idle_timeout, Duration::from_secs(90));
        assert_eq!(config.max_body_bytes, 0);
        assert_eq!(config.otel_service_name.as_deref(), Some("checkout"));
        assert!(config.otel_sdk_disabled);
        assert!(!config.export_traces);
    }

    #[test]
    fn every_contract_level_is_accepted() {
        for choice in env::LOG_LEVEL.choices {
            let level = config(&[(env::LOG_LEVEL.name, choice)]).unwrap().log_level;
            assert!(
                level.as_str().eq_ignore_ascii_case(choice),
                "{choice} -> {level}"
            );
        }
    }

    #[test]
    fn ports_must_be_integers_from_1_to_65535() {
        for port in [env::PORT, env::METRICS_PORT] {
            for bad in ["0", "65536", "-1", "http", "80.5", " 80"] {
                let message = error(&[(port.name, bad)]);
                assert!(message.starts_with(port.name), "{message}");
                assert!(message.contains("from 1 to 65535"), "{message}");
                assert!(message.contains(&format!("{bad:?}")), "{message}");
            }
        }
    }

    #[test]
    fn ports_must_differ() {
        let message = error(&[(env::PORT.name, "9000"), (env::METRICS_PORT.name, "9000")]);
        assert!(message.contains(env::PORT.name), "{message}");
        assert!(message.contains(env::METRICS_PORT.name), "{message}");
    }

    #[test]
    fn integers_must_reach_their_minimum() {
        for var in [
            env::SHUTDOWN_TIMEOUT_MS,
            env::SHUTDOWN_DRAIN_DELAY_MS,
            env::HTTP_REQUEST_TIMEOUT_MS,
            env::HTTP_READ_HEADER_TIMEOUT_MS,
            env::HTTP_IDLE_TIMEOUT_MS,
            env::HTTP_MAX_BODY_BYTES,
        ] {
            let below_min = var.min.checked_sub(1).map(|n| n.to_string());
            let bad_values = ["-1", "ten", "1e3", "18446744073709551616"];
            for bad in below_min.iter().map(String::as_str).chain(bad_values) {
                let message = error(&[(var.name, bad)]);
                assert!(message.starts_with(var.name), "{message}");
                assert!(message.contains(&format!(">= {}", var.min)), "{message}");
            }
        }
    }

    #[test]
    fn log_level_must_be_a_lowercase_choice() {
        for bad in ["INFO", "trace", "verbose"] {
            let message = error(&[(env::LOG_LEVEL.name, bad)]);
            assert!(message.starts_with(env::LOG_LEVEL.name), "{message}");
            for choice in env::LOG_LEVEL.choices {
                assert!(message.contains(choice), "{message}");
            }
        }
    }

    #[test]
    fn otel_sdk_disabled_is_a_boolean_in_any_case() {
        for (raw, disabled) in [
            ("true", true),
            ("True", true),
            ("FALSE", false),
            ("false", false),
        ] {
            let config = config(&[(OTEL_SDK_DISABLED, raw)]).unwrap();
            assert_eq!(config.otel_sdk_disabled, disabled, "{raw}");
        }
        for bad in ["1", "yes", "on"] {
            let message = error(&[(OTEL_SDK_DISABLED, bad)]);
            assert!(message.starts_with(OTEL_SDK_DISABLED), "{message}");
            assert!(message.contains("true or false"), "{message}");
            assert!(message.contains(&format!("{bad:?}")), "{message}");
        }
    }

    #[test]
    fn traces_exporter_must_be_a_contract_value() {
        let config = config(&[(OTEL_TRACES_EXPORTER, traces_exporter::OTLP)]).unwrap();
        assert!(config.export_traces);
        for bad in ["jaeger", "console", "NONE"] {
            let message = error(&[(OTEL_TRACES_EXPORTER, bad)]);
            assert!(message.starts_with(OTEL_TRACES_EXPORTER), "{message}");
            for value in traces_exporter::VALUES {
                assert!(message.contains(value), "{message}");
            }
        }
    }

    #[test]
    fn the_sampler_must_be_a_contract_value() {
        for sampler in SAMPLER_VALUES {
            config(&[(OTEL_TRACES_SAMPLER, sampler)]).unwrap();
        }
        for bad in ["always", "ALWAYS_ON", "jaeger_remote"] {
            let message = error(&[(OTEL_TRACES_SAMPLER, bad)]);
            assert!(message.starts_with(OTEL_TRACES_SAMPLER), "{message}");
            assert!(message.contains(SAMPLER_VALUES[0]), "{message}");
        }
    }

    /// The Go template tests the same endpoints: both languages must accept exactly the same ones.
    #[test]
    fn the_collector_endpoint_must_be_an_http_url_with_a_host() {
        let valid = [
            "http://localhost:4318",
            "https://collector.example.com",
            "HTTPS://Collector:4318/", // schemes are case-insensitive
            "http://otel_collector:4318/otlp/v1",
            "http://127.0.0.1:1",
            "http://collector:65535",
            "http://[::1]:4318",
            "https://[2001:db8::1]/",
        ];
        for endpoint in valid {
            if let Err(error) = config(&[(OTEL_EXPORTER_OTLP_ENDPOINT, endpoint)]) {
                panic!("{endpoint}: {error}");
            }
        }
        let invalid = [
            "not a url",
            "ftp://collector:4318",
            "http://",
            "://x",
            "collector:4318",
            "http:collector",
            "httpx://collector",
            " http://collector",
            "http:///v1/traces",
            "http://:4318",
            "http://collector:",
            "http://collector:0",
            "http://collector:65536",
            "http://collector:+80",
            "http://collector:otlp",
            "http://user:secret@collector",
            "http://collector/v1?debug=1",
            "http://collector/v1#top",
            "http://collector/a%20b",
            "http://coll ector",
            "http://bücher.example",
            "http://[::1",
            "http://[127.0.0.1]",
            "http://[fe80::1%25eth0]",
        ];
        for bad in invalid {
            let message = error(&[(OTEL_EXPORTER_OTLP_ENDPOINT, bad)]);
            assert!(
                message.starts_with(OTEL_EXPORTER_OTLP_ENDPOINT),
                "{message}"
            );
            assert!(
                message.contains(&OTLP_ENDPOINT_SCHEMES.join(" or ")),
                "{message}"
            );
            assert!(message.contains(&format!("{bad:?}")), "{message}");
        }
    }
}
