//! OpenTelemetry: a tracer provider that exports over OTLP, configured only by the standard
//! `OTEL_*` variables (endpoint, headers, timeout, sampler, batching), and a meter provider that
//! the metrics server reads in Prometheus format, next to the service's build, process and
//! runtime metrics.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::metrics::{Histogram, MeterProvider as _};
use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{KeyValue, global};
use opentelemetry_otlp::{ExporterBuildError, RetryPolicy, WithHttpConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::resource::{EnvResourceDetector, TelemetryResourceDetector};
use opentelemetry_sdk::trace::{
    SdkTracer, SdkTracerProvider, SpanData, SpanExporter, TracerProviderBuilder,
};
use prometheus::Registry;
use tokio::sync::oneshot;

use crate::platform::config::Config;
use crate::platform::contract::logging::{event, message};
use crate::platform::contract::metrics::request_duration;
use crate::platform::contract::operability::VERSION_ATTRIBUTE;
use crate::platform::contract::trace::{EXPORT_RETRY_INITIAL, EXPORT_RETRY_STATUSES, propagators};
use crate::platform::version::VERSION;

use super::operability;

/// The OpenTelemetry providers of the process, and the registry the metrics server reads;
/// without them (`OTEL_SDK_DISABLED`) nothing is recorded and the metrics registry stays empty,
/// `build_info` and the process and runtime metrics included.
#[derive(Debug)]
pub struct Telemetry {
    providers: Option<Providers>,
    registry: Registry,
}

#[derive(Debug)]
struct Providers {
    tracer: SdkTracerProvider,
    meter: SdkMeterProvider,
    requests: RequestTelemetry,
}

/// What the HTTP middleware records each request with.
#[derive(Clone, Debug)]
pub struct RequestTelemetry {
    pub tracer: SdkTracer,
    /// Reads the parent span (and baggage) from the request's headers, in the formats
    /// `OTEL_PROPAGATORS` names.
    pub propagator: Arc<TextMapCompositePropagator>,
    /// The request-duration histogram, in seconds.
    pub duration: Histogram<f64>,
}

impl Telemetry {
    /// The providers for the service named `service`, as the configuration asks. They are also
    /// installed as OpenTelemetry's globals, with the propagators `OTEL_PROPAGATORS` names, so
    /// handler code can start child spans with `opentelemetry::global::tracer` (or `tracing`
    /// spans, through [`Telemetry::tracer`]) and pass the trace on to what it calls.
    ///
    /// Nothing connects to the collector here: a missing collector costs failed exports later
    /// (logged once per batch), never a failed startup.
    ///
    /// # Errors
    /// When the OTLP exporter rejects its `OTEL_EXPORTER_OTLP_*` configuration.
    pub fn from_config(service: &'static str, config: &Config) -> Result<Self, ExporterBuildError> {
        if config.otel_sdk_disabled {
            return Ok(Self::disabled());
        }
        // Sampler and batching come from OTEL_TRACES_SAMPLER and OTEL_BSP_*, read by the SDK.
        let mut tracer = SdkTracerProvider::builder();
        if config.export_traces {
            // The exporter's own retry would also retry a refused connection, batch after batch,
            // which holds up the exit when no collector listens: LoggedExporter retries instead.
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_retry_policy(RetryPolicy::disabled())
                .build()?;
            tracer = tracer.with_batch_exporter(LoggedExporter(exporter));
        }
        Ok(Self::global(service, config, tracer))
    }

    /// What [`Telemetry::from_config`] builds, OpenTelemetry's globals included, with spans going
    /// to `exporter` as soon as they end instead of over OTLP: for tests of what application
    /// code gets from the globals.
    pub fn from_config_with_exporter(
        service: &'static str,
        config: &Config,
        exporter: impl SpanExporter + 'static,
    ) -> Self {
        if config.otel_sdk_disabled {
            return Self::disabled();
        }
        let tracer = SdkTracerProvider::builder().with_simple_exporter(exporter);
        Self::global(service, config, tracer)
    }

    /// The providers, installed as OpenTelemetry's globals with the configured propagators.
    fn global(service: &'static str, config: &Config, tracer: TracerProviderBuilder) -> Self {
        let service_name = config
            .otel_service_name
            .clone()
            .unwrap_or_else(|| service.to_owned());
        let registry = Registry::new();
        let propagate = || propagator(&config.propagators);
        let providers = Providers::new(service, service_name, tracer, propagate(), &registry);
        global::set_tracer_provider(providers.tracer.clone());
        global::set_meter_provider(providers.meter.clone());
        global::set_text_map_propagator(propagate());
        Self {
            providers: Some(providers),
            registry,
        }
    }

    /// Providers whose spans go to `exporter` as soon as they end, with the default propagators
    /// and leaving OpenTelemetry's globals alone; for tests.
    pub fn with_span_exporter(
        service: &'static str,
        exporter: impl SpanExporter + 'static,
    ) -> Self {
        let tracer = SdkTracerProvider::builder().with_simple_exporter(exporter);
        let registry = Registry::new();
        let propagator = propagator(propagators::DEFAULT);
        let providers = Providers::new(service, service.to_owned(), tracer, propagator, &registry);
        Self {
            providers: Some(providers),
            registry,
        }
    }

    /// No providers: nothing is traced or measured.
    #[must_use]
    pub fn disabled() -> Self {
        Self {
            providers: None,
            registry: Registry::new(),
        }
    }

    /// The instruments for HTTP requests; `None` when the SDK is disabled.
    #[must_use]
    pub fn requests(&self) -> Option<RequestTelemetry> {
        self.providers
            .as_ref()
            .map(|providers| providers.requests.clone())
    }

    /// The tracer of the service's own spans, for the logger to export `tracing` spans with;
    /// `None` when the SDK is disabled.
    #[must_use]
    pub fn tracer(&self) -> Option<SdkTracer> {
        self.providers
            .as_ref()
            .map(|providers| providers.requests.tracer.clone())
    }

    /// The metrics, for the metrics server.
    #[must_use]
    pub fn registry(&self) -> Registry {
        self.registry.clone()
    }

    /// Exports the spans still pending and stops the providers, giving up after `budget`.
    ///
    /// # Errors
    /// When spans could not be exported, or the budget ran out ([`OTelSdkError::Timeout`]).
    pub async fn shutdown(self, budget: Duration) -> OTelSdkResult {
        let Some(providers) = self.providers else {
            return Ok(());
        };
        // The SDK blocks while it exports. A thread of our own, unlike spawn_blocking, cannot
        // hold up the process's exit when the collector hangs.
        let (done, result) = oneshot::channel();
        std::thread::spawn(move || {
            let traces = providers.tracer.shutdown_with_timeout(budget);
            let metrics = providers.meter.shutdown_with_timeout(budget);
            let _ = done.send(traces.and(metrics));
        });
        match tokio::time::timeout(budget, result).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(OTelSdkError::InternalFailure(
                "the telemetry shutdown panicked".into(),
            )),
            Err(_) => Err(OTelSdkError::Timeout(budget)),
        }
    }
}

