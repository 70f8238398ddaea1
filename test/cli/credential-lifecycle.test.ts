/**
 * The credential lifecycle end to end through the real `rekey` binary, on SQLite and on
 * PostgreSQL, with planted key values that must never appear in any output (except
 * `reveal`), in the raw database, or in the audit log.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRekey, temporaryHome, type CliResult } from '../helpers/cli-runner.js';
import { withPostgresDatabase } from '../store/postgres-fixture.js';

const PLANTED = {
  first: 'sk-proj-PLANTEDfirst4Qx9aZ0bW8cV7dU6eT5fS4gR3hQ2T3BlbkFJiP1jO0kN9lM8',
  second: 'sk-proj-PLANTEDsecond7Lm2Nb3Vc4Xz5As6Sd7Df8Gh9T3BlbkFJJk0Lq1Wr2Et3Ty4',
  third: 'sk-proj-PLANTEDthird1Qa2Ws3Ed4Rf5Tg6Yh7Uj8Ik9T3BlbkFJOl0Pz1Xc2Vb3Nm4',
  fourth: 'sk-proj-PLANTEDfourth9Po8Iu7Yt6Re5Wq4Lk3Jh2T3BlbkFJGf1Ds0Aq9Zx8Cv7B',
};
const NAME = 'openai/ticketing/prod';

function planted(text: string | Buffer): string[] {
  const haystack = typeof text === 'string' ? text : text.toString('latin1');
  return Object.values(PLANTED).filter((value) => haystack.includes(value) || haystack.includes(Buffer.from(value).toString('hex')));
}

function lifecycle(label: string, setup: () => Promise<{ env: Record<string, string>; rawData: () => Promise<string>; cleanup: () => Promise<void> }>): void {
  describe(`credential lifecycle through the CLI [${label}]`, () => {
    let env: Record<string, string>;
    let rawData: () => Promise<string>;
    let cleanup: () => Promise<void>;
    const outputs: CliResult[] = [];
    const rekey = async (args: string[], input?: string): Promise<CliResult> => {
      const result = await runRekey(args, { env, input });
      if (args[1] !== 'reveal') outputs.push(result);
      return result;
    };

    beforeAll(async () => {
      ({ env, rawData, cleanup } = await setup());
    });
    afterAll(async () => cleanup());

    it('initialises a data directory with a private master key file', async () => {
      const init = await rekey(['init']);
      expect(init.stderr).toBe('');
      expect(init.code).toBe(0);
      const home = env.REKEY_HOME ?? '';
      expect(statSync(home).mode & 0o777).toBe(0o700);
      expect(statSync(join(home, 'master.key')).mode & 0o777).toBe(0o600);
      const keyBefore = readFileSync(join(home, 'master.key'));
      const again = await rekey(['init']);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already initialised/);
      expect(readFileSync(join(home, 'master.key')).equals(keyBefore)).toBe(true);
    });

    it('adds a credential with a value from stdin and lists it', async () => {
      const add = await rekey(['credential', 'add', NAME, '--provider', 'openai', '--scope', 'project=proj_abc', '--allowed-model', 'gpt-4o-mini', '--owner', 'ticketing-team', '--rotate-every-days', '30', '--read-value', '--provider-key-id', 'key_abc123', '--json'], PLANTED.first + '\n');
      expect(add.code, add.stderr).toBe(0);
      const added = JSON.parse(add.stdout) as { version: { number: number; stage: string; hint: string } };
      expect(added.version).toMatchObject({ number: 1, stage: 'current', providerKeyId: 'key_abc123' });
      expect(added.version.hint.endsWith(PLANTED.first.slice(-4))).toBe(true);

      const list = await rekey(['credential', 'list', '--json']);
      const rows = JSON.parse(list.stdout) as Array<{ name: string; environment: string; scope: Record<string, string>; current: { number: number } }>;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ name: NAME, environment: 'prod', scope: { project: 'proj_abc' }, current: { number: 1 } });
      const csv = await rekey(['credential', 'list', '--output', 'csv']);
      expect(csv.stdout.split('\r\n')[1]).toContain(NAME);
      const show = await rekey(['credential', 'show', NAME]);
      expect(show.stdout).toMatch(/current\s+v1 sk-proj-…/);
    });

    it('sets a pending value, promotes it, rolls back, and refuses to drop a live previous key', async () => {
      expect((await rekey(['credential', 'set-value', NAME], PLANTED.second)).code).toBe(0);
      const promote = await rekey(['credential', 'promote', NAME, '--json']);
      expect(promote.code, promote.stderr).toBe(0);
      expect(JSON.parse(promote.stdout)).toEqual({ current: 2, previous: 1 });

      const rollback = await rekey(['credential', 'rollback', NAME, '--json']);
      expect(JSON.parse(rollback.stdout)).toEqual({ current: 1, discarded: 2 });

      expect((await rekey(['credential', 'set-value', NAME], PLANTED.third)).code).toBe(0);
      expect((await rekey(['credential', 'promote', NAME])).code).toBe(0);
      expect((await rekey(['credential', 'set-value', NAME], PLANTED.fourth)).code).toBe(0);
      const refused = await rekey(['credential', 'promote', NAME]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/previous/);
      const forced = await rekey(['credential', 'promote', NAME, '--previous-revoked']);
      expect(forced.code, forced.stderr).toBe(0);

      const versions = JSON.parse((await rekey(['credential', 'versions', NAME, '--json'])).stdout) as Array<{ number: number; stage: string }>;
      expect(versions.map((version) => [version.number, version.stage])).toEqual([
        [1, 'revoked'], [2, 'discarded'], [3, 'previous'], [4, 'current'],
      ]);
    });

    it('reveals only with confirmation, and the value survives a master-key rotation', async () => {
      const unconfirmed = await runRekey(['credential', 'reveal', NAME], { env });
      expect(unconfirmed.code).toBe(2);
      expect(unconfirmed.stdout).toBe('');
      const before = await runRekey(['credential', 'reveal', NAME, '--yes'], { env });
      expect(before.stdout.trim()).toBe(PLANTED.fourth);

      const keyFile = join(env.REKEY_HOME ?? '', 'master.key');
      const oldKey = readFileSync(keyFile, 'utf8');
      const rotate = await rekey(['master-key', 'rotate', '--yes', '--json']);
      expect(rotate.code, rotate.stderr).toBe(0);
      expect(JSON.parse(rotate.stdout)).toMatchObject({ rewrapped: 4 });
      expect(readFileSync(keyFile, 'utf8')).not.toBe(oldKey);
      for (const [version, value] of [[4, PLANTED.fourth], [3, PLANTED.third], [1, PLANTED.first]] as const) {
        const after = await runRekey(['credential', 'reveal', NAME, '--version', String(version), '--yes'], { env });
        expect(after.stdout.trim()).toBe(value);
      }
      const doctor = await rekey(['doctor', '--json']);
      expect(doctor.code, doctor.stdout).toBe(0);
    });

    it('keeps a verifiable audit trail of every change', async () => {
      const verify = await rekey(['audit', 'verify']);
      expect(verify.code, verify.stderr).toBe(0);
      const events = JSON.parse((await rekey(['audit', 'list', '--json'])).stdout) as Array<{ event: string }>;
      const names = events.map((event) => event.event);
      for (const expected of ['store-init', 'credential-add', 'version-add', 'version-promote', 'version-rollback', 'credential-reveal', 'master-key-rotate']) {
        expect(names).toContain(expected);
      }
      const csv = await rekey(['audit', 'export', '--format', 'csv']);
      expect(csv.stdout.split('\r\n')[0]).toMatch(/^seq,/);
      expect((await rekey(['audit', 'export', '--format', 'json'])).code).toBe(0);
    });

    it('removes a credential after confirmation', async () => {
      expect((await rekey(['credential', 'remove', NAME])).code).toBe(2);
      const removed = await rekey(['credential', 'remove', NAME, '--yes']);
      expect(removed.code).toBe(0);
      expect(removed.stderr).toMatch(/revoke them at the provider/);
      expect(JSON.parse((await rekey(['credential', 'list', '--json'])).stdout)).toEqual([]);
    });

    it('never shows a planted value in any output, the audit log or the raw database', async () => {
      expect(outputs.length).toBeGreaterThan(15);
      for (const result of outputs) {
        expect(planted(result.stdout)).toEqual([]);
        expect(planted(result.stderr)).toEqual([]);
      }
      expect(planted(await rawData())).toEqual([]);
    });
  });
}

lifecycle('sqlite', async () => {
  const home = temporaryHome();
  return {
    env: { REKEY_HOME: home },
    rawData: async () => readdirSync(home).map((file) => readFileSync(join(home, file)).toString('latin1')).join('\n'),
    cleanup: async () => undefined,
  };
});

withPostgresDatabase('credential lifecycle through the CLI [postgres]', (database) => {
  lifecycle('postgres', async () => {
    const url = database().url();
    const home = temporaryHome();
    return {
      env: { REKEY_HOME: home, REKEY_DATABASE_URL: url },
      rawData: async () => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          const tables = await client.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
          const dumps: string[] = [];
          for (const { table_name: table } of tables.rows) {
            const rows = await client.query(`SELECT row_to_json(t)::text AS row FROM "${table}" t`);
            dumps.push(...rows.rows.map((row: { row: string }) => row.row));
          }
          return dumps.join('\n') + readdirSync(home).map((file) => readFileSync(join(home, file), 'latin1')).join('\n');
        } finally {
          await client.end();
        }
      },
      cleanup: async () => undefined,
    };
  });
});
