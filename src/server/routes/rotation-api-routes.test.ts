import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiWorld, credentialPath, type ApiWorld } from '../../../test/helpers/api-world.js';

const STAGING = 'openai/ticketing/staging';
let world: ApiWorld;
let operator: string;

beforeEach(async () => {
  world = await createApiWorld();
  await world.addCredential(STAGING);
  await world.addPerson('olga', [{ role: 'operator', scope: { credentials: '*/staging' } }]);
  operator = await world.login('olga');
});
afterEach(() => world.close());

describe('rotation, consumer and token routes', () => {
  it('rotates as the person: the engine audits with their name and session, and the outcome lists it', async () => {
    const path = `${world.directory}/app.env`;
    const consumer = await world.call('POST', credentialPath(STAGING, '/consumers'), operator, { name: 'app-env', kind: 'env-file', config: { path, name: 'OPENAI_API_KEY' } });
    expect(consumer.status, await consumer.clone().text()).toBe(201);
    const badConsumer = await world.call('POST', credentialPath(STAGING, '/consumers'), operator, { name: 'bad', kind: 'env-file', config: {} });
    expect(badConsumer.status).toBe(400);
    const started = await world.call('POST', '/v1/rotations', operator, { credential: STAGING, graceQuietSeconds: 0 });
    expect(started.status, await started.clone().text()).toBe(201);
    const outcome = (await started.json()) as { rotation: string; state: string; from: number; to: number };
    expect(outcome).toMatchObject({ state: 'done', from: 1, to: 2 });
    const list = (await (await world.call('GET', '/v1/rotations', operator)).json()) as Array<{ rotation: string }>;
    expect(list.map((row) => row.rotation)).toEqual([outcome.rotation]);
    const shown = (await (await world.call('GET', `/v1/rotations/${outcome.rotation}`, operator)).json()) as { journal: unknown[]; options: { actor: string } };
    expect(shown.journal.length).toBeGreaterThan(5);
    expect(shown.options.actor).toBe('user:olga');
    const events = (await world.audit.list()).filter((event) => event.event.startsWith('rotation-'));
    expect(events.length).toBeGreaterThan(1);
    for (const event of events) expect(event).toMatchObject({ actor: 'user:olga', detail: { via: { session: expect.stringMatching(/^ses_/) } } });
  });

  it('creates a token scoped to a credential the caller manages tokens for, and shows it once', async () => {
    await world.addPerson('ada', [{ role: 'admin', scope: {} }]);
    const admin = await world.login('ada');
    const refused = await world.call('POST', '/v1/tokens', operator, { kind: 'read', name: 'app', credentials: [STAGING] });
    expect(refused.status).toBe(403);
    const created = await world.call('POST', '/v1/tokens', admin, { kind: 'read', name: 'app', credentials: [STAGING] });
    expect(created.status).toBe(201);
    const { token, id } = (await created.json()) as { token: string; id: string };
    expect(token).toMatch(/^rk_read_/);
    const keys = await world.app.request(`/v1/credentials/${encodeURIComponent(STAGING)}/keys`, { headers: { authorization: `Bearer ${token}` } });
    expect(keys.status).toBe(200);
    const listed = await (await world.call('GET', '/v1/tokens', admin)).text();
    expect(listed).toContain(id);
    expect(listed).not.toContain(token);
    expect((await world.call('DELETE', `/v1/tokens/${id}`, admin)).status).toBe(200);
    expect(JSON.stringify(await world.audit.list())).not.toContain(token);
  });
});
