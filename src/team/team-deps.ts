/**
 * What the team services take (one named object, STYLE.md §4), and the seam for row
 * integrity: rows that grant power (users, roles, bindings, approvals) carry a MAC under a
 * key derived from the master key (src/crypto/integrity-keys.ts, wired by the CLI context
 * of a sealed install). `integrity` is absent only for an install not sealed yet, whose
 * rows are stored with `mac` null.
 */
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../core/clock.js';
import type { Store } from '../store/store.js';

export interface RowIntegrity {
  /** The MAC of a row's power-granting fields. */
  tag(table: string, fields: Record<string, unknown>): string;
  /** False when the stored MAC does not match (the row was written without the master key). */
  check(table: string, fields: Record<string, unknown>, mac: string | null): boolean;
}

export interface TeamDeps {
  store: Store;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  /** Who is acting, for audit events (`user:<name>` over the API, `cli:<os user>` locally). */
  actor: string;
  integrity?: RowIntegrity | undefined;
}
