import type { AuditEvent } from '../core/types.js';
import { csvField } from '../core/csv.js';
import { canonicalJson } from './audit-chain.js';

export type AuditExportFormat = 'json' | 'csv';

export const AUDIT_CSV_COLUMNS = ['seq', 'at', 'event', 'actor', 'credential', 'fingerprint', 'outcome', 'detail', 'prev_hash', 'hash'] as const;

function plain(event: AuditEvent): Record<string, unknown> {
  return {
    seq: event.seq,
    at: event.at.toISOString(),
    event: event.event,
    actor: event.actor,
    credential: event.credential,
    fingerprint: event.fingerprint,
    outcome: event.outcome,
    detail: event.detail,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}


function csvRow(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + '\r\n';
}

/**
 * JSON: an array of events, times as ISO-8601. CSV: a header row, then one row per
 * event with `detail` as canonical JSON, CRLF line ends (RFC 4180), fields that look like
 * spreadsheet formulas prefixed with `'`. Both carry the hashes; JSON is the exact form to
 * re-verify elsewhere.
 */
export function exportAuditEvents(events: readonly AuditEvent[], format: AuditExportFormat): string {
  if (format === 'json') return JSON.stringify(events.map(plain), null, 2) + '\n';
  let text = csvRow(AUDIT_CSV_COLUMNS);
  for (const event of events) {
    text += csvRow([
      String(event.seq),
      event.at.toISOString(),
      event.event,
      event.actor,
      event.credential ?? '',
      event.fingerprint ?? '',
      event.outcome,
      canonicalJson(event.detail),
      event.prevHash,
      event.hash,
    ]);
  }
  return text;
}
