/**
 * Request latency per credential as a Prometheus histogram (`/metrics` of `rekey proxy`):
 * cumulative buckets in seconds, `_sum` and `_count`. For streams the latency is the whole
 * stream (the access log's `milliseconds`). Credential names only.
 */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

interface Series {
  counts: number[];
  sum: number;
  count: number;
}

export interface LatencyHistogram {
  observe(credential: string, milliseconds: number): void;
  text(): string;
}

const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function createLatencyHistogram(): LatencyHistogram {
  const series = new Map<string, Series>();
  return {
    observe(credential, milliseconds) {
      let one = series.get(credential);
      if (one === undefined) {
        one = { counts: LATENCY_BUCKETS_SECONDS.map(() => 0), sum: 0, count: 0 };
        series.set(credential, one);
      }
      const seconds = milliseconds / 1000;
      // Per-bucket counts here; made cumulative when written.
      const index = LATENCY_BUCKETS_SECONDS.findIndex((bound) => seconds <= bound);
      if (index >= 0) one.counts[index] = (one.counts[index] ?? 0) + 1;
      one.sum += seconds;
      one.count += 1;
    },
    text() {
      const lines = ['# HELP rekey_proxy_request_duration_seconds Time from request to the end of the answer (headers for sized answers, the whole stream for streams), by credential.', '# TYPE rekey_proxy_request_duration_seconds histogram'];
      for (const [credential, one] of series) {
        let cumulative = 0;
        LATENCY_BUCKETS_SECONDS.forEach((bound, index) => {
          cumulative += one.counts[index] ?? 0;
          lines.push(`rekey_proxy_request_duration_seconds_bucket{credential="${label(credential)}",le="${bound}"} ${cumulative}`);
        });
        lines.push(`rekey_proxy_request_duration_seconds_bucket{credential="${label(credential)}",le="+Inf"} ${one.count}`);
        lines.push(`rekey_proxy_request_duration_seconds_sum{credential="${label(credential)}"} ${Number(one.sum.toFixed(6))}`);
        lines.push(`rekey_proxy_request_duration_seconds_count{credential="${label(credential)}"} ${one.count}`);
      }
      return lines.join('\n') + '\n';
    },
  };
}
