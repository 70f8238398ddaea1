/**
 * What every Store contract suite and store test stands on: the fixture an implementation
 * provides (a fresh database, a second connection, raw SQL) and the records the suites write.
 */
import type { AuditDraft, NewCredential, NewVersion, Store } from '../../src/store/store.js';

export interface StoreFixtureOptions {
  now: () => Date;
}

export interface StoreFixture {
  /** A store on a fresh database that has not been migrated. */
  store: Store;
  /** Where the database is (file path or URL), for tests that spawn processes. */
  location: string;
  /** Another store on the same database (a second connection, like a second process). */
  openAnother(): Promise<Store>;
  /** Raw SQL on the same database, bypassing the store; `?` placeholders. */
  sql(statement: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  dispose(): Promise<void>;
}

export type StoreFixtureFactory = (options: StoreFixtureOptions) => Promise<StoreFixture>;

export function newCredential(name: string, overrides: Partial<NewCredential> = {}): NewCredential {
  return {
    name,
    provider: 'openai',
    scope: { project: 'proj_abc' },
    environment: 'prod',
    owner: 'platform@example.com',
    purpose: 'ticketing',
    allowedModels: ['gpt-4o-mini'],
    tags: { team: 'support' },
    policy: { rotateEveryDays: 30 },
    ...overrides,
  };
}

export function newVersion(credentialId: string, stage: 'pending' | 'current', label = 'a'): NewVersion {
  return {
    credentialId,
    stage,
    providerKeyId: `key_${label}`,
    fingerprint: label.padEnd(64, '0'),
    hint: `sk-proj-…${label}`,
    mintedBy: 'cli:test',
    seal: (number) => ({ ciphertext: Buffer.from(`sealed-${label}-${number}`), wrappedKey: Buffer.from([1, 2, number]), masterKeyId: 'mk_test' }),
  };
}

export function auditDraft(event: string, detail: Record<string, unknown> = {}, at = new Date('2026-01-01T00:00:00Z')): AuditDraft {
  return { at, event, actor: 'cli:test', credential: 'openai/ticketing/prod', fingerprint: null, outcome: 'ok', detail };
}
