/**
 * `watchKeyChanges` on SQLite, which has no notifications: a poll of the live stages
 * (current and previous) of every credential, one small query per interval on the
 * store's own connection. A credential whose live versions differ from the last poll is
 * reported; the first poll only takes the baseline. Other processes' commits are seen
 * at the next poll (WAL readers see every committed write).
 */
import type { SqlDatabase } from '../sql/sql-database.js';
import type { KeyChangeHandler, KeyChangeWatch, KeyChangeWatchOptions } from '../store.js';

export async function pollForKeyChanges(database: SqlDatabase, onChange: KeyChangeHandler, options: KeyChangeWatchOptions = {}): Promise<KeyChangeWatch> {
  const interval = options.pollIntervalMilliseconds ?? 250;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  async function readStages(): Promise<Map<string, string>> {
    const rows = await database.query<{ credential_id: string; number: number; stage: string }>(
      `SELECT credential_id, number, stage FROM versions WHERE stage IN ('current', 'previous') ORDER BY credential_id, number`,
    );
    const stages = new Map<string, string>();
    for (const row of rows) stages.set(row.credential_id, `${stages.get(row.credential_id) ?? ''}${row.number}:${row.stage};`);
    return stages;
  }

  let known = await readStages();
  async function poll(): Promise<void> {
    try {
      const now = await readStages();
      if (closed) return;
      for (const [credentialId, stages] of now) if (known.get(credentialId) !== stages) onChange(credentialId);
      for (const credentialId of known.keys()) if (!now.has(credentialId)) onChange(credentialId);
      known = now;
    } catch (error) {
      if (!closed) options.onError?.(`key-change poll failed (${error instanceof Error ? error.name : typeof error})`);
    }
  }
  function schedule(): void {
    if (closed) return;
    timer = setTimeout(() => void poll().finally(schedule), interval);
    timer.unref();
  }
  schedule();
  return {
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
