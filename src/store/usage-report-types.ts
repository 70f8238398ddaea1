/**
 * One usage report, as the proxy and SDK check-ins send it and as the store keeps it
 * (aggregated per minute, see src/store/sql/sql-usage-queries.ts). Defined here, in the
 * store layer, so the store need not import from src/server; src/server/usage-reports.ts
 * re-exports it for everything above.
 */

export type UsageSource = 'proxy' | 'sdk';

export interface UsageReport {
  credentialId: string;
  versionNumber: number;
  source: UsageSource;
  consumer: string;
  at: Date;
  requests: number;
  /** Responses by class; the proxy fills these, SDK check-ins leave them 0. */
  status2xx: number;
  status4xx: number;
  status5xx: number;
  inputTokens: number;
  outputTokens: number;
}
