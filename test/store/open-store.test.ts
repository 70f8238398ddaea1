import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, StoreError } from '../../src/core/errors.js';
import { isPostgresUrl, openStore } from '../../src/store/open-store.js';
import { newCredential, newVersion } from '../contracts/store-fixture.js';

const CHILD = fileURLToPath(new URL('./fixtures/open-child.mjs', import.meta.url));
const COMPILED = fileURLToPath(new URL('../../dist/src/store/open-store.js', import.meta.url));

interface ChildReport {
  dialect?: string;
  ok?: boolean;
  error?: { name: string; message: string };
  loaded: { pg: boolean; betterSqlite3: boolean };
}

function runChild(environment: Record<string, string>, asUser?: number): ChildReport {
  if (!existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: run npm run build before these tests`);
  const result = spawnSync(process.execPath, [CHILD], {
    env: { ...process.env, ...environment },
    encoding: 'utf8',
    timeout: 60_000,
    ...(asUser === undefined ? {} : { uid: asUser, gid: asUser }),
  });
  if (result.status !== 0 && result.status !== 3) throw new Error(`child failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as ChildReport;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('openStore [sqlite]', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'rekey-open-'));
    chmodSync(directory, 0o755);
  });
  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('chooses PostgreSQL only for postgres:// and postgresql:// URLs', () => {
    expect(isPostgresUrl('postgres://u@h/db')).toBe(true);
    expect(isPostgresUrl('postgresql://u@h/db')).toBe(true);
    expect(isPostgresUrl('mysql://u@h/db')).toBe(false);
    expect(isPostgresUrl(undefined)).toBe(false);
  });

  it('refuses a database URL it cannot serve instead of silently using SQLite, without echoing the URL', async () => {
    const error = await rejection(openStore({ databaseUrl: 'mysql://admin:hunter2@db/rekey', sqlitePath: join(directory, 'x.db') }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe('unsupported database URL scheme "mysql"');
    expect(existsSync(join(directory, 'x.db'))).toBe(false);
    await expect(openStore({ sqlitePath: '' })).rejects.toBeInstanceOf(ConfigError);
    const empty = await openStore({ databaseUrl: '', sqlitePath: join(directory, 'y.db') });
    expect(empty.dialect).toBe('sqlite');
    await empty.close();
  });

  it('loads only the chosen driver', () => {
    const sqlite = runChild({ CHILD_SQLITE_PATH: join(directory, 'a.db'), CHILD_ACTION: 'migrate' });
    expect(sqlite).toMatchObject({ dialect: 'sqlite', ok: true, loaded: { pg: false, betterSqlite3: true } });
    const postgres = runChild({ CHILD_DATABASE_URL: 'postgres://nobody:pw@127.0.0.1:1/none', CHILD_SQLITE_PATH: join(directory, 'b.db') });
    expect(postgres).toMatchObject({ dialect: 'postgres', ok: true, loaded: { pg: true, betterSqlite3: false } });
    expect(existsSync(join(directory, 'b.db'))).toBe(false);
  });

  it('names a file that is not a SQLite database and leaves it untouched', async () => {
    const path = join(directory, 'rekey.db');
    const content = 'this is not a database, just some text that is long enough to have a header'.repeat(20);
    writeFileSync(path, content);
    const error = await rejection(openStore({ sqlitePath: path }));
    expect(error).toBeInstanceOf(StoreError);
    expect(error.message).toBe(`${path} is not a SQLite database or is corrupt`);
    expect(readFileSync(path, 'utf8')).toBe(content);
  });

  it('reports a truncated database as corrupt', async () => {
    const path = join(directory, 'rekey.db');
    const store = await openStore({ sqlitePath: path });
    await store.migrate();
    const credential = await store.createCredential(newCredential('openai/a/prod'));
    await store.addVersion(newVersion(credential.id, 'current'));
    await store.close();
    truncateSync(path, 3000);
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    const error = await rejection(
      openStore({ sqlitePath: path }).then(async (reopened) => {
        try {
          await reopened.listVersions(credential.id);
        } finally {
          await reopened.close();
        }
      }),
    );
    expect(error).toBeInstanceOf(StoreError);
    expect(error.message).toBe(`${path} is not a SQLite database or is corrupt`);
  });

  it('refuses a missing directory without creating it', async () => {
    const path = join(directory, 'missing', 'rekey.db');
    const error = await rejection(openStore({ sqlitePath: path }));
    expect(error).toBeInstanceOf(StoreError);
    expect(error.message).toMatch(/directory .*missing does not exist/);
    expect(existsSync(join(directory, 'missing'))).toBe(false);
  });

  it('gives a clear error for a read-only file and a read-only directory', () => {
    // Root ignores file modes, so the check runs as an unprivileged user when we are root.
    const user = process.getuid?.() === 0 ? 65534 : undefined;
    const readOnlyDirectory = join(directory, 'ro');
    mkdirSync(readOnlyDirectory);
    const file = join(directory, 'rekey.db');
    runChild({ CHILD_SQLITE_PATH: file, CHILD_ACTION: 'migrate' });
    chmodSync(file, 0o444);
    chmodSync(readOnlyDirectory, 0o555);
    for (const path of [file, join(readOnlyDirectory, 'rekey.db')]) {
      const report = runChild({ CHILD_SQLITE_PATH: path, CHILD_ACTION: 'write' }, user);
      expect(report.error).toEqual({ name: 'StoreError', message: `cannot write database ${path}: the file or its directory is read-only` });
    }
    chmodSync(readOnlyDirectory, 0o755);
  });
});

describe('openStore [postgres] without a server', () => {
  it('reports an unreachable server without the password', async () => {
    const store = await openStore({ databaseUrl: 'postgres://someone:hunter2-secret@127.0.0.1:1/rekey', sqlitePath: '/unused' });
    const error = await rejection(store.listCredentials());
    await store.close();
    expect(error).toBeInstanceOf(StoreError);
    expect(error.message).toMatch(/cannot reach PostgreSQL at 127\.0\.0\.1:1\/rekey/);
    expect(`${error.message} ${String(error.cause ?? '')}`).not.toContain('hunter2');
  });
});
