/** Realism knobs with an injected clock: no sleeping, fully deterministic. */
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';

const running: RunningEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

async function start(options: Parameters<typeof startEmulator>[0]) {
  const emulator = await startEmulator(options);
  running.push(emulator);
  return emulator;
}

async function statusOf(emulator: RunningEmulator, key: string): Promise<number> {
  const response = await fetch(`${emulator.openaiBaseUrl}/models`, { headers: { authorization: `Bearer ${key}` } });
  await response.arrayBuffer();
  return response.status;
}

async function adminCall(emulator: RunningEmulator, path: string, method = 'GET', body?: unknown) {
  const response = await fetch(`${emulator.openaiBaseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${emulator.adminKeys.openai.reveal()}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

describe('emulator knobs', () => {
  it('activation delay: a new key answers 401 until the delay has passed', async () => {
    const clock = createManualClock();
    const emulator = await start({ clock, knobs: { activationDelayMs: 5_000 } });
    const seeded = await emulator.seedOpenAIProject('slow-start');
    expect(await statusOf(emulator, seeded.key.reveal())).toBe(401);
    expect(emulator.isKeyLive(seeded.key.reveal())).toBe(false);
    clock.advance(4_999);
    expect(await statusOf(emulator, seeded.key.reveal())).toBe(401);
    clock.advance(1);
    expect(await statusOf(emulator, seeded.key.reveal())).toBe(200);
    expect(emulator.isKeyLive(seeded.key.reveal())).toBe(true);
  });

  it('revocation delay: a deleted key keeps working for that long, then 401', async () => {
    const clock = createManualClock();
    const emulator = await start({ clock, knobs: { revocationDelayMs: 10_000 } });
    const seeded = await emulator.seedOpenAIProject('slow-stop');
    const deleted = await adminCall(emulator, `/organization/projects/${seeded.projectId}/service_accounts/${seeded.serviceAccountId}`, 'DELETE');
    expect(deleted.status).toBe(200);
    expect(emulator.listAllKeys().find((key) => key.id === seeded.keyId)?.status).toBe('revoked');
    clock.advance(9_999);
    expect(await statusOf(emulator, seeded.key.reveal())).toBe(200);
    clock.advance(1);
    expect(await statusOf(emulator, seeded.key.reveal())).toBe(401);
  });

  it('429 at the configured rate with retry-after, deterministic for a seed', async () => {
    const sequence = async (seed: number) => {
      const emulator = await start({ seed, knobs: { rate429: 0.3, retryAfterSeconds: 7 } });
      const seeded = await emulator.seedOpenAIProject('limited');
      const statuses: number[] = [];
      for (let index = 0; index < 200; index += 1) statuses.push(await statusOf(emulator, seeded.key.reveal()));
      return statuses;
    };
    const first = await sequence(42);
    const again = await sequence(42);
    const other = await sequence(43);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    const limited = first.filter((status) => status === 429).length;
    expect(limited).toBeGreaterThan(30);
    expect(limited).toBeLessThan(90);
    expect(first.every((status) => status === 200 || status === 429)).toBe(true);

    const emulator = await start({ seed: 1, knobs: { rate429: 1, retryAfterSeconds: 7 } });
    const response = await adminCall(emulator, '/organization/projects');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.body).toMatchObject({ error: { code: 'rate_limit_exceeded', param: null } });
  });

  it('5xx at the configured rate on admin and inference, never on the emulator console', async () => {
    const emulator = await start({ seed: 3, knobs: { rate5xx: 1 } });
    const admin = await adminCall(emulator, '/organization/projects');
    expect([500, 503]).toContain(admin.status);
    expect(admin.body).toMatchObject({ error: { type: 'server_error' } });
    const anthropic = await fetch(`${emulator.anthropicBaseUrl}/v1/organizations/api_keys`, { headers: { 'x-api-key': emulator.adminKeys.anthropic.reveal(), 'anthropic-version': '2023-06-01' } });
    expect([500, 529]).toContain(anthropic.status);
    const console = await fetch(`${emulator.url}/anthropic/_emulator_console/api_keys`, {
      method: 'POST',
      headers: { 'x-api-key': emulator.adminKeys.anthropic.reveal(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'never-faulted' }),
    });
    expect(console.status).toBe(201);
    emulator.setKnobs({ rate5xx: 0 });
    expect((await adminCall(emulator, '/organization/projects')).status).toBe(200);
  });

  it('a dead key gets 401 even when faults are on', async () => {
    const emulator = await start({ seed: 9, knobs: { rate429: 0.5, rate5xx: 0.5 } });
    for (let index = 0; index < 20; index += 1) expect(await statusOf(emulator, 'sk-proj-deadbeefdeadbeefdeadbeef')).toBe(401);
  });

  it('adds latency on the injected clock', async () => {
    const clock = createManualClock();
    const emulator = await start({ clock, knobs: { latencyMs: 250 } });
    const before = clock.now().getTime();
    await adminCall(emulator, '/organization/projects');
    expect(clock.now().getTime() - before).toBe(250);
  });

  it('enforces a project rate limit set through the admin API, per minute on the clock', async () => {
    const clock = createManualClock();
    const emulator = await start({ clock });
    const seeded = await emulator.seedOpenAIProject('throttled');
    const modified = await adminCall(emulator, `/organization/projects/${seeded.projectId}/rate_limits/rl-gpt-4o-mini`, 'POST', { max_requests_per_1_minute: 2 });
    expect(modified.body).toMatchObject({ id: 'rl-gpt-4o-mini', max_requests_per_1_minute: 2 });
    const chat = async () => {
      const response = await fetch(`${emulator.openaiBaseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${seeded.key.reveal()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as { error?: { code: string } } };
    };
    expect((await chat()).headers.get('x-ratelimit-remaining-requests')).toBe('1');
    clock.advance(10_000);
    expect((await chat()).headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const limited = await chat();
    expect(limited.status).toBe(429);
    expect(limited.body.error?.code).toBe('rate_limit_exceeded');
    expect(limited.headers.get('retry-after')).toBe('50');
    clock.advance(50_000);
    expect((await chat()).status).toBe(200);
  });

  it('rejects invalid knob values', async () => {
    await expect(startEmulator({ knobs: { rate429: 2 } })).rejects.toThrow(/rate/);
    const emulator = await start({});
    expect(() => emulator.setKnobs({ latencyMs: -1 })).toThrow(/latencyMs/);
  });
});
