/**
 * Alerts and the alert outbox (migration 5) on either dialect; see
 * src/store/alert-store-types.ts for the invariants.
 */
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { usageMinuteOf } from '../../core/types.js';
import type { AlertRecord, AlertStore, OutboxMessage, OutboxState } from '../alert-store-types.js';
import type { SqlStoreContext } from './sql-credential-queries.js';
import { fromJson, toDate, toOptionalDate, type Row } from './sql-rows.js';

function alertFromRow(row: Row): AlertRecord {
  return {
    key: String(row.key),
    kind: String(row.kind),
    severity: String(row.severity),
    state: String(row.state) as AlertRecord['state'],
    event: fromJson(row.event),
    channels: fromJson(row.channels),
    occurrences: Number(row.occurrences),
    round: Number(row.round),
    reminders: Number(row.reminders),
    firstSeenAt: toDate(row.first_seen_at),
    lastSeenAt: toDate(row.last_seen_at),
    lastNotifiedAt: toOptionalDate(row.last_notified_at),
    resolvedAt: toOptionalDate(row.resolved_at),
    by: row.by_actor === null || row.by_actor === undefined ? null : String(row.by_actor),
    revision: Number(row.revision),
  };
}

function outboxFromRow(row: Row): OutboxMessage {
  return {
    id: String(row.id),
    messageId: String(row.message_id),
    alertKey: String(row.alert_key),
    channel: String(row.channel),
    action: String(row.action),
    message: fromJson(row.message),
    createdAt: toDate(row.created_at),
    position: Number(row.position),
    state: String(row.state) as OutboxState,
    attempts: Number(row.attempts),
    nextAttemptAt: toDate(row.next_attempt_at),
    claimedBy: row.claimed_by === null || row.claimed_by === undefined ? null : String(row.claimed_by),
    claimExpiresAt: toOptionalDate(row.claim_expires_at),
    lastError: row.last_error === null || row.last_error === undefined ? null : String(row.last_error),
    deliveredAt: toOptionalDate(row.delivered_at),
  };
}

const placeholders = (count: number) => Array.from({ length: count }, () => '?').join(', ');

