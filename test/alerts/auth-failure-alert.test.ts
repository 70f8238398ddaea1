/**
 * Token guessing against `rekey serve` and the proxy on real sockets: each refused token is
 * counted per minute in the store, and the alert round raises one auth-failures alert per
 * face above the rate (and resolves it once the window is quiet). The presented tokens
 * never reach the store or the alert.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authFailureEvents } from '../../src/alerts/alert-conditions.js';
import { createAlertService } from '../../src/alerts/alert-service.js';
import { createManualClock } from '../../src/core/clock.js';
import { startProxy, type RunningProxy } from '../../src/proxy/proxy-server.js';
import { startKeyServer, type RunningKeyServer } from '../../src/server/key-server.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';

const GUESSES = 30;
let fixture: KeyFixture;
let server: RunningKeyServer;
let proxy: RunningProxy;
const guessed: string[] = [];

beforeAll(async () => {
  fixture = await createKeyFixture();
  server = await startKeyServer({ store: fixture.store, vault: fixture.vault, pollIntervalMilliseconds: 3_600_000, authFailureFlushMilliseconds: 3_600_000 });
  proxy = await startProxy({ store: fixture.store, vault: fixture.vault, upstreams: { openai: 'http://127.0.0.1:9/v1' }, pollIntervalMilliseconds: 3_600_000, meterFlushMilliseconds: 3_600_000, authFailureFlushMilliseconds: 3_600_000 });
});
afterAll(async () => {
  await proxy.close();
  await server.close();
  await fixture.close();
});

describe('auth failures at serve and the proxy', () => {
  it('are counted per face, and above the rate raise one alert each that names the rate, not the tokens', async () => {
    for (let index = 0; index < GUESSES; index += 1) {
      const readGuess = `rk_read_guess${String(index).padStart(4, '0')}ZZZZZZZZZZZZZZZZ`;
      const proxyGuess = `rk_proxy_guess${String(index).padStart(4, '0')}ZZZZZZZZZZZZZZZZ`;
      guessed.push(readGuess, proxyGuess);
      expect((await fetch(`${server.url}/v1/credentials/openai/ticketing/prod/keys`, { headers: { authorization: `Bearer ${readGuess}` } })).status).toBe(401);
      const proxied = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${proxyGuess}`, 'content-type': 'application/json' }, body: '{"model":"gpt-4o-mini"}' });
      expect(proxied.status).toBe(401);
    }
    // A request without any token is refused too, and counted.
    expect((await fetch(`${server.url}/v1/credentials/openai/ticketing/prod/keys`)).status).toBe(401);
    await server.authFailures.flush();
    await proxy.authFailures.flush();
    const counted = await fixture.store.countAuthFailures(new Date(Date.now() - 5 * 60_000));
    expect(counted).toEqual([
      { source: 'proxy', failures: GUESSES },
      { source: 'serve', failures: GUESSES + 1 },
    ]);

    const clock = createManualClock(new Date());
    const settings = { dueReminderDays: 7, authFailuresPerMinute: 5, heartbeatMissingAfterMs: 600_000 };
    const service = createAlertService({ store: fixture.store, clock, rules: [] });
    const deps = { store: fixture.store, service, clock, settings };
    const events = await authFailureEvents(deps);
    expect(events.map((event) => event.key)).toEqual(['auth-failures:proxy', 'auth-failures:serve']);
    expect(events[1]?.facts).toEqual([
      { label: 'expected', value: 'at most 5 a minute' },
      { label: 'seen', value: `${((GUESSES + 1) / 5).toFixed(1)} a minute over 5 minutes` },
    ]);
    await service.sync(['auth-failures'], events);
    expect((await fixture.store.listAlerts({ states: ['open'] })).map((alert) => alert.key).sort()).toEqual(['auth-failures:proxy', 'auth-failures:serve']);
    const stored = JSON.stringify(await fixture.store.listAlerts());
    for (const guess of guessed) expect(stored).not.toContain(guess);

    // Five quiet minutes later the window holds nothing: both resolve.
    clock.advance(6 * 60_000);
    await service.sync(['auth-failures'], await authFailureEvents(deps));
    expect((await fixture.store.listAlerts({ states: ['resolved'] })).map((alert) => alert.key).sort()).toEqual(['auth-failures:proxy', 'auth-failures:serve']);
  });
});
