/**
 * What the team services take (one named object, STYLE.md §4), and the seam for row
 * integrity: rows that grant power (users, roles, bindings, approvals) carry a MAC under a
 * key derived from the master key. Until the generic row-MAC helper of issue 11 is wired
 * in, `integrity` may be absent and rows are stored with `mac` null.
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
