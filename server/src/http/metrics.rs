//! Request counts and latencies by route, exposed at /metrics in Prometheus' text format.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Default)]
struct RouteStats {
    count_by_status: BTreeMap<u16, u64>,
    bucket_counts: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

#[derive(Clone, Default)]
pub struct Metrics(Arc<Mutex<BTreeMap<(String, String), RouteStats>>>);

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut map) = self.0.lock() else { return };
        let stats = map.entry((method.to_owned(), route.to_owned())).or_default();
        *stats.count_by_status.entry(status).or_default() += 1;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                stats.bucket_counts[i] += 1;
            }
        }
        stats.count += 1;
        stats.sum_seconds += seconds;
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let Ok(map) = self.0.lock() else { return out };
        out.push_str("# HELP parley_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE parley_http_requests_total counter\n");
        for ((method, route), stats) in map.iter() {
            for (status, n) in &stats.count_by_status {
                let _ = writeln!(out, "parley_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}");
            }
        }
        out.push_str("# HELP parley_http_request_duration_seconds HTTP request latency by route.\n");
        out.push_str("# TYPE parley_http_request_duration_seconds histogram\n");
        for ((method, route), stats) in map.iter() {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            for (bound, n) in BUCKETS.iter().zip(stats.bucket_counts) {
                let _ = writeln!(out, "parley_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(out, "parley_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", stats.count);
            let _ = writeln!(out, "parley_http_request_duration_seconds_sum{{{labels}}} {}", stats.sum_seconds);
            let _ = writeln!(out, "parley_http_request_duration_seconds_count{{{labels}}} {}", stats.count);
        }
        out
    }
}

pub async fn measure(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    // The route pattern, not the concrete path, so ids do not explode the label space.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    metrics.record(&method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record("GET", "/healthz", 200, 0.003);
        m.record("GET", "/healthz", 503, 0.2);
        let text = m.render();
        assert!(text.contains("parley_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"));
        assert!(text.contains("parley_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"503\"} 1"));
        assert!(text.contains("parley_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"0.005\"} 1"));
        assert!(text.contains("parley_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"0.25\"} 2"));
        assert!(text.contains("parley_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 2"));
    }
}
