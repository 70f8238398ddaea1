/**
 * Usage reports (migration 2): one row per credential, key version, source, consumer
 * and minute, upserted by adding counts, so many proxy instances can report at once. Once a
 * row has requests, only reports with requests move its time (so it is the last use).
 */
import { usageMinuteOf, type UsageChannel } from '../../core/types.js';
import type { Store } from '../store.js';
import type { SqlStoreContext } from './sql-credential-queries.js';
import { toDate, toOptionalDate, type Row } from './sql-rows.js';

type UsageMethods = Pick<Store, 'recordUsage' | 'listConsumerUsage'>;

const bucketOf = (at: Date) => new Date(usageMinuteOf(at));

export function createUsageQueries({ database }: SqlStoreContext): UsageMethods {
  return {
    async recordUsage(reports) {
      if (reports.length === 0) return;
      await database.transaction(async (client) => {
        for (const report of reports) {
          await client.execute(
            `INSERT INTO usage_reports (credential_id, version_number, source, consumer, bucket_start, requests, status_2xx, status_4xx, status_5xx, input_tokens, output_tokens, last_seen_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (credential_id, version_number, source, consumer, bucket_start) DO UPDATE SET
               requests = usage_reports.requests + excluded.requests,
               status_2xx = usage_reports.status_2xx + excluded.status_2xx,
               status_4xx = usage_reports.status_4xx + excluded.status_4xx,
               status_5xx = usage_reports.status_5xx + excluded.status_5xx,
               input_tokens = usage_reports.input_tokens + excluded.input_tokens,
               output_tokens = usage_reports.output_tokens + excluded.output_tokens,
               last_seen_at = CASE
                 WHEN excluded.last_seen_at > usage_reports.last_seen_at AND (excluded.requests > 0 OR usage_reports.requests = 0) THEN excluded.last_seen_at
                 ELSE usage_reports.last_seen_at END`,
            [
              report.credentialId,
              report.versionNumber,
              report.source,
              report.consumer,
              database.encodeDate(bucketOf(report.at)),
              report.requests,
              report.status2xx,
              report.status4xx,
              report.status5xx,
              report.inputTokens,
              report.outputTokens,
              database.encodeDate(report.at),
            ],
          );
        }
      });
    },

    async listConsumerUsage(credentialId, versionNumber, since) {
      const rows = await database.query<Row>(
        `SELECT source, consumer, SUM(requests) AS requests, MAX(last_seen_at) AS last_seen_at,
                MAX(CASE WHEN requests > 0 THEN last_seen_at END) AS last_used_at
         FROM usage_reports
         WHERE credential_id = ? AND version_number = ? AND bucket_start >= ?
         GROUP BY source, consumer
         ORDER BY MAX(last_seen_at) DESC, source, consumer`,
        [credentialId, versionNumber, database.encodeDate(bucketOf(since))],
      );
      return rows.map((row) => ({
        source: String(row.source) as UsageChannel,
        consumer: String(row.consumer),
        lastSeenAt: toDate(row.last_seen_at),
        lastUsedAt: toOptionalDate(row.last_used_at),
        requests: Number(row.requests),
      }));
    },
  };
}
