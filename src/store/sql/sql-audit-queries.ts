import type { AuditEvent } from '../../core/types.js';
import { AUDIT_GENESIS_HASH, AUDIT_HEAD_SETTING, type Store } from '../store.js';
import type { SqlStoreContext } from './sql-credential-queries.js';
import { auditEventFromRow, fromJson, type Row } from './sql-rows.js';

type AuditMethods = Pick<Store, 'appendAudit' | 'listAudit'>;

/**
 * Appends run under the `audit` lock: the next seq is the last one plus one and the
 * previous hash is read in the same transaction, so concurrent appends from any number
 * of processes form one gap-free chain (a database sequence would leave gaps on rollback).
 * The same transaction records the new head in settings (see AUDIT_HEAD_SETTING).
 */
export function createAuditQueries({ database }: SqlStoreContext): AuditMethods {
  return {
    async appendAudit(draft, hasher): Promise<AuditEvent> {
      const detailJson = JSON.stringify(draft.detail);
      return database.transaction(
        async (client) => {
          const last = await client.query<{ seq: number | string; hash: string }>(
            'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1',
          );
          const seq = last[0] === undefined ? 1 : Number(last[0].seq) + 1;
          const prevHash = last[0]?.hash ?? AUDIT_GENESIS_HASH;
          const hash = hasher(draft, seq, prevHash);
          await client.execute(
            `INSERT INTO audit_events (seq, at, event, actor, credential, fingerprint, outcome, detail, prev_hash, hash)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            [
              seq,
              database.encodeDate(draft.at),
              draft.event,
              draft.actor,
              draft.credential,
              draft.fingerprint,
              draft.outcome,
              detailJson,
              prevHash,
              hash,
            ],
          );
          await client.execute('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [
            AUDIT_HEAD_SETTING,
            `${seq}:${hash}`,
          ]);
          return {
            seq,
            at: new Date(draft.at.getTime()),
            event: draft.event,
            actor: draft.actor,
            credential: draft.credential,
            fingerprint: draft.fingerprint,
            outcome: draft.outcome,
            detail: fromJson<Record<string, unknown>>(detailJson),
            prevHash,
            hash,
          };
        },
        { lock: 'audit' },
      );
    },

    async listAudit(filter = {}) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      if (filter.afterSeq !== undefined) {
        conditions.push('seq > ?');
        params.push(filter.afterSeq);
      }
      if (filter.credential !== undefined) {
        conditions.push('credential = ?');
        params.push(filter.credential);
      }
      const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
      let limit = '';
      if (filter.limit !== undefined) {
        limit = ' LIMIT ?';
        params.push(Math.max(0, Math.floor(filter.limit)));
      }
      const rows = await database.query<Row>(`SELECT * FROM audit_events${where} ORDER BY seq${limit}`, params);
      return rows.map(auditEventFromRow);
    },
  };
}