impl Providers {
    /// `scope` names the instrumentation (the service's code), `service_name` is the resource's
    /// `service.name`; the metrics are gathered into `registry`, with the service's build,
    /// process and runtime metrics.
    fn new(
        scope: &'static str,
        service_name: String,
        tracer: TracerProviderBuilder,
        propagator: TextMapCompositePropagator,
        registry: &Registry,
    ) -> Self {
        // build_info's service_name is the resource's service.name.
        operability::register(registry, &service_name);
        let resource = resource(service_name);
        let tracer = tracer.with_resource(resource.clone()).build();
        // Exactly the contract's series: no otel_scope_* labels, no target_info.
        let prometheus = opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            .without_target_info()
            .scope_info_enabled(false)
            .build();
        let mut meter = SdkMeterProvider::builder().with_resource(resource);
        match prometheus {
            Ok(reader) => meter = meter.with_reader(reader),
            // Only when the registry refuses the exporter, which a new registry does not.
            Err(error) => tracing::warn!(error = %error, "metrics are not exported"),
        }
        let meter = meter.build();
        let duration = meter
            .meter(scope)
            .f64_histogram(request_duration::NAME)
            .with_unit(request_duration::UNIT)
            .with_boundaries(request_duration::BUCKETS.to_vec())
            .build();
        let requests = RequestTelemetry {
            tracer: tracer.tracer(scope),
            propagator: Arc::new(propagator),
            duration,
        };
        Self {
            tracer,
            meter,
            requests,
        }
    }
}

/// The propagators `names` lists (the contract's names, as `Config` read them), in that order;
/// none for an empty list.
fn propagator(names: &[&str]) -> TextMapCompositePropagator {
    let chosen = names
        .iter()
        .filter_map(|name| -> Option<Box<dyn TextMapPropagator + Send + Sync>> {
            match *name {
                propagators::TRACECONTEXT => Some(Box::new(TraceContextPropagator::new())),
                propagators::BAGGAGE => Some(Box::new(BaggagePropagator::new())),
                _ => None,
            }
        })
        .collect();
    TextMapCompositePropagator::new(chosen)
}

