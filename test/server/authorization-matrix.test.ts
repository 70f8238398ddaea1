/**
 * The authorization matrix through the HTTP API (issue 11 item 10): every capability ×
 * every built-in role × in scope / out of scope → the route answers, or 403 naming the
 * capability and the scope. Credential capabilities are granted on `*\/staging` and tried
 * on a staging credential (in scope) and a production one (out); install-wide ones are
 * granted unrestricted (in scope) or on `*\/staging` (out: they need everything).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_ROLE_NAMES, BUILTIN_ROLES, CAPABILITIES, isInstallCapability, type Capability } from '../../src/core/team-types.js';
import { createApiWorld, credentialPath, type ApiWorld } from '../helpers/api-world.js';

const STAGING = 'openai/ticketing/staging';
const PROD = 'openai/ticketing/prod';

/** Capabilities with no route of this API, and why. */
const NOT_AN_API_ROUTE = {
  approve: 'approvals are their own routes (two-person approval, issue 11 item 5)',
  'master-key-rotate': 'the new master key never travels over HTTP: rekey master-key rotate runs where the key is',
} as const satisfies Partial<Record<Capability, string>>;

let world: ApiWorld;
const tokens = new Map<string, string>();
const rotationOf = new Map<string, string>();
let serial = 0;

/** One call that needs `capability` on `credential` (or the install), and the status it answers when allowed. */
const PROBES: Record<Exclude<Capability, keyof typeof NOT_AN_API_ROUTE>, { allowed: number; call: (token: string, credential: string) => Promise<Response> }> = {
  'read-metadata': { allowed: 200, call: (token, credential) => world.call('GET', credentialPath(credential), token) },
  reveal: { allowed: 200, call: (token, credential) => world.call('POST', credentialPath(credential, '/reveal'), token, {}) },
  rotate: { allowed: 200, call: (token, credential) => world.call('POST', '/v1/rotations/plan', token, { credential }) },
  'emergency-rotate': { allowed: 200, call: (token, credential) => world.call('POST', '/v1/rotations/plan', token, { credential, emergency: true }) },
  // The rotation is finished: an allowed caller reaches the engine, which refuses with 409.
  'end-grace': { allowed: 409, call: (token, credential) => world.call('POST', `/v1/rotations/${rotationOf.get(credential) ?? ''}/end-grace`, token) },
  'manage-consumers': { allowed: 404, call: (token, credential) => world.call('DELETE', credentialPath(credential, '/consumers/no-such-consumer'), token) },
  'manage-tokens': { allowed: 201, call: (token, credential) => world.call('POST', '/v1/tokens', token, { kind: 'read', name: `matrix-${++serial}`, credentials: [credential] }) },
  'manage-users': { allowed: 200, call: (token) => world.call('GET', '/v1/users', token) },
  'manage-policy': { allowed: 200, call: (token, credential) => world.call('PATCH', credentialPath(credential), token, { owner: `team-${++serial}` }) },
  'read-audit': { allowed: 200, call: (token) => world.call('GET', '/v1/audit?limit=1', token) },
};

beforeAll(async () => {
  world = await createApiWorld();
  for (const name of [STAGING, PROD]) {
    await world.addCredential(name);
    const executor = await world.services.rotations(world.audit);
    const outcome = await executor.start({ credential: name, actor: 'test:setup', graceQuietSeconds: 0, graceMaxSeconds: 60 });
    expect(outcome.state).toBe('done');
    rotationOf.set(name, outcome.rotationId);
  }
  for (const role of BUILTIN_ROLE_NAMES) {
    await world.addPerson(`${role}-staging`, [{ role, scope: { credentials: '*/staging' } }]);
    await world.addPerson(`${role}-all`, [{ role, scope: {} }]);
    tokens.set(`${role}-staging`, await world.login(`${role}-staging`));
    tokens.set(`${role}-all`, await world.login(`${role}-all`));
  }
}, 60_000);
afterAll(() => world.close());

describe('authorization matrix through the HTTP API', () => {
  it('has a probe for every capability, or says why it has no route here', () => {
    expect(CAPABILITIES.filter((capability) => !(capability in PROBES) && !(capability in NOT_AN_API_ROUTE))).toEqual([]);
  });
  for (const role of BUILTIN_ROLE_NAMES) {
    for (const capability of CAPABILITIES) {
      const probe = (PROBES as Partial<Record<Capability, (typeof PROBES)['reveal']>>)[capability];
      if (probe === undefined) continue;
      const granted = (BUILTIN_ROLES[role].capabilities as readonly string[]).includes(capability);
      const install = isInstallCapability(capability);
      it(`${role} × ${capability}: in scope ${granted ? probe.allowed : 403}, out of scope 403`, async () => {
        const inScope = await probe.call(tokens.get(install ? `${role}-all` : `${role}-staging`) ?? '', STAGING);
        expect(inScope.status, await inScope.clone().text()).toBe(granted ? probe.allowed : 403);
        const outOfScope = await probe.call(tokens.get(`${role}-staging`) ?? '', install ? STAGING : PROD);
        expect(outOfScope.status).toBe(403);
        const refusal = (await outOfScope.json()) as { error: { code: string; capability: string; scope: string; message: string } };
        expect(refusal.error).toMatchObject({ code: 'forbidden', capability, scope: install ? 'install' : PROD });
        expect(refusal.error.message).toContain(`capability ${capability}`);
        if (!granted) {
          const body = (await inScope.json()) as { error: { capability: string } };
          expect(body.error.capability).toBe(capability);
        }
      });
    }
  }
  it('audited every refusal with the person, the capability and the scope', async () => {
    const denials = (await world.audit.list()).filter((event) => event.event === 'access-deny');
    expect(denials.length).toBeGreaterThan(40);
    for (const denial of denials) {
      expect(denial.actor).toMatch(/^user:[a-z]+-(staging|all)$/);
      expect(denial.detail).toMatchObject({ capability: expect.any(String), scope: expect.any(String), via: { session: expect.stringMatching(/^ses_/), source: 'in-process' } });
    }
  });
});
