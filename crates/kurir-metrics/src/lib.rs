//! kurir's metrics, in the Prometheus/OpenMetrics text format, served at `/metrics`.
//!
//! One [`Metrics`] per process, made by `kurir serve` and handed to the store (its writer), the engine (attempts,
//! outcome writes) and the API (publishes, inbound requests). What is a count of rows in the database (the queue,
//! open circuits, disabled endpoints) is read from the store when `/metrics` is scraped and passed to
//! [`Metrics::encode`] as [`StoreGauges`], so every node reports the same shared figures.
//!
//! Labels stay few: a dialect, an outcome, a verdict, and for inbound requests the tenant and the source's name
//! (never its id, which is the secret part of its URL).

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    /// `succeeded`, `retrying` or `dead`: where the attempt left its delivery.
    pub outcome: String,
    pub dialect: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DialectLabels {
    pub dialect: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct InboundLabels {
    pub tenant: String,
    /// The source's name (its id is the secret part of the URL a vendor posts to).
    pub source: String,
    /// `accepted`, `duplicate` or `refused`.
    pub verdict: String,
}

/// Figures read from the store at scrape time: shared by every node of a database.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StoreGauges {
    /// Deliveries not finished: pending, retrying or in flight.
    pub queued: i64,
    /// How long the oldest due delivery has waited past its due time, in seconds (0 when none is due).
    pub oldest_due_age_secs: f64,
    pub circuits_open: i64,
    pub endpoints_disabled: i64,
}

pub struct Metrics {
    registry: Registry,
    deliveries: Family<DeliveryLabels, Counter>,
    attempt_seconds: Family<DialectLabels, Histogram>,
    published: Counter,
    publish_seconds: Histogram,
    inbound: Family<InboundLabels, Counter>,
    commit_jobs: Histogram,
    commit_seconds: Histogram,
    commit_second_passes: Counter,
    outcome_batch: Histogram,
    outcome_write_seconds: Histogram,
    queued: Gauge,
    oldest_due_age: Gauge<f64, std::sync::atomic::AtomicU64>,
    circuits_open: Gauge,
    endpoints_disabled: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics(..)")
    }
}

/// Seconds from 0.5 ms to about 33 s, doubling.
fn seconds() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 17))
}