export function createAlertQueries({ database }: SqlStoreContext): AlertStore {
  const date = (value: Date | null) => (value === null ? null : database.encodeDate(value));
  const json = (value: unknown) => JSON.stringify(value);
  const skipLocked = database.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';

  return {
    async getAlert(key) {
      const rows = await database.query<Row>('SELECT * FROM alerts WHERE key = ?', [key]);
      return rows[0] === undefined ? undefined : alertFromRow(rows[0]);
    },

    async listAlerts(filter = {}) {
      const params: unknown[] = [];
      let where = '';
      if (filter.states !== undefined && filter.states.length > 0) {
        where = ` WHERE state IN (${placeholders(filter.states.length)})`;
        params.push(...filter.states);
      }
      params.push(filter.limit ?? 1000);
      const rows = await database.query<Row>(`SELECT * FROM alerts${where} ORDER BY last_seen_at DESC, key LIMIT ?`, params);
      return rows.map(alertFromRow);
    },

    async saveAlert(alert, expectedRevision, messages) {
      return database.transaction(async (client) => {
        const revision = (expectedRevision ?? 0) + 1;
        const values = [
          alert.kind,
          alert.severity,
          alert.state,
          json(alert.event),
          json(alert.channels),
          alert.occurrences,
          alert.round,
          alert.reminders,
          date(alert.firstSeenAt),
          date(alert.lastSeenAt),
          date(alert.lastNotifiedAt),
          date(alert.resolvedAt),
          alert.by,
          revision,
        ];
        if (expectedRevision === null) {
          const inserted = await client.execute(
            `INSERT INTO alerts (kind, severity, state, event, channels, occurrences, round, reminders, first_seen_at, last_seen_at, last_notified_at, resolved_at, by_actor, revision, key)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
            [...values, alert.key],
          );
          if (inserted === 0) throw new ConflictError(`alert ${alert.key} already exists`);
        } else {
          const updated = await client.execute(
            `UPDATE alerts SET kind = ?, severity = ?, state = ?, event = ?, channels = ?, occurrences = ?, round = ?, reminders = ?, first_seen_at = ?,
               last_seen_at = ?, last_notified_at = ?, resolved_at = ?, by_actor = ?, revision = ? WHERE key = ? AND revision = ?`,
            [...values, alert.key, expectedRevision],
          );
          if (updated === 0) throw new ConflictError(`alert ${alert.key} changed meanwhile (expected revision ${expectedRevision})`);
        }
        for (const message of messages) {
          await client.execute(
            `INSERT INTO alert_outbox (id, message_id, alert_key, position, channel, action, message, state, attempts, next_attempt_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (id) DO NOTHING`,
            [message.id, message.messageId, message.alertKey, revision, message.channel, message.action, json(message.message), date(message.createdAt), date(message.createdAt)],
          );
        }
        const rows = await client.query<Row>('SELECT * FROM alerts WHERE key = ?', [alert.key]);
        return alertFromRow(rows[0] as Row);
      });
    },

    async claimOutbox({ holder, now, limit, leaseMs }) {
      return database.transaction(async (client) => {
        const at = date(now);
        const candidates = await client.query<Row>(
          `SELECT id FROM alert_outbox AS message
           WHERE ((state = 'pending' AND next_attempt_at <= ?) OR (state = 'delivering' AND claim_expires_at <= ?))
             AND NOT EXISTS (
               SELECT 1 FROM alert_outbox AS earlier
               WHERE earlier.alert_key = message.alert_key AND earlier.channel = message.channel
                 AND earlier.state IN ('pending', 'delivering') AND earlier.position < message.position)
           ORDER BY created_at, id LIMIT ?${skipLocked}`,
          [at, at, limit],
        );
        if (candidates.length === 0) return [];
        const ids = candidates.map((row) => String(row.id));
        await client.execute(
          `UPDATE alert_outbox SET state = 'delivering', claimed_by = ?, claim_expires_at = ?, attempts = attempts + 1 WHERE id IN (${placeholders(ids.length)})`,
          [holder, date(new Date(now.getTime() + leaseMs)), ...ids],
        );
        const rows = await client.query<Row>(`SELECT * FROM alert_outbox WHERE id IN (${placeholders(ids.length)}) ORDER BY created_at, id`, ids);
        return rows.map(outboxFromRow);
      });
    },

    async settleOutbox(id, holder, outcome) {
      const changed =
        outcome.state === 'delivered'
          ? await database.execute(
              `UPDATE alert_outbox SET state = 'delivered', delivered_at = ?, claimed_by = NULL, claim_expires_at = NULL, last_error = NULL
               WHERE id = ? AND claimed_by = ? AND state = 'delivering'`,
              [date(outcome.at), id, holder],
            )
          : await database.execute(
              `UPDATE alert_outbox SET state = ?, next_attempt_at = ?, claimed_by = NULL, claim_expires_at = NULL, last_error = ?
               WHERE id = ? AND claimed_by = ? AND state = 'delivering'`,
              [outcome.state, date(outcome.state === 'pending' ? outcome.nextAttemptAt : outcome.at), outcome.error, id, holder],
            );
      return changed > 0;
    },

    async listOutbox(filter = {}) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      if (filter.states !== undefined && filter.states.length > 0) {
        conditions.push(`state IN (${placeholders(filter.states.length)})`);
        params.push(...filter.states);
      }
      if (filter.alertKey !== undefined) {
        conditions.push('alert_key = ?');
        params.push(filter.alertKey);
      }
      params.push(filter.limit ?? 1000);
      const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
      const rows = await database.query<Row>(`SELECT * FROM alert_outbox${where} ORDER BY created_at, id LIMIT ?`, params);
      return rows.map(outboxFromRow);
    },

    async retryOutbox(id, now) {
      const changed = await database.execute(
        `UPDATE alert_outbox SET state = 'pending', next_attempt_at = ?, attempts = 0, last_error = NULL WHERE id = ? AND state = 'dead'`,
        [date(now), id],
      );
      const rows = await database.query<Row>('SELECT * FROM alert_outbox WHERE id = ?', [id]);
      if (rows[0] === undefined) throw new NotFoundError(`no outbox message ${id}`);
      if (changed === 0) throw new ConflictError(`outbox message ${id} is ${String(rows[0].state)}, not dead`);
      return outboxFromRow(rows[0]);
    },

    async recordHeartbeat(name, holder, at) {
      await database.execute(
        `INSERT INTO heartbeats (name, holder, beat_at, first_beat_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, beat_at = CASE WHEN excluded.beat_at > heartbeats.beat_at THEN excluded.beat_at ELSE heartbeats.beat_at END`,
        [name, holder, date(at), date(at)],
      );
    },

    async getHeartbeat(name) {
      const rows = await database.query<Row>('SELECT * FROM heartbeats WHERE name = ?', [name]);
      const row = rows[0];
      return row === undefined ? undefined : { name: String(row.name), holder: String(row.holder), beatAt: toDate(row.beat_at), firstBeatAt: toDate(row.first_beat_at) };
    },

    async recordAuthFailures(source, at, count) {
      if (!Number.isInteger(count) || count < 1) return;
      await database.execute(
        `INSERT INTO auth_failures (source, bucket_start, failures) VALUES (?, ?, ?)
         ON CONFLICT (source, bucket_start) DO UPDATE SET failures = auth_failures.failures + excluded.failures`,
        [source, date(new Date(usageMinuteOf(at))), count],
      );
    },

    async countAuthFailures(since) {
      const rows = await database.query<Row>('SELECT source, SUM(failures) AS failures FROM auth_failures WHERE bucket_start >= ? GROUP BY source ORDER BY source', [date(since)]);
      return rows.map((row) => ({ source: String(row.source), failures: Number(row.failures) }));
    },

    async listUsageMinutes(credentialId, since, until) {
      const rows = await database.query<Row>(
        `SELECT bucket_start, SUM(requests) AS requests, SUM(status_4xx) AS s4, SUM(status_5xx) AS s5, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens
         FROM usage_reports WHERE credential_id = ? AND bucket_start >= ? AND bucket_start < ? GROUP BY bucket_start ORDER BY bucket_start`,
        [credentialId, date(since), date(until)],
      );
      return rows.map((row) => ({
        at: toDate(row.bucket_start),
        requests: Number(row.requests),
        status4xx: Number(row.s4),
        status5xx: Number(row.s5),
        inputTokens: Number(row.input_tokens),
        outputTokens: Number(row.output_tokens),
      }));
    },
  };
}