/// `service.name` is `service_name` (the contract: `OTEL_SERVICE_NAME` or the service's own name,
/// whatever `OTEL_RESOURCE_ATTRIBUTES` says) and `service.version` the version `--version`
/// prints, so that every span names the build that made it; that variable adds the other
/// attributes, and `telemetry.sdk.*` describe the SDK.
fn resource(service_name: String) -> Resource {
    Resource::builder_empty()
        .with_detectors(&[
            Box::new(TelemetryResourceDetector),
            Box::new(EnvResourceDetector::new()),
        ])
        .with_service_name(service_name)
        .with_attribute(KeyValue::new(VERSION_ATTRIBUTE, VERSION))
        .build()
}

/// An exporter that logs each failed export: one warning per batch, never per span.
#[derive(Debug)]
struct LoggedExporter<E>(E);

/// How many times a batch the collector refused for now is sent again.
const EXPORT_RETRIES: u32 = 3;

impl<E: SpanExporter> SpanExporter for LoggedExporter<E> {
    /// A batch the collector refuses for now (one of the contract's retry statuses) is sent again,
    /// `EXPORT_RETRIES` times at most, with waits doubling from the contract's initial one; at
    /// shutdown the flush's budget cuts this short. Any other failure, a refused connection
    /// included, costs the batch at once, so a missing collector never holds up the exit.
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut wait = EXPORT_RETRY_INITIAL;
        let mut result = self.0.export(batch.clone()).await;
        for _ in 0..EXPORT_RETRIES {
            match &result {
                Err(error) if collector_busy(error) => pause(wait).await,
                _ => break,
            }
            wait *= 2;
            result = self.0.export(batch.clone()).await;
        }
        if let Err(error) = &result {
            tracing::warn!({ event::ERROR } = %error, "{}", message::SPAN_EXPORT_FAILED);
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

/// Whether the collector answered one of the contract's retry statuses: the OTLP exporter says
/// so only in its error's text ("... status code: 503").
fn collector_busy(error: &OTelSdkError) -> bool {
    let text = error.to_string();
    EXPORT_RETRY_STATUSES
        .iter()
        .any(|status| text.ends_with(&format!("status code: {status}")))
}

/// Waits `duration`: on the runtime when there is one, else by blocking the thread (the batch
/// processor exports on a thread of its own).
async fn pause(duration: Duration) {
    if tokio::runtime::Handle::try_current().is_ok() {
        tokio::time::sleep(duration).await;
    } else {
        std::thread::sleep(duration);
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::{Key, Value};

    use super::*;

    #[test]
    fn the_resource_names_the_service_its_version_and_the_sdk() {
        let resource = resource("checkout".to_owned());
        assert_eq!(
            resource.get(&Key::new("service.name")),
            Some(Value::from("checkout"))
        );
        assert_eq!(
            resource.get(&Key::new(VERSION_ATTRIBUTE)),
            Some(Value::from(env!("CARGO_PKG_VERSION")))
        );
        assert!(resource.get(&Key::new("telemetry.sdk.name")).is_some());
    }

    /// Fails each export with the next of `answers` (their text), then succeeds; counts calls.
    #[derive(Debug, Default)]
    struct Collector {
        answers: std::sync::Mutex<Vec<&'static str>>,
        calls: std::sync::atomic::AtomicUsize,
    }

    impl SpanExporter for &Collector {
        async fn export(&self, _: Vec<SpanData>) -> OTelSdkResult {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut answers = self.answers.lock().unwrap();
            if answers.is_empty() {
                return Ok(());
            }
            Err(OTelSdkError::InternalFailure(answers.remove(0).to_owned()))
        }
    }

    fn export_with(answers: Vec<&'static str>) -> (OTelSdkResult, usize) {
        let collector = Collector {
            answers: std::sync::Mutex::new(answers),
            ..Collector::default()
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let result = runtime.block_on(LoggedExporter(&collector).export(Vec::new()));
        (result, collector.calls.into_inner())
    }

    #[test]
    fn a_busy_collector_gets_the_batch_again() {
        let busy = vec![
            "HTTP export failed with status code: 503",
            "HTTP export failed with status code: 429",
        ];
        let (result, calls) = export_with(busy);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(calls, 3);
    }

    #[test]
    fn other_failures_cost_the_batch_at_once() {
        for answer in [
            "HTTP export failed: network error",
            "HTTP export failed with status code: 400",
        ] {
            let (result, calls) = export_with(vec![answer]);
            assert!(result.is_err(), "{answer}");
            assert_eq!(calls, 1, "{answer}");
        }
    }

    #[test]
    fn retries_end() {
        let (result, calls) = export_with(vec!["HTTP export failed with status code: 503"; 10]);
        assert!(result.is_err());
        assert_eq!(calls, 1 + EXPORT_RETRIES as usize);
    }
}
