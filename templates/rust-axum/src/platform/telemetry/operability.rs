//! The metrics a service reports about itself, whatever it serves: which build is running
//! (`build_info`), what the process costs (CPU, memory, file descriptors) and how busy the tokio
//! runtime is. They go into the registry the OpenTelemetry Prometheus exporter fills, so the
//! metrics path serves one exposition, and a fleet dashboard finds the same names in Go services.

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, Opts, Registry};
use tokio::runtime::Handle;

use crate::platform::contract::operability::{LANGUAGE, build_info, runtime_metrics};
use crate::platform::version::{REVISION, VERSION};

/// Adds `build_info` for `service_name` (the resource's `service.name`), the process metrics
/// (Linux only: they read `/proc`) and, when called inside a tokio runtime, that runtime's
/// metrics. A metric that cannot be registered costs a warning, never the service.
pub(super) fn register(registry: &Registry, service_name: &str) {
    let mut collectors: Vec<prometheus::Result<Box<dyn Collector>>> =
        vec![build_info(service_name).map(|gauge| Box::new(gauge) as _)];
    #[cfg(target_os = "linux")]
    collectors.push(Ok(Box::new(
        prometheus::process_collector::ProcessCollector::for_self(),
    )));
    if let Ok(runtime) = Handle::try_current() {
        collectors.push(RuntimeCollector::new(runtime).map(|collector| Box::new(collector) as _));
    }
    for collector in collectors {
        if let Err(error) = collector.and_then(|collector| registry.register(collector)) {
            tracing::warn!(error = %error, "a metric is not exported");
        }
    }
}

/// A gauge of 1 whose labels name the running build: joined to other series by
/// `service_name`, it tells which version produced them.
fn build_info(service_name: &str) -> prometheus::Result<IntGauge> {
    let [service, version, revision, language] = build_info::LABELS;
    let opts = Opts::new(build_info::NAME, "The running build; always 1.")
        .const_label(service, service_name)
        .const_label(version, VERSION)
        .const_label(revision, REVISION)
        .const_label(language, LANGUAGE);
    let gauge = IntGauge::with_opts(opts)?;
    gauge.set(1);
    Ok(gauge)
}

/// tokio's stable runtime metrics, read when the registry is gathered, so every scrape sees the
/// runtime as it is then (no `tokio_unstable` needed).
#[derive(Debug)]
struct RuntimeCollector {
    runtime: Handle,
    workers: IntGauge,
    alive_tasks: IntGauge,
    global_queue_depth: IntGauge,
}

impl RuntimeCollector {
    fn new(runtime: Handle) -> prometheus::Result<Self> {
        Ok(Self {
            runtime,
            workers: IntGauge::new(
                runtime_metrics::TOKIO_WORKERS,
                "Worker threads of the tokio runtime.",
            )?,
            alive_tasks: IntGauge::new(
                runtime_metrics::TOKIO_ALIVE_TASKS,
                "Tasks spawned on the tokio runtime that have not finished.",
            )?,
            global_queue_depth: IntGauge::new(
                runtime_metrics::TOKIO_GLOBAL_QUEUE_DEPTH,
                "Tasks waiting in the tokio runtime's global queue for a worker.",
            )?,
        })
    }

    fn gauges(&self) -> [&IntGauge; 3] {
        [&self.workers, &self.alive_tasks, &self.global_queue_depth]
    }
}

impl Collector for RuntimeCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.gauges()
            .into_iter()
            .flat_map(Collector::desc)
            .collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let metrics = self.runtime.metrics();
        self.workers.set(gauge_value(metrics.num_workers()));
        self.alive_tasks.set(gauge_value(metrics.num_alive_tasks()));
        self.global_queue_depth
            .set(gauge_value(metrics.global_queue_depth()));
        self.gauges()
            .into_iter()
            .flat_map(Collector::collect)
            .collect()
    }
}

/// Counts fit a gauge's `i64` on every platform tokio runs on; saturating keeps clippy's
/// truncation lint honest anyway.
fn gauge_value(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
