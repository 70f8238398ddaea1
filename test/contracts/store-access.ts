/**
 * The Store contract, part two: what applications' access needs from storage — access
 * tokens, usage reports and the key-change watch. Registered by `runStoreContract`, so it
 * runs on every implementation (SQLite and PostgreSQL).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueAccessToken, verifyAccessToken } from '../../src/access/access-tokens.js';
import { ConflictError, NotFoundError } from '../../src/core/errors.js';
import type { UsageReport } from '../../src/core/types.js';
import type { Store } from '../../src/store/store.js';
import { newCredential, newVersion, type StoreFixture, type StoreFixtureFactory } from './store-fixture.js';

function report(overrides: Partial<UsageReport>): UsageReport {
  return {
    credentialId: 'cred-1', versionNumber: 1, source: 'proxy', consumer: 'app', at: new Date('2026-05-01T10:00:10Z'),
    requests: 1, status2xx: 1, status4xx: 0, status5xx: 0, inputTokens: 3, outputTokens: 4, ...overrides,
  };
}

/** Resolves when `condition` holds, polling every 10 ms; fails after `milliseconds`. */
async function eventually(condition: () => boolean, milliseconds: number, what: string): Promise<void> {
  const deadline = Date.now() + milliseconds;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${milliseconds} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function runAccessStoreContract(label: string, createFixture: StoreFixtureFactory): void {
  describe(`store contract, access parts ${label}`, () => {
    let fixture: StoreFixture;
    let store: Store;

    beforeEach(async () => {
      fixture = await createFixture({ now: () => new Date('2026-03-01T12:00:00Z') });
      store = fixture.store;
      await store.migrate();
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    describe('access tokens', () => {
      it('issues, finds, lists, verifies and revokes; names are unique among live tokens of a kind', async () => {
        const now = new Date('2026-05-01T10:00:00.000Z');
        for (const name of ['openai/a/prod', 'openai/b/prod', 'openai/x/prod']) await store.createCredential(newCredential(name));
        const { token, secret } = await issueAccessToken(store, { kind: 'proxy', name: 'app-one', credentials: ['openai/a/prod', 'openai/b/prod'], allowedModels: ['gpt-4o-mini'], createdBy: 'cli:test' }, now);
        expect(await verifyAccessToken(store, secret, 'proxy')).toEqual({ ...token, revokedAt: null });
        expect(await verifyAccessToken(store, secret, 'read')).toBeUndefined();
        expect(token).toMatchObject({ kind: 'proxy', name: 'app-one', credentials: ['openai/a/prod', 'openai/b/prod'], allowedModels: ['gpt-4o-mini'], createdAt: now });
        const ids = await Promise.all(['openai/a/prod', 'openai/b/prod'].map(async (name) => (await store.getCredential(name))?.id));
        expect(token).toMatchObject({ credentialIds: ids, expiresAt: null, cidrs: [] });
        await expect(issueAccessToken(store, { kind: 'proxy', name: 'app-one', credentials: ['openai/x/prod'], allowedModels: [], createdBy: 't' }, now)).rejects.toBeInstanceOf(ConflictError);
        await issueAccessToken(store, { kind: 'read', name: 'app-one', credentials: ['openai/x/prod'], allowedModels: [], createdBy: 't' }, now);
        expect((await store.listAccessTokens({ kind: 'proxy' })).map((each) => each.name)).toEqual(['app-one']);
        expect((await store.listAccessTokens()).length).toBe(2);

        await expect(store.revokeAccessToken('app-one', now)).rejects.toBeInstanceOf(ConflictError); // ambiguous: two kinds
        const revoked = await store.revokeAccessToken(token.id, new Date('2026-05-01T11:00:00Z'));
        expect(revoked.revokedAt).toEqual(new Date('2026-05-01T11:00:00Z'));
        expect(await verifyAccessToken(store, secret, 'proxy')).toBeUndefined();
        await expect(store.revokeAccessToken(token.id, now)).rejects.toBeInstanceOf(NotFoundError);
        expect((await store.listAccessTokens({ kind: 'proxy', includeRevoked: true })).map((each) => each.revokedAt !== null)).toEqual([true]);
        await expect(issueAccessToken(store, { kind: 'proxy', name: 'app-one', credentials: ['openai/x/prod'], allowedModels: [], createdBy: 't' }, now)).resolves.toBeDefined();
      });

      it('keeps only the hash of a token, and a second connection verifies it', async () => {
        await store.createCredential(newCredential('openai/x/prod'));
        const { token, secret } = await issueAccessToken(store, { kind: 'read', name: 'hash-check', credentials: ['openai/x/prod'], allowedModels: [], createdBy: 't' }, new Date());
        const rows = await fixture.sql('SELECT * FROM access_tokens');
        const stored = JSON.stringify(rows, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value));
        expect(rows).toHaveLength(1);
        expect(stored).not.toContain(secret.slice(-43));
        const other = await fixture.openAnother();
        expect((await verifyAccessToken(other, secret, 'read'))?.id).toBe(token.id);
      });
    });

    describe('usage reports', () => {
      it('adds counts per minute and consumer, keeps the latest time, and filters by version and since', async () => {
        await store.recordUsage([report({}), report({ at: new Date('2026-05-01T10:00:50Z'), requests: 2 }), report({ consumer: 'other', at: new Date('2026-05-01T10:00:20Z') })]);
        await store.recordUsage([report({ at: new Date('2026-05-01T10:03:05Z'), requests: 5 }), report({ versionNumber: 2, requests: 9 })]);
        expect(await store.listConsumerUsage('cred-1', 1, new Date('2026-05-01T09:00:00Z'))).toEqual([
          { source: 'proxy', consumer: 'app', lastSeenAt: new Date('2026-05-01T10:03:05Z'), lastUsedAt: new Date('2026-05-01T10:03:05Z'), requests: 8 },
          { source: 'proxy', consumer: 'other', lastSeenAt: new Date('2026-05-01T10:00:20Z'), lastUsedAt: new Date('2026-05-01T10:00:20Z'), requests: 1 },
        ]);
        // From the minute containing `since` onwards.
        expect(await store.listConsumerUsage('cred-1', 1, new Date('2026-05-01T10:03:30Z'))).toEqual([
          { source: 'proxy', consumer: 'app', lastSeenAt: new Date('2026-05-01T10:03:05Z'), lastUsedAt: new Date('2026-05-01T10:03:05Z'), requests: 5 },
        ]);
        // A later check-in without requests (holding only) is not use, and does not move the last use.
        await store.recordUsage([report({ source: 'sdk', consumer: 'pod', at: new Date('2026-05-01T10:05:01Z'), requests: 3 }), report({ source: 'sdk', consumer: 'pod', at: new Date('2026-05-01T10:05:40Z'), requests: 0 })]);
        await store.recordUsage([report({ source: 'sdk', consumer: 'idle', at: new Date('2026-05-01T10:05:10Z'), requests: 0 }), report({ source: 'sdk', consumer: 'idle', at: new Date('2026-05-01T10:05:50Z'), requests: 0 })]);
        const sdk = (await store.listConsumerUsage('cred-1', 1, new Date('2026-05-01T10:05:00Z'))).filter((usage) => usage.source === 'sdk');
        expect(sdk).toEqual([
          { source: 'sdk', consumer: 'idle', lastSeenAt: new Date('2026-05-01T10:05:50Z'), lastUsedAt: null, requests: 0 },
          { source: 'sdk', consumer: 'pod', lastSeenAt: new Date('2026-05-01T10:05:01Z'), lastUsedAt: new Date('2026-05-01T10:05:01Z'), requests: 3 },
        ]);
        expect(await store.listConsumerUsage('cred-1', 3, new Date('2026-05-01T09:00:00Z'))).toEqual([]);
        expect(await store.listConsumerUsage('cred-2', 1, new Date('2026-05-01T09:00:00Z'))).toEqual([]);
        await expect(store.recordUsage([])).resolves.toBeUndefined();
      });

      it('adds reports from two connections at once into one row', async () => {
        const other = await fixture.openAnother();
        await Promise.all([store.recordUsage([report({ requests: 2 })]), other.recordUsage([report({ requests: 3 })])]);
        expect((await store.listConsumerUsage('cred-1', 1, new Date('2026-05-01T10:00:00Z'))).map((usage) => usage.requests)).toEqual([5]);
      });
    });

    describe('key-change watch', () => {
      it('tells of a promote, a rollback and a revoke made through another connection, and stops when closed', async () => {
        const credential = await store.createCredential(newCredential('openai/watch/prod'));
        const other = await fixture.openAnother();
        await other.addVersion(newVersion(credential.id, 'current', 'a'));
        const heard: Array<string | undefined> = [];
        const watch = await store.watchKeyChanges((credentialId) => heard.push(credentialId), { pollIntervalMilliseconds: 20 });
        try {
          await other.addVersion(newVersion(credential.id, 'pending', 'b'));
          await other.promote(credential.id, 2, { expectedCurrent: 1 });
          await eventually(() => heard.includes(credential.id), 5_000, 'the promote');
          heard.length = 0;
          await other.rollback(credential.id, { expectedCurrent: 2 });
          await eventually(() => heard.includes(credential.id), 5_000, 'the rollback');
          await other.addVersion(newVersion(credential.id, 'pending', 'c'));
          await other.promote(credential.id, 3, { expectedCurrent: 1 });
          await eventually(() => heard.includes(credential.id), 5_000, 'the second promote');
          heard.length = 0;
          await other.setVersionStage(credential.id, 1, 'previous', 'revoked');
          await eventually(() => heard.includes(credential.id), 5_000, 'the revoke');
        } finally {
          await watch.close();
        }
        heard.length = 0;
        await other.addVersion(newVersion(credential.id, 'pending', 'd'));
        await other.promote(credential.id, 4, { expectedCurrent: 3 });
        // Negative check: a closed watch hears nothing (NOTIFY arrives in milliseconds, the poll runs every 20 ms).
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(heard).toEqual([]);
      });

      it('closes its watches with the store', async () => {
        const watch = await store.watchKeyChanges(() => undefined, { pollIntervalMilliseconds: 20 });
        await store.close();
        await expect(watch.close()).resolves.toBeUndefined();
      });
    });
  });
}
