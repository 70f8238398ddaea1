/**
 * The alert lifecycle and the outbox worker against a real SQLite store and a real
 * Standard Webhooks receiver on loopback: one message per burst, reminders, acknowledge,
 * resolve, retries with backoff, dead letters, and routing by kind, severity, environment
 * and credential glob.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialGlobMatches, routeEvent } from '../../src/alerts/alert-routing.js';
import { createAlertService, type AlertService } from '../../src/alerts/alert-service.js';
import type { AlertEvent } from '../../src/alerts/alert-types.js';
import type { AlertChannel } from '../../src/alerts/channels/channel-spec.js';
import { generateWebhookSecret } from '../../src/alerts/channels/standard-webhooks.js';
import { createWebhookChannel } from '../../src/alerts/channels/webhook-channel.js';
import { backoffDelay, drainOutbox } from '../../src/alerts/outbox-worker.js';
import { createSecretResolver } from '../../src/alerts/secret-reference.js';
import { createManualClock } from '../../src/core/clock.js';
import { openScratchStore, type ScratchStore } from '../helpers/scratch-store.js';
import { startStandardWebhookReceiver, type StandardWebhookReceiver } from '../fakes/standard-webhook-receiver.js';

function heldEvent(overrides: Partial<AlertEvent> = {}): AlertEvent {
  return {
    kind: 'rotation-held',
    severity: 'error',
    key: 'rotation-held:openai/ticketing/prod:rot_1',
    title: 'Rotation of openai/ticketing/prod is held',
    summary: 'The old key still carries traffic.',
    credential: 'openai/ticketing/prod',
    environment: 'prod',
    facts: [{ label: 'still on v3', value: 'consumer:batch for 25m' }],
    since: new Date('2026-03-02T03:00:00Z'),
    ...overrides,
  };
}

describe('routing rules', () => {
  it('globs stay within a segment unless doubled', () => {
    expect(credentialGlobMatches('openai/*/prod', 'openai/ticketing/prod')).toBe(true);
    expect(credentialGlobMatches('openai/*/prod', 'openai/a/b/prod')).toBe(false);
    expect(credentialGlobMatches('openai/**', 'openai/a/b/prod')).toBe(true);
    expect(credentialGlobMatches('openai/ticket?ng/prod', 'openai/ticketing/prod')).toBe(true);
  });

  it('an alert goes to the union of the matching rules, in rule order', () => {
    const rules = [
      { events: ['*'] as const, routes: ['slack'] },
      { events: ['rotation-held', 'leak-found'] as const, routes: ['pager', 'slack'], minSeverity: 'error' as const, environments: ['prod'] },
      { events: ['*'] as const, routes: ['mail'], credentials: ['anthropic/**'] },
    ];
    expect(routeEvent(rules, heldEvent())).toEqual(['slack', 'pager']);
    expect(routeEvent(rules, heldEvent({ severity: 'warning' }))).toEqual(['slack']);
    expect(routeEvent(rules, heldEvent({ environment: 'dev' }))).toEqual(['slack']);
    expect(routeEvent(rules, heldEvent({ credential: 'anthropic/x/prod' }))).toEqual(['slack', 'pager', 'mail']);
    expect(routeEvent(rules, heldEvent({ kind: 'key-age-due', credential: null, environment: null }))).toEqual(['slack']);
  });
});

