//! `/metrics` in the Prometheus text format (version 0.0.4): requests by route and status,
//! signing latency, the key in service, key reloads, and the process start time. Kept by hand:
//! a handful of counters does not need a metrics library.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::keys::Key;

/// Upper bounds of the signing-latency buckets, in seconds: an RSA-2048 signature takes about
/// a millisecond on one core.
const SIGN_BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.01, 0.025, 0.1, 1.0,
];

pub struct Metrics {
    started_at: u64,
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    sign_buckets: [AtomicU64; SIGN_BUCKETS.len()],
    sign_count: AtomicU64,
    sign_nanos: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    in_flight: AtomicU64,
}

impl Metrics {
    pub fn new(started_at: u64) -> Metrics {
        Metrics {
            started_at,
            requests: Mutex::new(BTreeMap::new()),
            sign_buckets: Default::default(),
            sign_count: AtomicU64::new(0),
            sign_nanos: AtomicU64::new(0),
            reloads_ok: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
        }
    }

    /// A request answered: `route` is one of the service's fixed route names (unknown paths
    /// are counted as one route, so that clients cannot grow the series).
    pub fn request(&self, route: &'static str, status: u16) {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *requests.entry((route, status)).or_insert(0) += 1;
    }

    /// One signature's duration.
    pub fn signed(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        for (bucket, bound) in self.sign_buckets.iter().zip(SIGN_BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.sign_count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sign_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub fn reloaded(&self, ok: bool) {
        let counter = if ok {
            &self.reloads_ok
        } else {
            &self.reloads_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request in flight until the guard is dropped.
    pub fn in_flight(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(&self.in_flight)
    }

    /// The exposition text.
    pub fn render(&self, key: &Key, ready: bool) -> String {
        let mut out = String::with_capacity(4096);
        let o = &mut out;
        let name = family(
            o,
            "layer_identity_http_requests_total",
            "counter",
            "HTTP requests answered, by route and status.",
        );
        for ((route, status), count) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(o, "{name}{{route=\"{route}\",status=\"{status}\"}} {count}");
        }
        let name = family(
            o,
            "layer_identity_http_requests_in_flight",
            "gauge",
            "HTTP requests being answered.",
        );
        let _ = writeln!(o, "{name} {}", self.in_flight.load(Ordering::Relaxed));

        let name = family(
            o,
            "layer_identity_sign_duration_seconds",
            "histogram",
            "Time to sign one identity token.",
        );
        for (bucket, bound) in self.sign_buckets.iter().zip(SIGN_BUCKETS) {
            let count = bucket.load(Ordering::Relaxed);
            let _ = writeln!(o, "{name}_bucket{{le=\"{bound}\"}} {count}");
        }
        let count = self.sign_count.load(Ordering::Relaxed);
        let seconds = self.sign_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(o, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(o, "{name}_sum {seconds}\n{name}_count {count}");

        let name = family(
            o,
            "layer_identity_key_info",
            "gauge",
            "The signing key in service (1): its key ID, provider ID and public key SHA-256.",
        );
        let _ = writeln!(
            o,
            "{name}{{key_id={},provider_id={},public_key_sha256=\"{}\"}} 1",
            label(&key.key_id),
            label(&key.provider_id),
            key.fingerprint
        );
        let name = family(
            o,
            "layer_identity_key_loaded_timestamp_seconds",
            "gauge",
            "When the key in service was loaded, Unix seconds.",
        );
        let _ = writeln!(o, "{name} {}", key.loaded_at);
        let name = family(
            o,
            "layer_identity_key_reloads_total",
            "counter",
            "Key reloads (SIGHUP or a change of the key file), by result.",
        );
        let ok = self.reloads_ok.load(Ordering::Relaxed);
        let failed = self.reloads_failed.load(Ordering::Relaxed);
        let _ = writeln!(
            o,
            "{name}{{result=\"ok\"}} {ok}\n{name}{{result=\"error\"}} {failed}"
        );
        let name = family(
            o,
            "layer_identity_ready",
            "gauge",
            "1 while the service takes requests, 0 while it drains.",
        );
        let _ = writeln!(o, "{name} {}", u8::from(ready));
        let name = family(
            o,
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since the Unix epoch, in seconds.",
        );
        let _ = writeln!(o, "{name} {}", self.started_at);
        out
    }
}

/// Writes a metric family's HELP and TYPE lines; returns its name.
fn family<'a>(out: &mut String, name: &'a str, kind: &str, help: &str) -> &'a str {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    name
}

/// A label value, quoted and escaped as the text format requires.
fn label(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '\n' => quoted.push_str("\\n"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

pub struct InFlight<'a>(&'a AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::new(0);
        metrics.signed(Duration::from_micros(800));
        metrics.signed(Duration::from_millis(4));
        let counts: Vec<u64> = metrics
            .sign_buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        assert_eq!(counts, [0, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    }
}
