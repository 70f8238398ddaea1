import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { Store } from '../store.js';
import { lockCredential, type SqlStoreContext } from './sql-credential-queries.js';
import { consumerFromRow, journalEntryFromRow, rotationFromRow, type Row } from './sql-rows.js';

type RotationMethods = Pick<
  Store,
  | 'addConsumer'
  | 'listConsumers'
  | 'removeConsumer'
  | 'updateConsumer'
  | 'createRotation'
  | 'getRotation'
  | 'listRotations'
  | 'updateRotation'
  | 'appendJournal'
  | 'listJournal'
>;

/** Consumers, rotations (optimistic concurrency on `revision`) and the rotation journal. */
export function createRotationQueries({ database, now }: SqlStoreContext): RotationMethods {
  return {
    async addConsumer(input) {
      return database.transaction(async (client) => {
        const name = await lockCredential(client, database, input.credentialId);
        try {
          const rows = await client.query<Row>(
            'INSERT INTO consumers (credential_id, name, kind, config, reload, created_at, mac) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *',
            [
              input.credentialId,
              input.name,
              input.kind,
              JSON.stringify(input.config),
              input.reload === null ? null : JSON.stringify(input.reload),
              database.encodeDate(now()),
              input.mac ?? null,
            ],
          );
          return consumerFromRow(rows[0] as Row);
        } catch (error) {
          if (error instanceof ConflictError) throw new ConflictError(`credential ${name} already has a consumer named ${input.name}`);
          throw error;
        }
      });
    },

    async listConsumers(credentialId) {
      const rows = await database.query<Row>('SELECT * FROM consumers WHERE credential_id = ? ORDER BY name', [credentialId]);
      return rows.map(consumerFromRow);
    },

    async removeConsumer(credentialId, name) {
      const changed = await database.execute('DELETE FROM consumers WHERE credential_id = ? AND name = ?', [credentialId, name]);
      if (changed === 0) throw new NotFoundError(`no consumer named ${name} for credential ${credentialId}`);
    },

    async updateConsumer(credentialId, name, patch) {
      const assignments: string[] = [];
      const params: unknown[] = [];
      if (patch.config !== undefined) {
        assignments.push('config = ?');
        params.push(JSON.stringify(patch.config));
      }
      if (patch.reload !== undefined) {
        assignments.push('reload = ?');
        params.push(patch.reload === null ? null : JSON.stringify(patch.reload));
      }
      if (patch.mac !== undefined) {
        assignments.push('mac = ?');
        params.push(patch.mac);
      }
      if (assignments.length === 0) {
        const rows = await database.query<Row>('SELECT * FROM consumers WHERE credential_id = ? AND name = ?', [credentialId, name]);
        if (rows[0] === undefined) throw new NotFoundError(`no consumer named ${name} for credential ${credentialId}`);
        return consumerFromRow(rows[0]);
      }
      const rows = await database.query<Row>(`UPDATE consumers SET ${assignments.join(', ')} WHERE credential_id = ? AND name = ? RETURNING *`, [...params, credentialId, name]);
      if (rows[0] === undefined) throw new NotFoundError(`no consumer named ${name} for credential ${credentialId}`);
      return consumerFromRow(rows[0]);
    },

    async createRotation(input) {
      return database.transaction(async (client) => {
        await lockCredential(client, database, input.credentialId);
        const at = database.encodeDate(now());
        try {
          const rows = await client.query<Row>(
            `INSERT INTO rotations (id, credential_id, kind, state, data, revision, error, created_at, updated_at, finished_at)
             VALUES (?, ?, ?, ?, ?, 1, NULL, ?, ?, NULL) RETURNING *`,
            [input.id, input.credentialId, input.kind, input.state, JSON.stringify(input.data), at, at],
          );
          return rotationFromRow(rows[0] as Row);
        } catch (error) {
          if (error instanceof ConflictError) throw new ConflictError(`a rotation with id ${input.id} already exists`);
          throw error;
        }
      });
    },

    async getRotation(id) {
      const rows = await database.query<Row>('SELECT * FROM rotations WHERE id = ?', [id]);
      return rows[0] === undefined ? undefined : rotationFromRow(rows[0]);
    },

    async listRotations(filter = {}) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      if (filter.credentialId !== undefined) {
        conditions.push('credential_id = ?');
        params.push(filter.credentialId);
      }
      if (filter.active === true) conditions.push('finished_at IS NULL');
      if (filter.active === false) conditions.push('finished_at IS NOT NULL');
      const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
      let limit = '';
      if (filter.limit !== undefined) {
        limit = ' LIMIT ?';
        params.push(Math.max(0, Math.floor(filter.limit)));
      }
      // Newest first: the list people and schedulers look at starts with the latest run.
      const rows = await database.query<Row>(`SELECT * FROM rotations${where} ORDER BY created_at DESC, id${limit}`, params);
      return rows.map(rotationFromRow);
    },

    async updateRotation(id, expectedRevision, patch) {
      const assignments = ['revision = revision + 1', 'updated_at = ?'];
      const params: unknown[] = [database.encodeDate(now())];
      if (patch.state !== undefined) {
        assignments.push('state = ?');
        params.push(patch.state);
      }
      if (patch.data !== undefined) {
        assignments.push('data = ?');
        params.push(JSON.stringify(patch.data));
      }
      if (patch.error !== undefined) {
        assignments.push('error = ?');
        params.push(patch.error);
      }
      if (patch.finishedAt !== undefined) {
        assignments.push('finished_at = ?');
        params.push(patch.finishedAt === null ? null : database.encodeDate(patch.finishedAt));
      }
      const rows = await database.query<Row>(`UPDATE rotations SET ${assignments.join(', ')} WHERE id = ? AND revision = ? RETURNING *`, [
        ...params,
        id,
        expectedRevision,
      ]);
      if (rows[0] !== undefined) return rotationFromRow(rows[0]);
      const current = await database.query<{ revision: number | string }>('SELECT revision FROM rotations WHERE id = ?', [id]);
      if (current[0] === undefined) throw new NotFoundError(`rotation ${id} not found`);
      throw new ConflictError(`rotation ${id} is at revision ${Number(current[0].revision)}, expected ${expectedRevision}`, {
        isRetryable: true,
      });
    },

    async appendJournal(entry) {
      return database.transaction(async (client) => {
        const rotation = await client.query<Row>(`SELECT id FROM rotations WHERE id = ?${database.forUpdate}`, [entry.rotationId]);
        if (rotation[0] === undefined) throw new NotFoundError(`rotation ${entry.rotationId} not found`);
        const next = await client.query<{ next: number | string }>(
          'SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM rotation_journal WHERE rotation_id = ?',
          [entry.rotationId],
        );
        const rows = await client.query<Row>(
          'INSERT INTO rotation_journal (rotation_id, seq, at, step, phase, detail) VALUES (?, ?, ?, ?, ?, ?) RETURNING *',
          [entry.rotationId, Number(next[0]?.next ?? 1), database.encodeDate(entry.at), entry.step, entry.phase, JSON.stringify(entry.detail)],
        );
        return journalEntryFromRow(rows[0] as Row);
      });
    },

    async listJournal(rotationId) {
      const rows = await database.query<Row>('SELECT * FROM rotation_journal WHERE rotation_id = ? ORDER BY seq', [rotationId]);
      return rows.map(journalEntryFromRow);
    },
  };
}
