/**
 * Two real processes promote at the same moment; exactly one wins and the other gets a
 * ConflictError (issue 2). The children import the compiled store, so `npm run build`
 * must have run (`npm test` builds first).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newCredential, newVersion, type StoreFixture, type StoreFixtureFactory } from '../contracts/store-fixture.js';
import { createPostgresFixture, withPostgresDatabase } from './postgres-fixture.js';
import { createSqliteFixture } from './sqlite-fixture.js';

const CHILD = fileURLToPath(new URL('./fixtures/promote-child.mjs', import.meta.url));
const OPEN_CHILD = fileURLToPath(new URL('./fixtures/open-child.mjs', import.meta.url));
const COMPILED = fileURLToPath(new URL('../../dist/src/store/open-store.js', import.meta.url));

interface ChildResult {
  code: number | null;
  output: string;
}

function startChild(environment: Record<string, string>, script = CHILD): { ready: Promise<void>; done: Promise<ChildResult> } {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...environment }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<ChildResult>((resolve) => child.on('close', (code) => (markReady(), resolve({ code, output }))));
  return { ready, done };
}

function runRace(label: string, createFixture: StoreFixtureFactory, locate: (fixture: StoreFixture) => Record<string, string>): void {
  describe(`concurrent promotes from two processes ${label}`, () => {
    let fixture: StoreFixture;
    let directory: string;

    beforeEach(async () => {
      if (!existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: run npm run build before these tests`);
      fixture = await createFixture({ now: () => new Date() });
      directory = mkdtempSync(join(tmpdir(), 'rekey-race-'));
    });
    afterEach(async () => {
      await fixture.dispose();
      rmSync(directory, { recursive: true, force: true });
    });

    async function race(mode: string, script = CHILD): Promise<ChildResult[]> {
      const goFile = join(directory, `go-${mode}`);
      const common = { ...locate(fixture), CHILD_CREDENTIAL: 'openai/race/prod', CHILD_GO_FILE: goFile, CHILD_MODE: mode, CHILD_ACTION: mode };
      const children = [startChild({ ...common, CHILD_LABEL: 'a' }, script), startChild({ ...common, CHILD_LABEL: 'b' }, script)];
      await Promise.all(children.map((child) => child.ready));
      writeFileSync(goFile, 'go');
      return Promise.all(children.map((child) => child.done));
    }

    function expectOneWinner(results: ChildResult[]): void {
      const codes = results.map((result) => result.code).sort();
      expect(codes, results.map((result) => result.output).join('\n')).toEqual([0, 3]);
      expect(results.find((result) => result.code === 3)?.output).toMatch(/lost ConflictError/);
    }

    it('two processes migrating a fresh database at once both succeed, each migration applied once', async () => {
      const { store } = fixture;
      const { pending } = await store.migrationStatus();
      const results = await race('migrate', OPEN_CHILD);
      expect(results.map((result) => result.code), results.map((result) => result.output).join('\n')).toEqual([0, 0]);
      expect(await store.migrationStatus()).toEqual({ applied: pending, pending: [] });
      expect(await fixture.sql('SELECT version FROM schema_migrations')).toHaveLength(pending.length);
    }, 120_000);

    it('promoting the same pending version: one wins, the other gets a ConflictError', async () => {
      const { store } = fixture;
      await store.migrate();
      const credential = await store.createCredential(newCredential('openai/race/prod'));
      await store.addVersion(newVersion(credential.id, 'current', 'one'));
      await store.addVersion(newVersion(credential.id, 'pending', 'two'));
      expectOneWinner(await race('promote'));
      const stages = (await store.listVersions(credential.id)).map((version) => [version.number, version.stage]);
      expect(stages).toEqual([
        [1, 'previous'],
        [2, 'current'],
      ]);
    }, 120_000);

    it('each minting its own pending version and promoting it: one wins, the other gets a ConflictError', async () => {
      const { store } = fixture;
      await store.migrate();
      const credential = await store.createCredential(newCredential('openai/race/prod'));
      await store.addVersion(newVersion(credential.id, 'current', 'one'));
      const results = await race('mint-and-promote');
      expectOneWinner(results);
      const current = await store.getVersionByStage(credential.id, 'current');
      const winner = results[0]?.code === 0 ? 'a' : 'b';
      expect(current?.mintedBy).toBe(`process:${winner}`);
      expect((await store.getVersionByStage(credential.id, 'previous'))?.number).toBe(1);
    }, 120_000);
  });
}

runRace('[sqlite]', createSqliteFixture, (fixture) => ({ CHILD_SQLITE_PATH: fixture.location }));

withPostgresDatabase('concurrent promotes from two processes [postgres]', (database) => {
  runRace('[postgres]', (options) => createPostgresFixture(database(), options), (fixture) => ({ CHILD_DATABASE_URL: fixture.location }));
});
