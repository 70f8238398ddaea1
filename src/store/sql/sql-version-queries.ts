import { ConflictError, NotFoundError, StoreError } from '../../core/errors.js';
import type { Stage, VersionRecord } from '../../core/types.js';
import type { Store } from '../store.js';
import { lockCredential, type SqlStoreContext } from './sql-credential-queries.js';
import type { SqlClient } from './sql-database.js';
import { toBuffer, versionFromRow, type Row } from './sql-rows.js';

type VersionMethods = Pick<
  Store,
  | 'addVersion'
  | 'getVersion'
  | 'getVersionByStage'
  | 'listVersions'
  | 'findVersionsByFingerprint'
  | 'setVersionStage'
  | 'setVersionProviderKeyId'
  | 'promote'
  | 'rollback'
  | 'listSealed'
  | 'listShreddable'
  | 'shredVersion'
  | 'rewrap'
>;

const LIVE: ReadonlySet<Stage> = new Set(['pending', 'current', 'previous']);

interface StageRow {
  number: number;
  stage: Stage;
}

function describe(number: number | null | undefined): string {
  return number === null || number === undefined ? 'none' : `version ${number}`;
}

/**
 * Every stage change runs in one transaction that first locks the credential row
 * (PostgreSQL `FOR UPDATE`; SQLite's write transaction is exclusive anyway), then
 * re-reads the stages and compares them with what the caller expects. The partial
 * unique index is the last line of defence: a change that would give a credential two
 * versions in one live stage fails in the database and surfaces as a ConflictError.
 */
