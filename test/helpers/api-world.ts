/**
 * `rekey serve` with its management API on a real SQLite store, vault, audit log and
 * rotation executor (over the fake provider and real sinks), rebuilt for every test.
 * People are added with a cheap scrypt cost (the login path is the real one); tests call
 * `world.call()` (hono's in-process requests; no socket).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeySets, type KeySets } from '../../src/access/key-sets.js';
import { createTokenVerifier } from '../../src/access/token-verifier.js';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.js';
import { createManualClock } from '../../src/core/clock.js';
import { SecretValue } from '../../src/core/secret-value.js';
import type { Credential, ProviderKind } from '../../src/core/types.js';
import type { Scope } from '../../src/core/team-types.js';
import { createEnvelope } from '../../src/crypto/envelope.js';
import { createRotationExecutor } from '../../src/rotation/rotation-executor.js';
import type { ApiServices } from '../../src/server/api/api-services.js';
import { createServerApp } from '../../src/server/server-app.js';
import { createSinkResolver } from '../../src/sinks/sink-resolver.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import type { RowIntegrity } from '../../src/team/team-deps.js';
import { sealTeamRows } from '../../src/team/team-integrity.js';
import { createApprovalGate } from '../../src/server/middleware/approval/approval-gate.js';
import { createStepUpGate } from '../../src/server/middleware/step-up/step-up-gate.js';
import { createAccessControl } from '../../src/team/access-control.js';
import { approvalLinkKey } from '../../src/team/approval-link.js';
import { createTotpSecondFactor } from '../../src/team/mfa-service.js';
import { bindRole } from '../../src/team/role-service.js';
import { addUser } from '../../src/team/user-service.js';
import { createVault, type Vault } from '../../src/vault/vault.js';
import { createFakeProvider } from '../fakes/fake-provider.js';

export const PASSWORD = 'PLANTED-api-password-7Kq2';
export const CHEAP_SCRYPT = { logN: 10, r: 8, p: 1 };

export interface ApiWorld {
  directory: string;
  store: Store;
  vault: Vault;
  audit: AuditLog;
  clock: ReturnType<typeof createManualClock>;
  fake: ReturnType<typeof createFakeProvider>;
  services: ApiServices;
  app: ReturnType<typeof createServerApp>;
  keySets: KeySets;
  addCredential(name: string, options?: { environment?: string; provider?: ProviderKind; tags?: Record<string, string> }): Promise<Credential>;
  /** A person bound to `role` on `scope` (none when role is null). */
  addPerson(name: string, bindings: Array<{ role: string; scope: Scope }>): Promise<void>;
  /** Signs in through POST /v1/auth/login and returns the session token. */
  login(name: string, password?: string): Promise<string>;
  call(method: string, path: string, token?: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

/**
 * `team: true` adds what `rekey serve` wires for team mode: TOTP at sign-in, the step-up and
 * two-person approval gates, and the keys for TOTP sealing and approval links.
 */
export async function createApiWorld(options: { databaseUrl?: string; team?: boolean; integrity?: RowIntegrity } = {}): Promise<ApiWorld> {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-api-'));
  const manual = createManualClock(new Date('2026-05-01T09:00:00Z'));
  const clock = Object.assign(manual, {
    async sleep(milliseconds: number) {
      manual.advance(milliseconds);
      await new Promise((resolve) => setImmediate(resolve));
    },
  });
  const store = await openStore({ databaseUrl: options.databaseUrl, sqlitePath: join(directory, 'rekey.db'), now: () => clock.now() });
  await store.migrate();
  const fingerprintSalt = randomBytes(32);
  const envelope = createEnvelope(randomBytes(32));
  const vault = createVault({ store, envelope, fingerprintSalt });
  const audit = createAuditLog({ store, clock });
  const fake = createFakeProvider({ clock });
  const executorWith = (recorder: Pick<AuditLog, 'record'>) => createRotationExecutor({
    store,
    vault,
    audit: recorder,
    providers: { resolve: () => fake.provider },
    sinks: createSinkResolver({ fingerprintSalt }),
    clock,
    workerId: 'api-world',
    settings: { testTimeoutMs: 5_000, revokeConfirmTimeoutMs: 5_000 },
  });
  const { integrity } = options;
  // A sealed install: the built-in roles carry their MACs, as after `rekey init`.
  if (integrity !== undefined) await sealTeamRows(store, integrity);
  const access = createAccessControl({ store, integrity });
  const services: ApiServices = { store, vault, audit, clock, rotations: async (recorder) => executorWith(recorder), fingerprintSalt, access, integrity };
  if (options.team === true) {
    services.team = { envelope, linkKey: approvalLinkKey(randomBytes(32)) };
    services.sessions = { secondFactor: createTotpSecondFactor({ store, audit, clock, actor: 'login', envelope, integrity }) };
    services.gates = [createStepUpGate({ access, clock }), createApprovalGate({ store, clock, integrity })];
  }
  const keySets = createKeySets({ store, vault, pollIntervalMilliseconds: 50 });
  const app = createServerApp({
    keySets,
    verifier: createTokenVerifier({ tokens: store, kind: 'read', cacheMilliseconds: 0 }),
    usage: store,
    now: () => clock.now(),
    ready: async () => undefined,
    api: { services, version: '0.0.0-test' },
  });
  const team = { store, audit, clock, actor: 'test:setup', integrity };
  const world: ApiWorld = {
    directory,
    store,
    vault,
    audit,
    clock,
    fake,
    services,
    app,
    keySets,
    async addCredential(name, extra = {}) {
      const credential = await store.createCredential({
        name,
        provider: extra.provider ?? 'openai',
        scope: { project: 'proj_1' },
        environment: extra.environment ?? name.split('/').at(-1) ?? 'prod',
        owner: null,
        purpose: null,
        allowedModels: [],
        tags: extra.tags ?? {},
        policy: {},
      });
      const seeded: SecretValue = fake.seed();
      await vault.putVersion({ credential, value: seeded, stage: 'current', providerKeyId: fake.keys.at(-1)?.id ?? null, mintedBy: 'test:setup' });
      return credential;
    },
    async addPerson(name, bindings) {
      await addUser(team, { name, password: PASSWORD, scrypt: CHEAP_SCRYPT });
      for (const binding of bindings) await bindRole(team, { role: binding.role, subjectKind: 'user', subject: name, scope: binding.scope });
    },
    async login(name, password = PASSWORD) {
      const response = await world.call('POST', '/v1/auth/login', undefined, { user: name, password });
      if (response.status !== 201) throw new Error(`login of ${name} answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { token: string }).token;
    },
    async call(method, path, token, body) {
      const headers: Record<string, string> = {};
      if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      return world.app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    },
    async close() {
      keySets.close();
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
  return world;
}

export function credentialPath(name: string, suffix = ''): string {
  return `/v1/credentials/${encodeURIComponent(name)}${suffix}`;
}
