/**
 * Usage metering for the proxy: per credential, key version and virtual token —
 * requests, responses by status code, tokens from `usage`. Counts accumulate in memory
 * and are flushed as deltas to the usage-report store (what the rotation's grace check
 * reads) every few seconds; cumulative totals feed `/metrics`.
 */
import { RekeyError } from '../core/errors.js';
import type { UsageReport } from '../core/types.js';
import type { Store } from '../store/store.js';

export interface MeterKey {
  credentialId: string;
  credential: string;
  version: number;
  token: string;
}

interface Counts {
  requests: number;
  statuses: Map<number, number>;
  inputTokens: number;
  outputTokens: number;
  lastAt: Date;
}

export interface MeterTotals extends MeterKey {
  requests: number;
  statuses: Record<string, number>;
  inputTokens: number;
  outputTokens: number;
}

export interface ProxyMeter {
  request(key: MeterKey, status: number): void;
  tokens(key: MeterKey, inputTokens: number, outputTokens: number): void;
  totals(): MeterTotals[];
  /** Writes the counts gathered since the last flush. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const emptyCounts = (at: Date): Counts => ({ requests: 0, statuses: new Map(), inputTokens: 0, outputTokens: 0, lastAt: at });

export function createProxyMeter(options: { usage: Pick<Store, 'recordUsage'>; now?: () => Date; flushIntervalMilliseconds?: number; onError?: (message: string) => void }): ProxyMeter {
  const now = options.now ?? (() => new Date());
  const keys = new Map<string, MeterKey>();
  const delta = new Map<string, Counts>();
  const total = new Map<string, Counts>();
  let flushing: Promise<void> = Promise.resolve();

  const idOf = (key: MeterKey) => `${key.credentialId}\u0000${key.version}\u0000${key.token}`;
  const countsIn = (map: Map<string, Counts>, id: string) => {
    let counts = map.get(id);
    if (counts === undefined) {
      counts = emptyCounts(now());
      map.set(id, counts);
    }
    return counts;
  };
  const update = (key: MeterKey, change: (counts: Counts) => void) => {
    const id = idOf(key);
    if (!keys.has(id)) keys.set(id, key);
    const at = now();
    for (const counts of [countsIn(delta, id), countsIn(total, id)]) {
      change(counts);
      counts.lastAt = at;
    }
  };

  async function writeDeltas(): Promise<void> {
    if (delta.size === 0) return;
    const entries = [...delta.entries()];
    delta.clear();
    const reports: UsageReport[] = [];
    for (const [id, counts] of entries) {
      const key = keys.get(id);
      if (key === undefined) continue;
      const byClass = (low: number) => [...counts.statuses].filter(([status]) => status >= low && status < low + 100).reduce((sum, [, count]) => sum + count, 0);
      reports.push({
        credentialId: key.credentialId,
        versionNumber: key.version,
        source: 'proxy',
        consumer: key.token,
        at: counts.lastAt,
        requests: counts.requests,
        status2xx: byClass(200),
        status4xx: byClass(400),
        status5xx: byClass(500),
        inputTokens: counts.inputTokens,
        outputTokens: counts.outputTokens,
      });
    }
    try {
      await options.usage.recordUsage(reports);
    } catch (error) {
      // Keep the counts for the next flush rather than lose them.
      for (const [id, counts] of entries) {
        const into = countsIn(delta, id);
        // Keep when the traffic happened: a retried flush must not make old traffic look recent.
        if (into.requests === 0 && into.inputTokens === 0 && into.outputTokens === 0) into.lastAt = counts.lastAt;
        into.requests += counts.requests;
        into.inputTokens += counts.inputTokens;
        into.outputTokens += counts.outputTokens;
        for (const [status, count] of counts.statuses) into.statuses.set(status, (into.statuses.get(status) ?? 0) + count);
      }
      // rekey errors are value-free by contract; anything else is reported by kind only.
      options.onError?.(`usage flush failed: ${error instanceof RekeyError ? error.message : (error as Error).name}`);
    }
  }

  const timer = setInterval(() => void meter.flush(), options.flushIntervalMilliseconds ?? 2_000);
  timer.unref();

  const meter: ProxyMeter = {
    request(key, status) {
      update(key, (counts) => {
        counts.requests += 1;
        counts.statuses.set(status, (counts.statuses.get(status) ?? 0) + 1);
      });
    },
    tokens(key, inputTokens, outputTokens) {
      update(key, (counts) => {
        counts.inputTokens += inputTokens;
        counts.outputTokens += outputTokens;
      });
    },
    totals() {
      return [...total.entries()].flatMap(([id, counts]) => {
        const key = keys.get(id);
        return key === undefined
          ? []
          : [{ ...key, requests: counts.requests, statuses: Object.fromEntries([...counts.statuses].map(([status, count]) => [String(status), count])), inputTokens: counts.inputTokens, outputTokens: counts.outputTokens }];
      });
    },
    flush() {
      flushing = flushing.then(writeDeltas);
      return flushing;
    },
    async close() {
      clearInterval(timer);
      await meter.flush();
    },
  };
  return meter;
}