describe('alert lifecycle and outbox delivery', () => {
  let scratch: ScratchStore;
  let receiver: StandardWebhookReceiver;
  let channels: Map<string, AlertChannel>;
  let service: AlertService;
  const clock = createManualClock(new Date('2026-03-02T03:05:00Z'));
  const deliver = () => drainOutbox({ store: scratch.store, channels, clock, holder: 'test-worker', backoffMs: 1000, maxAttempts: 3 });

  beforeEach(async () => {
    scratch = await openScratchStore();
    const secret = generateWebhookSecret();
    receiver = await startStandardWebhookReceiver(secret, { now: () => clock.now() });
    const secrets = createSecretResolver({ environment: { HOOK_SECRET: secret } });
    channels = new Map([['ops', createWebhookChannel('ops', { kind: 'webhook', url: receiver.url, secretRef: 'env:HOOK_SECRET' }, { secrets, now: () => clock.now() })]]);
    service = createAlertService({ store: scratch.store, clock, rules: [{ events: ['*'], routes: ['ops'] }], remindAfterMs: 4 * 3600_000 });
  });

  afterEach(async () => {
    await receiver.close();
    await scratch.close();
  });

  it('a burst is one message; a reminder after remindAfter; a resolve when it clears; a new round after', async () => {
    expect((await service.raise(heldEvent())).sent).toBe('trigger');
    for (let index = 0; index < 5; index += 1) expect((await service.raise(heldEvent())).sent).toBeNull();
    expect((await deliver()).delivered).toHaveLength(1);
    expect((await scratch.store.getAlert(heldEvent().key))?.occurrences).toBe(6);

    clock.advance(3 * 3600_000);
    expect(await service.remindDue()).toEqual([]);
    clock.advance(3600_000);
    expect((await service.remindDue()).map((change) => change.sent)).toEqual(['remind']);
    expect(await service.remindDue()).toEqual([]);
    await deliver();

    expect((await service.resolve(heldEvent().key))?.sent).toBe('resolve');
    expect(await service.resolve(heldEvent().key)).toBeUndefined();
    await deliver();
    expect((await service.raise(heldEvent())).sent).toBe('trigger');
    await deliver();

    expect(receiver.accepted.map((item) => item.payload['action'])).toEqual(['trigger', 'remind', 'resolve', 'trigger']);
    expect(new Set(receiver.accepted.map((item) => item.id)).size).toBe(4);
    expect(receiver.deliveries.every((item) => !item.duplicate)).toBe(true);
    const first = receiver.accepted[0]?.payload as Record<string, unknown>;
    expect(first['credential']).toBe('openai/ticketing/prod');
    expect(JSON.stringify(first['facts'])).toContain('consumer:batch for 25m');
  });

  it('an acknowledged alert is not reminded, and its resolve still reaches the channel', async () => {
    await service.raise(heldEvent());
    expect((await service.acknowledge(heldEvent().key, 'user:alice'))?.sent).toBe('acknowledge');
    clock.advance(10 * 3600_000);
    expect(await service.remindDue()).toEqual([]);
    await service.resolve(heldEvent().key, 'user:alice');
    await deliver();
    expect(receiver.accepted.map((item) => [item.payload['action'], item.payload['by'] ?? null])).toEqual([
      ['trigger', null],
      ['acknowledge', 'user:alice'],
      ['resolve', 'user:alice'],
    ]);
  });

  it('sync raises what is true now and resolves what cleared', async () => {
    const due = (name: string) => heldEvent({ kind: 'key-age-due', key: `key-age-due:${name}`, credential: name, title: `${name} is due` });
    await service.sync(['key-age-due'], [due('a/b/prod'), due('c/d/prod')]);
    await service.sync(['key-age-due'], [due('a/b/prod')]);
    await deliver();
    expect(receiver.accepted.map((item) => `${String(item.payload['action'])} ${String(item.payload['credential'])}`)).toEqual(['trigger a/b/prod', 'trigger c/d/prod', 'resolve c/d/prod']);
  });

  it('retries a transient failure with backoff, then dead-letters after the last attempt; retry brings it back', async () => {
    expect(backoffDelay(1, 1000, 60_000)).toBe(1000);
    expect(backoffDelay(4, 1000, 60_000)).toBe(8000);
    expect(backoffDelay(20, 1000, 60_000)).toBe(60_000);
    await service.raise(heldEvent());
    receiver.server.failNext(503);
    const first = await deliver();
    expect(first.retrying).toHaveLength(1);
    expect(first.retrying[0]?.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 1000);
    expect((await deliver()).delivered).toEqual([]); // not due yet
    clock.advance(1000);
    receiver.server.failNext(503);
    expect((await deliver()).retrying[0]?.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 2000);
    clock.advance(2000);
    receiver.server.failNext(503);
    const last = await deliver();
    expect(last.dead).toHaveLength(1);
    expect(last.dead[0]?.error).toMatch(/503/);
    const [dead] = await scratch.store.listOutbox({ states: ['dead'] });
    expect(dead?.attempts).toBe(3);
    await scratch.store.retryOutbox(dead?.id ?? '', clock.now());
    expect((await deliver()).delivered).toHaveLength(1);
    expect(receiver.accepted).toHaveLength(1);
  });

  it('a permanent failure dead-letters at once; a message for a route that is gone is dead with the reason', async () => {
    await service.raise(heldEvent());
    receiver.server.failNext(410);
    expect((await deliver()).dead).toHaveLength(1);
    const orphan = createAlertService({ store: scratch.store, clock, rules: [{ events: ['*'], routes: ['removed'] }] });
    await orphan.raise(heldEvent({ key: 'other' }));
    const round = await deliver();
    expect(round.dead).toEqual([{ id: expect.stringContaining('@removed') as string, error: 'no route named removed in the notifications section' }]);
  });

  it('writing the same message twice enqueues it once (a crash between raise and its confirmation)', async () => {
    const raised = await service.raise(heldEvent());
    // Another writer saw no alert and wrote the same trigger: the store refuses the duplicate alert.
    await expect(scratch.store.saveAlert({ ...raised.alert }, null, [])).rejects.toThrow(/already exists/);
    expect(await scratch.store.listOutbox()).toHaveLength(1);
  });
});
