/**
 * "Who still uses key version N?" — the interface the rotation's grace step reads
 * (DESIGN.md §3 step 6). Two sources feed it: the proxy's metering (one observation per
 * virtual token) and SDK check-ins (one per application read token and instance).
 *
 * Reports are aggregated per minute, so `observations(…, since)` counts requests from the
 * minute that contains `since` onwards. Within a minute, once a consumer reported requests,
 * its time moves only with reports that carry requests, so `lastUsedAt` is the last use
 * (SDKs send the time of their last use; the proxy the time of its last request).
 */

import type { UsageReport, UsageSource } from '../store/usage-report-types.js';

export type { UsageReport, UsageSource };

export interface UsageObservation {
  source: UsageSource;
  /** The virtual token's or read token's name, plus `/<instance>` when an SDK instance named itself. */
  consumer: string;
  /** The latest report from this consumer about this version (a check-in may only say it holds the key). */
  lastSeenAt: Date;
  /** When it last used this version (the latest report with requests), or null: it only held the key. */
  lastUsedAt: Date | null;
  /** Requests made with this version since `since` (0 means the consumer only held the key). */
  requests: number;
}

/** What the rotation engine's grace check reads. */
export interface UsageReportSource {
  observations(credentialId: string, versionNumber: number, since: Date): Promise<UsageObservation[]>;
}

/** Where reports are kept: SQL tables (migration 2) or memory (tests, `rekey proxy` without a store). */
export interface UsageReportStore extends UsageReportSource {
  record(reports: readonly UsageReport[]): Promise<void>;
}

export const USAGE_BUCKET_MILLISECONDS = 60_000;

export function usageBucketOf(at: Date): number {
  return Math.floor(at.getTime() / USAGE_BUCKET_MILLISECONDS) * USAGE_BUCKET_MILLISECONDS;
}

/** Reports kept in memory, aggregated the same way as the SQL store. */
export function createMemoryUsageReportStore(): UsageReportStore & { all(): UsageReport[] } {
  const rows = new Map<string, UsageReport & { bucket: number }>();
  return {
    async record(reports) {
      for (const report of reports) {
        const bucket = usageBucketOf(report.at);
        const key = JSON.stringify([report.credentialId, report.versionNumber, report.source, report.consumer, bucket]);
        const existing = rows.get(key);
        if (existing === undefined) {
          rows.set(key, { ...report, bucket });
          continue;
        }
        // Same rule as the SQL upsert: once the row has requests, only reports with requests move its time.
        if (report.at > existing.at && (report.requests > 0 || existing.requests === 0)) existing.at = report.at;
        existing.requests += report.requests;
        existing.status2xx += report.status2xx;
        existing.status4xx += report.status4xx;
        existing.status5xx += report.status5xx;
        existing.inputTokens += report.inputTokens;
        existing.outputTokens += report.outputTokens;
      }
    },
    async observations(credentialId, versionNumber, since) {
      return mergeObservations(
        [...rows.values()]
          .filter((row) => row.credentialId === credentialId && row.versionNumber === versionNumber && row.bucket >= usageBucketOf(since))
          .map((row) => ({ source: row.source, consumer: row.consumer, lastSeenAt: row.at, lastUsedAt: row.requests > 0 ? row.at : null, requests: row.requests })),
      );
    },
    all: () => [...rows.values()].map(({ bucket: _bucket, ...report }) => report),
  };
}

/** One observation per (source, consumer): requests summed, latest time kept; most recent first. */
export function mergeObservations(items: readonly UsageObservation[]): UsageObservation[] {
  const merged = new Map<string, UsageObservation>();
  for (const item of items) {
    const key = `${item.source}\u0000${item.consumer}`;
    const existing = merged.get(key);
    if (existing === undefined) merged.set(key, { ...item });
    else {
      existing.requests += item.requests;
      if (item.lastSeenAt > existing.lastSeenAt) existing.lastSeenAt = item.lastSeenAt;
      if (item.lastUsedAt !== null && (existing.lastUsedAt === null || item.lastUsedAt > existing.lastUsedAt)) existing.lastUsedAt = item.lastUsedAt;
    }
  }
  return [...merged.values()].sort((left, right) => right.lastSeenAt.getTime() - left.lastSeenAt.getTime());
}