/// Counts from 1 to 512, doubling.
fn sizes() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 10))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("kurir");
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "deliveries",
            "Attempts by the state they left their delivery in, and dialect",
            deliveries.clone(),
        );
        let attempt_seconds = Family::<DialectLabels, Histogram>::new_with_constructor(seconds as fn() -> Histogram);
        registry.register(
            "attempt_duration_seconds",
            "How long each attempt took, by dialect",
            attempt_seconds.clone(),
        );
        let published = Counter::default();
        registry.register("events_published", "Events published and stored", published.clone());
        let publish_seconds = seconds();
        registry.register(
            "publish_duration_seconds",
            "Time to answer a publish, the commit included",
            publish_seconds.clone(),
        );
        let inbound = Family::<InboundLabels, Counter>::default();
        registry.register("inbound_requests", "Requests vendors posted to sources, by verdict", inbound.clone());
        let commit_jobs = sizes();
        registry.register("store_commit_jobs", "Writes in each group commit of the SQLite writer", commit_jobs.clone());
        let commit_seconds = seconds();
        registry.register(
            "store_commit_duration_seconds",
            "Time of each group commit of the SQLite writer",
            commit_seconds.clone(),
        );
        let commit_second_passes = Counter::default();
        registry.register(
            "store_commit_second_passes",
            "Group commits of the SQLite writer in which a job failed, so that every job ran again in a savepoint",
            commit_second_passes.clone(),
        );
        let outcome_batch = sizes();
        registry.register(
            "outcome_batch_size",
            "Attempt outcomes written back in one store call",
            outcome_batch.clone(),
        );
        let outcome_write_seconds = seconds();
        registry.register(
            "outcome_write_duration_seconds",
            "Time of a dispatcher turn that wrote outcomes back (with its claim and the next due time)",
            outcome_write_seconds.clone(),
        );
        let queued = Gauge::default();
        registry.register("queue_depth", "Deliveries not yet finished (pending, retrying, in flight)", queued.clone());
        let oldest_due_age = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "queue_oldest_due_age_seconds",
            "How long the oldest due delivery has waited past its due time",
            oldest_due_age.clone(),
        );
        let circuits_open = Gauge::default();
        registry.register("circuits_open", "Endpoints whose circuit breaker is open or probing", circuits_open.clone());
        let endpoints_disabled = Gauge::default();
        registry.register(
            "endpoints_disabled",
            "Endpoints disabled (by hand, or by a 410)",
            endpoints_disabled.clone(),
        );
        Metrics {
            registry,
            deliveries,
            attempt_seconds,
            published,
            publish_seconds,
            inbound,
            commit_jobs,
            commit_seconds,
            commit_second_passes,
            outcome_batch,
            outcome_write_seconds,
            queued,
            oldest_due_age,
            circuits_open,
            endpoints_disabled,
        }
    }

    /// One attempt: where it left its delivery (`succeeded`, `retrying`, `dead`), its dialect, how long it took.
    pub fn attempt(&self, outcome: &str, dialect: &str, took: Duration) {
        let labels = DeliveryLabels { outcome: outcome.to_owned(), dialect: dialect.to_owned() };
        self.deliveries.get_or_create(&labels).inc();
        self.attempt_seconds.get_or_create(&DialectLabels { dialect: dialect.to_owned() }).observe(took.as_secs_f64());
    }

    /// A publish of `events` events, answered after `took`.
    pub fn published(&self, events: u64, took: Duration) {
        self.published.inc_by(events);
        self.publish_seconds.observe(took.as_secs_f64());
    }

    /// A request a vendor posted to a source, and what kurir made of it.
    pub fn inbound(&self, tenant: &str, source: &str, verdict: &str) {
        let labels =
            InboundLabels { tenant: tenant.to_owned(), source: source.to_owned(), verdict: verdict.to_owned() };
        self.inbound.get_or_create(&labels).inc();
    }

    /// One group commit of the SQLite writer, and whether its jobs ran a second time (one of them failed).
    pub fn commit(&self, jobs: usize, took: Duration, ran_again: bool) {
        self.commit_jobs.observe(jobs as f64);
        self.commit_seconds.observe(took.as_secs_f64());
        if ran_again {
            self.commit_second_passes.inc();
        }
    }

    /// One write of attempt outcomes.
    pub fn outcomes_written(&self, count: usize, took: Duration) {
        self.outcome_batch.observe(count as f64);
        self.outcome_write_seconds.observe(took.as_secs_f64());
    }

    /// The text exposition, with the store's figures as of now.
    pub fn encode(&self, store: StoreGauges) -> String {
        self.queued.set(store.queued);
        self.oldest_due_age.set(store.oldest_due_age_secs);
        self.circuits_open.set(store.circuits_open);
        self.endpoints_disabled.set(store.endpoints_disabled);
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, start: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(start))
    }

    #[test]
    fn recorded_figures_appear_in_the_text() {
        let metrics = Metrics::new();
        metrics.attempt("succeeded", "standard", Duration::from_millis(3));
        metrics.attempt("succeeded", "standard", Duration::from_millis(3));
        metrics.attempt("dead", "zort", Duration::from_millis(3));
        metrics.published(5, Duration::from_millis(1));
        metrics.inbound("acme", "pos", "refused");
        metrics.commit(3, Duration::from_millis(1), true);
        metrics.commit(3, Duration::from_millis(1), false);
        let text = metrics.encode(StoreGauges {
            queued: 7,
            oldest_due_age_secs: 1.5,
            circuits_open: 1,
            endpoints_disabled: 2,
        });
        assert_eq!(
            line(&text, "kurir_deliveries_total{outcome=\"succeeded\",dialect=\"standard\"}"),
            Some("kurir_deliveries_total{outcome=\"succeeded\",dialect=\"standard\"} 2")
        );
        assert!(line(&text, "kurir_deliveries_total{outcome=\"dead\",dialect=\"zort\"} 1").is_some(), "{text}");
        assert!(line(&text, "kurir_events_published_total 5").is_some(), "{text}");
        assert!(
            line(&text, "kurir_inbound_requests_total{tenant=\"acme\",source=\"pos\",verdict=\"refused\"} 1").is_some()
        );
        assert!(line(&text, "kurir_queue_depth 7").is_some());
        assert!(line(&text, "kurir_store_commit_second_passes_total 1").is_some(), "{text}");
        assert!(line(&text, "kurir_store_commit_jobs_count 2").is_some(), "{text}");
        assert!(line(&text, "kurir_queue_oldest_due_age_seconds 1.5").is_some());
        assert!(line(&text, "kurir_attempt_duration_seconds_count{dialect=\"standard\"} 2").is_some(), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }
}
