/**
 * One suite for every AccessTokenStore / UsageReportStore: memory, SQLite and PostgreSQL
 * (migration 2). On PostgreSQL, also the stage-change NOTIFY that wakes key sets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../src/core/errors.js';
import { createMemoryAccessTokenStore, issueAccessToken, verifyAccessToken, type AccessTokenStore } from '../../src/server/access-tokens.js';
import { createKeySets } from '../../src/server/key-sets.js';
import { listenForKeyChanges } from '../../src/server/postgres-change-listener.js';
import { openStoredAccessTokens, openStoredUsageReports } from '../../src/server/stored-tokens.js';
import { createMemoryUsageReportStore, type UsageReport, type UsageReportStore } from '../../src/server/usage-reports.js';
import { createPostgresDatabase, POSTGRES_SKIP_REASON, POSTGRES_URL } from '../helpers/postgres-database.js';
import { createKeyFixture, type KeyFixture } from './key-fixture.js';

function report(overrides: Partial<UsageReport>): UsageReport {
  return {
    credentialId: 'cred-1', versionNumber: 1, source: 'proxy', consumer: 'app', at: new Date('2026-05-01T10:00:10Z'),
    requests: 1, status2xx: 1, status4xx: 0, status5xx: 0, inputTokens: 3, outputTokens: 4, ...overrides,
  };
}

function accessTokenSuite(label: string, open: () => Promise<AccessTokenStore>) {
  describe(`access tokens [${label}]`, () => {
    it('issues, finds, lists, verifies and revokes; names are unique among live tokens of a kind', async () => {
      const tokens = await open();
      const now = new Date('2026-05-01T10:00:00.000Z');
      const { token, secret } = await issueAccessToken(tokens, { kind: 'proxy', name: 'app-one', credentials: ['openai/a/prod', 'openai/b/prod'], allowedModels: ['gpt-4o-mini'], createdBy: 'cli:test' }, now);
      expect(await verifyAccessToken(tokens, secret, 'proxy')).toEqual({ ...token, revokedAt: null });
      expect(token).toMatchObject({ kind: 'proxy', name: 'app-one', credentials: ['openai/a/prod', 'openai/b/prod'], allowedModels: ['gpt-4o-mini'], createdAt: now });
      await expect(issueAccessToken(tokens, { kind: 'proxy', name: 'app-one', credentials: ['x'], allowedModels: [], createdBy: 't' }, now)).rejects.toBeInstanceOf(ConflictError);
      await issueAccessToken(tokens, { kind: 'read', name: 'app-one', credentials: ['x'], allowedModels: [], createdBy: 't' }, now);
      expect((await tokens.list({ kind: 'proxy' })).map((each) => each.name)).toEqual(['app-one']);
      expect((await tokens.list()).length).toBe(2);

      await expect(tokens.revoke('app-one', now)).rejects.toBeInstanceOf(ConflictError); // ambiguous: two kinds
      const revoked = await tokens.revoke(token.id, new Date('2026-05-01T11:00:00Z'));
      expect(revoked.revokedAt).toEqual(new Date('2026-05-01T11:00:00Z'));
      expect(await verifyAccessToken(tokens, secret, 'proxy')).toBeUndefined();
      await expect(tokens.revoke(token.id, now)).rejects.toBeInstanceOf(NotFoundError);
      expect((await tokens.list({ kind: 'proxy', includeRevoked: true })).map((each) => each.revokedAt !== null)).toEqual([true]);
      await expect(issueAccessToken(tokens, { kind: 'proxy', name: 'app-one', credentials: ['x'], allowedModels: [], createdBy: 't' }, now)).resolves.toBeDefined();
    });
  });
}

function usageSuite(label: string, open: () => Promise<UsageReportStore>) {
  describe(`usage reports [${label}]`, () => {
    it('adds counts per minute and consumer, keeps the latest time, and filters by version and since', async () => {
      const usage = await open();
      await usage.record([report({}), report({ at: new Date('2026-05-01T10:00:50Z'), requests: 2 }), report({ consumer: 'other', at: new Date('2026-05-01T10:00:20Z') })]);
      await usage.record([report({ at: new Date('2026-05-01T10:03:05Z'), requests: 5 }), report({ versionNumber: 2, requests: 9 })]);
      expect(await usage.observations('cred-1', 1, new Date('2026-05-01T09:00:00Z'))).toEqual([
        { source: 'proxy', consumer: 'app', lastSeenAt: new Date('2026-05-01T10:03:05Z'), lastUsedAt: new Date('2026-05-01T10:03:05Z'), requests: 8 },
        { source: 'proxy', consumer: 'other', lastSeenAt: new Date('2026-05-01T10:00:20Z'), lastUsedAt: new Date('2026-05-01T10:00:20Z'), requests: 1 },
      ]);
      // From the minute containing `since` onwards.
      expect(await usage.observations('cred-1', 1, new Date('2026-05-01T10:03:30Z'))).toEqual([
        { source: 'proxy', consumer: 'app', lastSeenAt: new Date('2026-05-01T10:03:05Z'), lastUsedAt: new Date('2026-05-01T10:03:05Z'), requests: 5 },
      ]);
      // A later check-in without requests (holding only) is not use, and does not move the last use.
      await usage.record([report({ source: 'sdk', consumer: 'pod', at: new Date('2026-05-01T10:05:01Z'), requests: 3 }), report({ source: 'sdk', consumer: 'pod', at: new Date('2026-05-01T10:05:40Z'), requests: 0 })]);
      await usage.record([report({ source: 'sdk', consumer: 'idle', at: new Date('2026-05-01T10:05:10Z'), requests: 0 }), report({ source: 'sdk', consumer: 'idle', at: new Date('2026-05-01T10:05:50Z'), requests: 0 })]);
      const sdk = (await usage.observations('cred-1', 1, new Date('2026-05-01T10:05:00Z'))).filter((observation) => observation.source === 'sdk');
      expect(sdk).toEqual([
        { source: 'sdk', consumer: 'idle', lastSeenAt: new Date('2026-05-01T10:05:50Z'), lastUsedAt: null, requests: 0 },
        { source: 'sdk', consumer: 'pod', lastSeenAt: new Date('2026-05-01T10:05:01Z'), lastUsedAt: new Date('2026-05-01T10:05:01Z'), requests: 3 },
      ]);
      expect(await usage.observations('cred-1', 3, new Date('2026-05-01T09:00:00Z'))).toEqual([]);
      expect(await usage.observations('cred-2', 1, new Date('2026-05-01T09:00:00Z'))).toEqual([]);
    });
  });
}

accessTokenSuite('memory', async () => createMemoryAccessTokenStore());
usageSuite('memory', async () => createMemoryUsageReportStore());

describe('on SQLite', () => {
  let fixture: KeyFixture;
  beforeAll(async () => {
    fixture = await createKeyFixture();
  });
  afterAll(async () => {
    await fixture.close();
  });
  accessTokenSuite('sqlite', async () => openStoredAccessTokens(fixture.store));
  usageSuite('sqlite', async () => openStoredUsageReports(fixture.store));

  it('stores only the token hash [sqlite]', async () => {
    const tokens = openStoredAccessTokens(fixture.store);
    const { secret } = await issueAccessToken(tokens, { kind: 'read', name: 'hash-check', credentials: ['x'], allowedModels: [], createdBy: 't' }, new Date());
    await fixture.store.close();
    const { readFileSync, readdirSync } = await import('node:fs');
    const files = readdirSync(fixture.directory).map((name) => readFileSync(`${fixture.directory}/${name}`));
    for (const bytes of files) expect(bytes.includes(Buffer.from(secret.slice(-43)))).toBe(false);
    const { openStore } = await import('../../src/store/open-store.js');
    fixture.store = await openStore({ sqlitePath: `${fixture.directory}/rekey.db` });
  });
});

describe.skipIf(POSTGRES_URL === undefined)(`on PostgreSQL${POSTGRES_URL === undefined ? ` (skipped: ${POSTGRES_SKIP_REASON})` : ''}`, () => {
  let fixture: KeyFixture;
  let database: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    database = await createPostgresDatabase();
    fixture = await createKeyFixture({ databaseUrl: database.url });
  });
  afterAll(async () => {
    await fixture?.close();
    await database?.drop();
  });
  accessTokenSuite('postgres', async () => openStoredAccessTokens(fixture.store));
  usageSuite('postgres', async () => openStoredUsageReports(fixture.store));

  it('wakes key sets through LISTEN/NOTIFY when another process promotes [postgres]', async () => {
    await fixture.addCredential('openai/notify/prod', 'sk-proj-notify-one-aaaaaaaaaaaa');
    const keySets = createKeySets({ store: fixture.store, vault: fixture.vault, pollIntervalMilliseconds: 3_600_000 });
    const heard: Array<string | undefined> = [];
    const listener = await listenForKeyChanges({ url: database.url, onChange: (credentialId) => {
      heard.push(credentialId);
      void keySets.refresh();
    } });
    try {
      const before = await keySets.get('openai/notify/prod');
      const changed = new Promise<void>((resolve) => keySets.onChange((set) => set.keys[0]?.version === 2 && resolve()));
      await fixture.rotate('openai/notify/prod', 'sk-proj-notify-two-bbbbbbbbbbbb');
      await changed;
      expect(heard).toContain(before.credential.id);
      expect((await keySets.get('openai/notify/prod')).keys.map((key) => key.version)).toEqual([2, 1]);
    } finally {
      keySets.close();
      await listener.close();
    }
  });
});
