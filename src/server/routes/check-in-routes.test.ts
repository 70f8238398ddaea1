import { describe, expect, it } from 'vitest';
import { KEY_TWO, NAME, useServerApp } from '../../../test/helpers/server-app-world.js';
import { MAX_REQUESTS_PER_CHECK_IN } from './check-in-routes.js';

const world = useServerApp();

describe('check-in routes', () => {
  it('records SDK check-ins as usage observations for the token, per version and instance', async () => {
    const response = await world.app.request('/v1/check-ins', {
      method: 'POST',
      headers: { ...world.auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ credential: NAME, instance: 'host-1', versions: [{ version: 1, requests: 42 }] }),
    });
    expect(response.status).toBe(204);
    const credential = await world.fixture.store.getCredential(NAME);
    const observations = await world.fixture.store.listConsumerUsage(credential?.id ?? '', 1, new Date('2026-05-01T10:00:00Z'));
    expect(observations).toEqual([{ source: 'sdk', consumer: 'ticketing-api/host-1', lastSeenAt: new Date('2026-05-01T10:00:30Z'), lastUsedAt: new Date('2026-05-01T10:00:30Z'), requests: 42 }]);
    expect(await world.fixture.store.listConsumerUsage(credential?.id ?? '', 2, new Date('2026-05-01T10:00:00Z'))).toEqual([]);
  });
  it('keeps the time of use a client reports (a count re-sent after a failed check-in is not recent traffic)', async () => {
    await world.fixture.rotate(NAME, KEY_TWO);
    const response = await world.app.request('/v1/check-ins', {
      method: 'POST',
      headers: { ...world.auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ credential: NAME, versions: [{ version: 1, requests: 5, lastUsedAt: Date.parse('2026-05-01T09:58:10Z') }, { version: 2, requests: 0, lastUsedAt: Date.parse('2026-05-01T09:00:00Z') }] }),
    });
    expect(response.status).toBe(204);
    const credential = await world.fixture.store.getCredential(NAME);
    expect(await world.fixture.store.listConsumerUsage(credential?.id ?? '', 1, new Date('2026-05-01T09:50:00Z'))).toEqual([
      expect.objectContaining({ consumer: 'ticketing-api', lastUsedAt: new Date('2026-05-01T09:58:10Z'), requests: 5 }),
    ]);
    // Holding a version (no requests) is seen now, and is not use.
    expect(await world.fixture.store.listConsumerUsage(credential?.id ?? '', 2, new Date('2026-05-01T09:50:00Z'))).toEqual([
      expect.objectContaining({ lastSeenAt: new Date('2026-05-01T10:00:30Z'), lastUsedAt: null, requests: 0 }),
    ]);
  });
  it('rejects a malformed check-in with a message naming the field, and an out-of-scope one with 403', async () => {
    const bad = await world.app.request('/v1/check-ins', {
      method: 'POST',
      headers: { ...world.auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ credential: NAME, versions: [{ version: 0, requests: 1 }] }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('versions.0.version');
    const outside = await world.app.request('/v1/check-ins', {
      method: 'POST',
      headers: { ...world.auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ credential: 'openai/other/prod', versions: [{ version: 1, requests: 1 }] }),
    });
    expect(outside.status).toBe(403);
  });

  const checkIn = (versions: unknown[]) =>
    world.app.request('/v1/check-ins', { method: 'POST', headers: { ...world.auth(), 'content-type': 'application/json' }, body: JSON.stringify({ credential: NAME, versions }) });

  // Attack (issue #18): an app reported use of any version number with any count, so it could
  // keep a revoked or never-minted version "in use" and hold a revocation back.
  it('refuses a version the credential never had, and an implausible count', async () => {
    const unknown = await checkIn([{ version: 7, requests: 3 }]);
    expect(unknown.status).toBe(422);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe(`credential ${NAME} has no version 7`);
    const huge = await checkIn([{ version: 1, requests: MAX_REQUESTS_PER_CHECK_IN + 1 }]);
    expect(huge.status).toBe(400);
    const credential = await world.fixture.store.getCredential(NAME);
    expect(await world.fixture.store.listConsumerUsage(credential?.id ?? '', 7, new Date(0))).toEqual([]);
    expect(await world.fixture.store.listConsumerUsage(credential?.id ?? '', 1, new Date(0))).toEqual([]);
  });

  it('drops a report of a revoked version: it cannot be in use, so it holds nothing back', async () => {
    await world.fixture.rotate(NAME, KEY_TWO);
    await world.fixture.endGrace(NAME);
    const response = await checkIn([{ version: 1, requests: 40 }, { version: 2, requests: 2 }]);
    expect(response.status).toBe(204);
    const credential = await world.fixture.store.getCredential(NAME);
    expect(await world.fixture.store.listConsumerUsage(credential?.id ?? '', 1, new Date(0))).toEqual([]);
    expect(await world.fixture.store.listConsumerUsage(credential?.id ?? '', 2, new Date(0))).toEqual([expect.objectContaining({ requests: 2 })]);
  });
});
