//! Which lines and spans pass: `LOG_LEVEL` for every target, `LOG_FILTER`'s levels for the
//! targets its pairs cover, and OpenTelemetry's own diagnostics never below WARN.
//!
//! The decision depends on a callsite's target and level only, so it is made once per callsite
//! and cached by `tracing` (`Interest::always` or `never`): a disabled `debug!` costs a load and
//! a branch, however many pairs there are. Records of the `log` crate share one callsite per
//! level; each is checked by its own target in [`LogLevels::enabled`].

use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Prefix of the targets of OpenTelemetry's own diagnostics (`opentelemetry`,
/// `opentelemetry_sdk`, ...), which are chatter below WARN, and whose spans would otherwise feed
/// the exports they are about. A plain prefix, unlike `LOG_FILTER`'s targets.
const OTEL_TARGETS: &str = "opentelemetry";

/// `LOG_LEVEL` and `LOG_FILTER` as one filter, the process's only one.
#[derive(Clone, Debug)]
pub struct LogLevels {
    default: LevelFilter,
    /// `LOG_FILTER`'s pairs, longest target first: the first that covers a target is the
    /// longest match.
    pairs: Vec<(String, LevelFilter)>,
}

impl LogLevels {
    /// `level` for every target, and each pair's level for the targets it covers.
    #[must_use]
    pub fn new(level: Level, pairs: &[(String, Level)]) -> Self {
        let mut pairs: Vec<(String, LevelFilter)> = pairs
            .iter()
            .map(|(target, level)| (target.clone(), LevelFilter::from_level(*level)))
            .collect();
        pairs.sort_by_key(|(target, _)| std::cmp::Reverse(target.len()));
        Self {
            default: LevelFilter::from_level(level),
            pairs,
        }
    }

    /// The most verbose level any target gets: what the `log` crate is told to pass on.
    #[must_use]
    pub fn max_level(&self) -> LevelFilter {
        self.pairs
            .iter()
            .map(|(_, level)| *level)
            .fold(self.default, LevelFilter::max)
    }

    /// The minimum level of `target`: the longest pair that covers it, else `LOG_LEVEL`.
    #[must_use]
    pub fn level_for(&self, target: &str) -> LevelFilter {
        let level = self
            .pairs
            .iter()
            .find(|(prefix, _)| covers(prefix, target))
            .map_or(self.default, |(_, level)| *level);
        if target.starts_with(OTEL_TARGETS) {
            level.min(LevelFilter::WARN)
        } else {
            level
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.level_for(metadata.target()) >= *metadata.level()
    }
}

impl From<Level> for LogLevels {
    fn from(level: Level) -> Self {
        Self::new(level, &[])
    }
}

/// Whether the pair for `prefix` covers `target`: the target itself, and every target below it
/// (`prefix::x`, `prefix/x`, `prefix.x`), but not `prefixx`.
fn covers(prefix: &str, target: &str) -> bool {
    target.strip_prefix(prefix).is_some_and(|rest| {
        rest.is_empty() || rest.starts_with("::") || rest.starts_with(['/', '.'])
    })
}

impl<S: Subscriber> Layer<S> for LogLevels {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.enabled(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    /// Asked for what the callsite cache does not answer: `log` records, with their own target.
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.enabled(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.max_level())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(default: Level, pairs: &[(&str, Level)]) -> LogLevels {
        let pairs: Vec<(String, Level)> = pairs
            .iter()
            .map(|(target, level)| ((*target).to_owned(), *level))
            .collect();
        LogLevels::new(default, &pairs)
    }

    #[test]
    fn a_pair_covers_its_target_and_every_target_below_it() {
        let levels = levels(Level::INFO, &[("billing", Level::DEBUG)]);
        for covered in ["billing", "billing::api", "billing/api", "billing.api"] {
            assert_eq!(levels.level_for(covered), LevelFilter::DEBUG, "{covered}");
        }
        for other in [
            "bill",
            "billings",
            "billing_v2",
            "billing:api",
            "app::billing",
            "",
        ] {
            assert_eq!(levels.level_for(other), LevelFilter::INFO, "{other}");
        }
    }

    #[test]
    fn the_longest_match_wins_whatever_the_order() {
        let pairs = [
            ("sqlx", Level::WARN),
            ("sqlx::query", Level::DEBUG),
            ("sqlx::query::slow", Level::ERROR),
        ];
        let mut reversed = pairs;
        reversed.reverse();
        for levels in [levels(Level::INFO, &pairs), levels(Level::INFO, &reversed)] {
            assert_eq!(levels.level_for("sqlx::pool"), LevelFilter::WARN);
            assert_eq!(levels.level_for("sqlx::query"), LevelFilter::DEBUG);
            assert_eq!(levels.level_for("sqlx::query::x"), LevelFilter::DEBUG);
            assert_eq!(levels.level_for("sqlx::query::slow"), LevelFilter::ERROR);
            assert_eq!(levels.level_for("hyper"), LevelFilter::INFO);
        }
    }

    #[test]
    fn opentelemetry_never_goes_below_warn() {
        let levels = levels(
            Level::DEBUG,
            &[
                ("opentelemetry_sdk", Level::DEBUG),
                ("opentelemetry_otlp", Level::ERROR),
            ],
        );
        assert_eq!(levels.level_for("opentelemetry"), LevelFilter::WARN);
        assert_eq!(
            levels.level_for("opentelemetry_sdk::trace"),
            LevelFilter::WARN
        );
        assert_eq!(levels.level_for("opentelemetry_otlp"), LevelFilter::ERROR);
    }

    #[test]
    fn the_max_level_is_the_most_verbose_of_all() {
        assert_eq!(LogLevels::from(Level::WARN).max_level(), LevelFilter::WARN);
        let levels = levels(Level::WARN, &[("a", Level::ERROR), ("b", Level::DEBUG)]);
        assert_eq!(levels.max_level(), LevelFilter::DEBUG);
    }
}
