/**
 * The key-delivery app (`createServerApp`) on a real SQLite store and vault, rebuilt for
 * every test: two credentials, a read token scoped to one of them. Tests call
 * `world.app.request()` (hono's in-process requests; no socket).
 */
import { afterEach, beforeEach } from 'vitest';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { createKeySets, type KeySets } from '../../src/access/key-sets.js';
import { createTokenVerifier } from '../../src/access/token-verifier.js';
import { createServerApp } from '../../src/server/server-app.js';
import { createKeyFixture, type KeyFixture } from './key-fixture.js';

export const NAME = 'openai/ticketing/prod';
export const KEY_ONE = 'sk-proj-' + 'a'.repeat(40) + 'One1';
export const KEY_TWO = 'sk-proj-' + 'b'.repeat(40) + 'Two2';
export const keysPath = `/v1/credentials/${encodeURIComponent(NAME)}/keys`;

export interface ServerAppWorld {
  fixture: KeyFixture;
  keySets: KeySets;
  app: ReturnType<typeof createServerApp>;
  readToken: string;
  /** The Authorization header for `token` (default: the world's read token). */
  auth(token?: string): { authorization: string };
}

export function useServerApp(): ServerAppWorld {
  const world = {
    auth(token?: string) {
      return { authorization: `Bearer ${token ?? world.readToken}` };
    },
  } as ServerAppWorld;
  beforeEach(async () => {
    world.fixture = await createKeyFixture();
    await world.fixture.addCredential(NAME, KEY_ONE);
    await world.fixture.addCredential('openai/other/prod', 'sk-proj-' + 'c'.repeat(40));
    world.keySets = createKeySets({ store: world.fixture.store, vault: world.fixture.vault, pollIntervalMilliseconds: 20 });
    world.app = createServerApp({
      keySets: world.keySets,
      verifier: createTokenVerifier({ tokens: world.fixture.store, kind: 'read', cacheMilliseconds: 0 }),
      usage: world.fixture.store,
      now: () => new Date('2026-05-01T10:00:30Z'),
      ready: async () => undefined,
    });
    world.readToken = (await issueAccessToken(world.fixture.store, { kind: 'read', name: 'ticketing-api', credentials: [NAME], allowedModels: [], createdBy: 'test' }, new Date())).secret;
  });
  afterEach(async () => {
    world.keySets.close();
    await world.fixture.close();
  });
  return world;
}