export function createVersionQueries({ database, now }: SqlStoreContext): VersionMethods {
  async function liveStages(client: SqlClient, credentialId: string): Promise<Map<Stage, number>> {
    const rows = await client.query<StageRow>(
      "SELECT number, stage FROM versions WHERE credential_id = ? AND stage IN ('pending', 'current', 'previous')",
      [credentialId],
    );
    return new Map(rows.map((row) => [row.stage, Number(row.number)]));
  }

  async function stageOf(client: SqlClient, credentialId: string, number: number): Promise<Stage | undefined> {
    const rows = await client.query<StageRow>('SELECT number, stage FROM versions WHERE credential_id = ? AND number = ?', [
      credentialId,
      number,
    ]);
    return rows[0]?.stage;
  }

  /** Conditional update; a zero row count means someone moved the version first. */
  async function moveStage(client: SqlClient, credentialId: string, number: number, from: Stage, to: Stage): Promise<Row> {
    let rows: Row[];
    // A shredded version has no key left: it may move between revoked and discarded, never back to a live stage.
    const unshredded = LIVE.has(to) ? ' AND shredded_at IS NULL' : '';
    try {
      rows = await client.query<Row>(
        `UPDATE versions SET stage = ?, stage_changed_at = ? WHERE credential_id = ? AND number = ? AND stage = ?${unshredded} RETURNING *`,
        [to, database.encodeDate(now()), credentialId, number, from],
      );
    } catch (error) {
      if (error instanceof ConflictError) throw new ConflictError(`another version of the credential is already ${to}`);
      throw error;
    }
    const row = rows[0];
    if (row === undefined) {
      const actual = await stageOf(client, credentialId, number);
      if (actual === undefined) throw new NotFoundError(`no version ${number} for credential ${credentialId}`);
      if (actual === from) throw new ConflictError(`version ${number} was shredded by the retention policy and cannot become ${to}`);
      throw new ConflictError(`version ${number} is ${actual}, expected ${from}`);
    }
    return row;
  }

  return {
    async addVersion(input) {
      if (input.stage !== 'pending' && input.stage !== 'current') {
        throw new StoreError(`a new version must be pending or current, not ${String(input.stage)}`);
      }
      return database.transaction(async (client) => {
        const name = await lockCredential(client, database, input.credentialId);
        const next = await client.query<{ next: number | string }>(
          'SELECT COALESCE(MAX(number), 0) + 1 AS next FROM versions WHERE credential_id = ?',
          [input.credentialId],
        );
        const number = Number(next[0]?.next ?? 1);
        const existing = (await liveStages(client, input.credentialId)).get(input.stage);
        if (existing !== undefined) {
          throw new ConflictError(`credential ${name} already has a ${input.stage} version (version ${existing})`);
        }
        const sealed = input.seal(number);
        const at = database.encodeDate(now());
        try {
          const rows = await client.query<Row>(
            `INSERT INTO versions (credential_id, number, stage, provider_key_id, provider_data, fingerprint, hint, minted_by,
               ciphertext, wrapped_key, master_key_id, created_at, stage_changed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
            [
              input.credentialId,
              number,
              input.stage,
              input.providerKeyId,
              JSON.stringify(input.providerData ?? {}),
              input.fingerprint,
              input.hint,
              input.mintedBy,
              sealed.ciphertext,
              sealed.wrappedKey,
              sealed.masterKeyId,
              at,
              at,
            ],
          );
          return versionFromRow(rows[0] as Row);
        } catch (error) {
          if (error instanceof ConflictError) throw new ConflictError(`credential ${name} already has a ${input.stage} version`);
          throw error;
        }
      });
    },

    async getVersion(credentialId, number) {
      const rows = await database.query<Row>('SELECT * FROM versions WHERE credential_id = ? AND number = ?', [credentialId, number]);
      return rows[0] === undefined ? undefined : versionFromRow(rows[0]);
    },

    async getVersionByStage(credentialId, stage) {
      const rows = await database.query<Row>('SELECT * FROM versions WHERE credential_id = ? AND stage = ?', [credentialId, stage]);
      return rows[0] === undefined ? undefined : versionFromRow(rows[0]);
    },

    async listVersions(credentialId) {
      const rows = await database.query<Row>('SELECT * FROM versions WHERE credential_id = ? ORDER BY number', [credentialId]);
      return rows.map(versionFromRow);
    },

    async findVersionsByFingerprint(fingerprint) {
      const rows = await database.query<Row>('SELECT * FROM versions WHERE fingerprint = ? ORDER BY credential_id, number', [fingerprint]);
      return rows.map(versionFromRow);
    },

    async setVersionStage(credentialId, number, from, to): Promise<VersionRecord> {
      return database.transaction(async (client) => {
        await lockCredential(client, database, credentialId);
        return versionFromRow(await moveStage(client, credentialId, number, from, to));
      });
    },

    async setVersionProviderKeyId(credentialId, number, providerKeyId) {
      const rows = await database.query<Row>('UPDATE versions SET provider_key_id = ? WHERE credential_id = ? AND number = ? RETURNING *', [providerKeyId, credentialId, number]);
      if (rows[0] === undefined) throw new NotFoundError(`no version ${number} for credential ${credentialId}`);
      return versionFromRow(rows[0]);
    },

    async promote(credentialId, number, options) {
      await database.transaction(async (client) => {
        const name = await lockCredential(client, database, credentialId);
        const stages = await liveStages(client, credentialId);
        const current = stages.get('current') ?? null;
        if (current !== options.expectedCurrent) {
          throw new ConflictError(`${describe(current)} is current, expected ${describe(options.expectedCurrent)} (credential ${name})`);
        }
        const stage = await stageOf(client, credentialId, number);
        if (stage === undefined) throw new NotFoundError(`credential ${name} has no version ${number}`);
        if (stage !== 'pending') throw new ConflictError(`version ${number} is ${stage}, expected pending (credential ${name})`);
        const previous = stages.get('previous');
        if (previous !== undefined) {
          if (options.existingPrevious !== 'revoked') {
            throw new ConflictError(`credential ${name} still has a previous version (version ${previous}) that may be live`, {
              hint: 'revoke it first, then promote with existingPrevious: revoked',
            });
          }
          await moveStage(client, credentialId, previous, 'previous', 'revoked');
        }
        // Each step empties a stage before the next one fills it, so the unique index holds throughout.
        if (current !== null) await moveStage(client, credentialId, current, 'current', 'previous');
        await moveStage(client, credentialId, number, 'pending', 'current');
      });
    },

    async rollback(credentialId, options) {
      return database.transaction(async (client) => {
        const name = await lockCredential(client, database, credentialId);
        const stages = await liveStages(client, credentialId);
        const current = stages.get('current') ?? null;
        if (current !== options.expectedCurrent) {
          throw new ConflictError(`${describe(current)} is current, expected ${describe(options.expectedCurrent)} (credential ${name})`);
        }
        const previous = stages.get('previous');
        if (previous === undefined) throw new ConflictError(`credential ${name} has no previous version to roll back to`);
        await moveStage(client, credentialId, current, 'current', 'discarded');
        await moveStage(client, credentialId, previous, 'previous', 'current');
        return previous;
      });
    },

    async listSealed() {
      const rows = await database.query<Row>(
        'SELECT credential_id, number, ciphertext, wrapped_key, master_key_id FROM versions WHERE shredded_at IS NULL ORDER BY credential_id, number',
      );
      return rows.map((row) => ({
        credentialId: String(row.credential_id),
        number: Number(row.number),
        sealed: { ciphertext: toBuffer(row.ciphertext), wrappedKey: toBuffer(row.wrapped_key), masterKeyId: String(row.master_key_id) },
      }));
    },

    async listShreddable(before) {
      const rows = await database.query<Row>(
        `SELECT * FROM versions WHERE stage IN ('revoked', 'discarded') AND shredded_at IS NULL AND stage_changed_at <= ?
         ORDER BY stage_changed_at, credential_id, number`,
        [database.encodeDate(before)],
      );
      return rows.map(versionFromRow);
    },

    async shredVersion(credentialId, number) {
      const result = await database.transaction(async (client) => {
        const name = await lockCredential(client, database, credentialId);
        const rows = await client.query<Row>('SELECT * FROM versions WHERE credential_id = ? AND number = ?', [credentialId, number]);
        const row = rows[0];
        if (row === undefined) throw new NotFoundError(`credential ${name} has no version ${number}`);
        const existing = versionFromRow(row);
        if (existing.shreddedAt !== null) return { version: existing, shredded: false };
        if (LIVE.has(existing.stage)) throw new ConflictError(`version ${number} of ${name} is ${existing.stage}; only revoked and discarded versions are shredded`);
        const empty = Buffer.alloc(0);
        const updated = await client.query<Row>(
          `UPDATE versions SET ciphertext = ?, wrapped_key = ?, shredded_at = ?
           WHERE credential_id = ? AND number = ? AND stage IN ('revoked', 'discarded') AND shredded_at IS NULL RETURNING *`,
          [empty, empty, database.encodeDate(now()), credentialId, number],
        );
        if (updated[0] === undefined) throw new ConflictError(`version ${number} of ${name} changed while it was being shredded`);
        return { version: versionFromRow(updated[0]), shredded: true };
      });
      // SQLite: secure_delete zeroes the freed bytes in the page; this copies that page into
      // the database file and empties the write-ahead log, which still held the old page.
      // (PostgreSQL keeps the old row version on disk until VACUUM reclaims it.)
      if (result.shredded && database.dialect === 'sqlite') await database.query('PRAGMA wal_checkpoint(TRUNCATE)');
      return result;
    },

    async rewrap(items) {
      await database.transaction(async (client) => {
        for (const item of items) {
          const changed = await client.execute('UPDATE versions SET wrapped_key = ?, master_key_id = ? WHERE credential_id = ? AND number = ?', [
            item.wrappedKey,
            item.masterKeyId,
            item.credentialId,
            item.number,
          ]);
          if (changed === 0) throw new NotFoundError(`no version ${item.number} for credential ${item.credentialId}; nothing was rewrapped`);
        }
      });
    },
  };
}
