import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiWorld, credentialPath, type ApiWorld } from '../../../test/helpers/api-world.js';

const STAGING = 'openai/ticketing/staging';
const PROD = 'openai/ticketing/prod';
let world: ApiWorld;
let operator: string;
let admin: string;

beforeEach(async () => {
  world = await createApiWorld();
  await world.addCredential(STAGING);
  await world.addCredential(PROD);
  await world.addPerson('olga', [{ role: 'operator', scope: { credentials: '*/staging' } }]);
  await world.addPerson('ada', [{ role: 'admin', scope: {} }]);
  operator = await world.login('olga');
  admin = await world.login('ada');
});
afterEach(() => world.close());

type ErrorBody = { error: { code: string; message: string; capability?: string; scope?: string; held?: string[] } };

describe('credential routes', () => {
  it('lists only what the caller may read, shows in scope, and refuses out of scope with the capability and scope named', async () => {
    const list = await world.call('GET', '/v1/credentials', operator);
    expect(list.status).toBe(200);
    expect(((await list.json()) as Array<{ credential: { name: string }; current: { number: number } }>).map((row) => [row.credential.name, row.current.number])).toEqual([[STAGING, 1]]);
    expect((await world.call('GET', credentialPath(STAGING), operator)).status).toBe(200);
    const refused = await world.call('GET', credentialPath(PROD), operator);
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as ErrorBody;
    expect(body.error).toMatchObject({ code: 'forbidden', capability: 'read-metadata', scope: PROD, held: ['operator on credentials=*/staging'] });
    expect(body.error.message).toContain('lacks capability read-metadata on openai/ticketing/prod');
  });

  it('answers 403 for a name outside the scope whether or not it exists (no probing), 404 inside it', async () => {
    expect((await world.call('GET', credentialPath('openai/ghost/prod'), operator)).status).toBe(403);
    const missing = await world.call('GET', credentialPath('openai/ghost/staging'), operator);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorBody).error.code).toBe('not-found');
  });

  it('reveals for a caller holding reveal, audited with the real actor, session and source; a refusal is audited too', async () => {
    const refused = await world.call('POST', credentialPath(STAGING, '/reveal'), operator, {});
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ErrorBody).error.capability).toBe('reveal');
    const revealed = await world.call('POST', credentialPath(STAGING, '/reveal'), admin, {});
    expect(revealed.status).toBe(200);
    const value = ((await revealed.json()) as { value: string }).value;
    expect(value).toBe(world.fake.keys[0]?.value);
    const events = await world.audit.list();
    const deny = events.find((event) => event.event === 'access-deny');
    expect(deny).toMatchObject({ actor: 'user:olga', credential: STAGING, outcome: 'error', detail: { operation: 'credential-reveal', capability: 'reveal', scope: STAGING, via: { session: expect.stringMatching(/^ses_/), source: 'in-process', mfa: null, approval: null } } });
    const reveal = events.find((event) => event.event === 'credential-reveal');
    expect(reveal).toMatchObject({ actor: 'user:ada', credential: STAGING, outcome: 'ok', detail: { version: 1, via: { session: expect.stringMatching(/^ses_/), source: 'in-process' } } });
    expect(JSON.stringify(events)).not.toContain(value);
  });

  it('adds, edits and removes for an admin (manage-policy), refuses an operator, and names a bad field', async () => {
    const bad = await world.call('POST', '/v1/credentials', admin, { name: 'openai/new/dev', provider: 'openia' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.message).toContain('body field "provider"');
    const unknownField = await world.call('POST', '/v1/credentials', admin, { name: 'openai/new/dev', provider: 'openai', colour: 'red' });
    expect(unknownField.status).toBe(400);
    expect(((await unknownField.json()) as ErrorBody).error.message).toContain('colour');
    const body = { name: 'openai/new/staging', provider: 'manual', owner: 'support' };
    const refused = await world.call('POST', '/v1/credentials', operator, body);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ErrorBody).error).toMatchObject({ capability: 'manage-policy', scope: 'install' });
    const added = await world.call('POST', '/v1/credentials', admin, body);
    expect(added.status).toBe(201);
    expect(await added.json()).toMatchObject({ credential: { name: 'openai/new/staging', environment: 'staging', owner: 'support' }, version: null });
    const edited = await world.call('PATCH', credentialPath('openai/new/staging'), admin, { owner: 'platform', policy: { rotateEveryDays: 30 } });
    expect(await edited.json()).toMatchObject({ credential: { owner: 'platform', policy: { rotateEveryDays: 30 } }, changed: ['owner', 'policy'] });
    const removed = await world.call('DELETE', credentialPath('openai/new/staging'), admin);
    expect(await removed.json()).toEqual({ removed: 'openai/new/staging', liveVersions: 0 });
    expect((await world.audit.list()).filter((event) => event.actor === 'user:ada').map((event) => event.event)).toEqual(['session-login', 'credential-add', 'credential-edit', 'credential-remove']);
  });
});
