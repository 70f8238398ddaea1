/**
 * Issue 15's "done when", end to end: a held rotation, a leak, a key 7 days before its due
 * date and a night-time usage burst each produce exactly one message on every configured
 * channel — a Standard Webhooks receiver that verifies each signature, and a real SMTP
 * server that requires STARTTLS — and a resolve when the condition clears; nothing else is
 * sent. Real SQLite store and vault, the real rotation engine and leak response, the real
 * alert round the scheduler runs, a manual clock moved hour by hour (no sleeping).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertLeakResponses, createRotationAlerts, runAlertRound } from '../../src/alerts/alert-round.js';
import { createAlertService, type AlertService } from '../../src/alerts/alert-service.js';
import type { AlertChannel } from '../../src/alerts/channels/channel-spec.js';
import { createEmailChannel } from '../../src/alerts/channels/email-channel.js';
import { generateWebhookSecret } from '../../src/alerts/channels/standard-webhooks.js';
import { createWebhookChannel } from '../../src/alerts/channels/webhook-channel.js';
import { drainOutbox } from '../../src/alerts/outbox-worker.js';
import { createSecretResolver } from '../../src/alerts/secret-reference.js';
import type { Credential, CredentialPolicy } from '../../src/core/types.js';
import { respondToLeak } from '../../src/rotation/leak-response.js';
import { createRotationExecutor } from '../../src/rotation/rotation-executor.js';
import { opensslAvailable, startSmtpReceiver, type SmtpReceiver } from '../fakes/smtp-receiver.js';
import { startStandardWebhookReceiver, type StandardWebhookReceiver } from '../fakes/standard-webhook-receiver.js';
import { createRotationFixture, type RotationFixture } from '../rotation/rotation-fixture.js';
import { usualRequests, writeHourlyUsage } from '../helpers/usage-series.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// The fixture's clock starts on 2026-05-01 09:00 UTC; 23 days on, the billing key is 7 days from due.
const BURST = Date.parse('2026-05-25T03:00:00Z'); // Monday, 03:00 UTC
const SETTINGS = { dueReminderDays: 7, authFailuresPerMinute: 20, heartbeatMissingAfterMs: 10 * 60_000 };

describe.skipIf(!opensslAvailable())('alerts, done when (skipped without openssl to make the SMTP test certificate)', () => {
  let fixture: RotationFixture;
  let receiver: StandardWebhookReceiver;
  let smtp: SmtpReceiver;
  let service: AlertService;
  let channels: Map<string, AlertChannel>;
  const deliver = () => drainOutbox({ store: fixture.store, channels, clock: fixture.clock, holder: 'done-when-worker' });
  const round = () => runAlertRound({ store: fixture.store, service, clock: fixture.clock, settings: SETTINGS, deliver }, { beatAs: 'done-when-scheduler' });

  const addCredential = async (name: string, policy: CredentialPolicy = {}): Promise<Credential> => {
    const credential = await fixture.store.createCredential({ name, provider: 'openai', scope: { project: 'proj_1' }, environment: 'prod', owner: null, purpose: null, allowedModels: [], tags: {}, policy });
    const value = fixture.fake.seed(name);
    fixture.plantedValues.push(value);
    await fixture.vault.putVersion({ credential, value, stage: 'current', providerKeyId: fixture.fake.keys.at(-1)?.id ?? null, mintedBy: 'cli:test' });
    return credential;
  };

  /** Per alert key, the actions each channel received, in order. */
  const webhookActions = () => grouped(receiver.accepted.map((item) => [String(item.payload['alert']), String(item.payload['action'])]));
  const mailActions = () => grouped(smtp.mails.map((mail) => [String(mail.parsed.headers.get('x-rekey-alert')), String(mail.parsed.headers.get('x-rekey-action'))]));

  beforeAll(async () => {
    fixture = await createRotationFixture();
    receiver = await startStandardWebhookReceiver(generateWebhookSecret(), { now: () => fixture.clock.now() });
    smtp = await startSmtpReceiver();
    const secrets = createSecretResolver({ environment: { OPS_HOOK_URL: receiver.url, OPS_HOOK_SECRET: receiver.secret, SMTP_PASSWORD: smtp.password } });
    const context = { secrets, now: () => fixture.clock.now() };
    channels = new Map<string, AlertChannel>([
      ['ops', createWebhookChannel('ops', { kind: 'webhook', urlRef: 'env:OPS_HOOK_URL', secretRef: 'env:OPS_HOOK_SECRET' }, context)],
      ['oncall-mail', createEmailChannel('oncall-mail', { kind: 'email', host: '127.0.0.1', port: smtp.port, security: 'starttls', user: smtp.user, passwordRef: 'env:SMTP_PASSWORD', from: 'rekey@example.test', to: ['oncall@example.test'], caFile: smtp.caFile }, context)],
    ]);
    // Reminders after a day: within this test's 20 hours nothing is reminded.
    service = createAlertService({ store: fixture.store, clock: fixture.clock, rules: [{ events: ['*'], routes: ['ops', 'oncall-mail'] }], remindAfterMs: DAY });
  });
  afterAll(async () => {
    await smtp.close();
    await receiver.close();
    await fixture.close();
  });

  it('one message per condition on each channel, and a resolve when it clears', async () => {
    const billing = await addCredential('openai/billing/prod', { rotateEveryDays: 30 });
    const support = await addCredential('openai/support/prod');
    const batch = await addCredential('openai/batch/prod');
    await writeHourlyUsage(fixture.store, { credentialId: batch.id, from: new Date(BURST - 5 * 7 * DAY), until: new Date(BURST + 12 * HOUR), requests: (hour) => (hour === BURST ? 400 : usualRequests(hour, 150)) });
    fixture.clock.advance(23 * DAY); // 2026-05-24 09:00: billing's v1 is due on 05-31

    const executor = createRotationExecutor({ ...fixture.deps(), alerts: createRotationAlerts({ open: async () => ({ service, deliver }), now: () => fixture.clock.now() }) });

    // A key 7 days before its due date: the scheduler's round raises it.
    await round();
    // A held rotation: the old key keeps carrying traffic past the maximum grace.
    fixture.fake.knobs.trafficOnUsagePoll = true;
    const held = await executor.start({ credential: fixture.credential.name, actor: 'cli:test', graceQuietSeconds: 10, graceMaxSeconds: 60 });
    expect(held.state).toBe('hold');
    fixture.fake.knobs.trafficOnUsagePoll = false;
    // A leak: the scanner found support's key; the response rotates it at once.
    const foundAt = fixture.clock.now();
    const supportV1 = await fixture.store.getVersion(support.id, 1);
    const responses = await respondToLeak({ store: fixture.store, executor, audit: fixture.audit, clock: fixture.clock }, { fingerprint: supportV1?.fingerprint ?? '', foundAt, actor: 'scan:test', where: 'src/config.ts:12', force: true });
    expect(responses.map((response) => response.action)).toEqual(['emergency-rotation']);
    await alertLeakResponses({ store: fixture.store, service, deliver }, responses, { foundAt, where: 'src/config.ts:12' });

    const heldKey = `rotation-held:${fixture.credential.name}:${held.rotationId}`;
    const leakKey = 'leak-found:openai/support/prod:v1';
    const dueKey = 'key-age-due:openai/billing/prod:v1';
    const burstKey = 'usage-anomaly:openai/batch/prod:requests';
    expect(webhookActions()).toEqual({ [dueKey]: ['trigger'], [heldKey]: ['trigger'], [leakKey]: ['trigger', 'resolve'] });

    // The scheduler runs every hour through the night: the open conditions stay one message
    // each, the normal hours of the batch key raise nothing, the burst hour raises one alert.
    const burstSeenAt = BURST + HOUR + 5 * 60_000;
    while (fixture.clock.now().getTime() + HOUR <= burstSeenAt) {
      fixture.clock.advance(HOUR);
      await round();
    }
    fixture.clock.advance(burstSeenAt - fixture.clock.now().getTime());
    await round();
    expect(webhookActions()[burstKey]).toEqual(['trigger']);
    const burst = receiver.accepted.find((item) => item.payload['alert'] === burstKey)?.payload;
    expect(burst?.['title']).toBe('Unusual requests on openai/batch/prod: spike since 2026-05-25 03:00 UTC');
    expect(JSON.stringify(burst?.['facts'])).toMatch(/"expected","value":"median \d+(\.\d)? \(MAD [\d.]+\) at Mon 03:00 UTC over 4 weeks"/);
    fixture.clock.advance(HOUR); // 05:05: the 04:00 hour was normal
    await round();

    // The held rotation's consumers moved on: resume revokes the old key. The billing key is rotated.
    const resumed = await executor.resume(held.rotationId, { actor: 'cli:test' });
    expect(resumed.state).toBe('done');
    expect((await executor.start({ credential: billing.name, actor: 'cli:test', graceQuietSeconds: 10, graceMaxSeconds: 60 })).state).toBe('done');
    await round();
    await round();

    const expected = { [dueKey]: ['trigger', 'resolve'], [heldKey]: ['trigger', 'resolve'], [leakKey]: ['trigger', 'resolve'], [burstKey]: ['trigger', 'resolve'] };
    expect(webhookActions()).toEqual(expected);
    expect(mailActions()).toEqual(expected);
    expect(receiver.rejected).toEqual([]);
    expect(receiver.deliveries.filter((item) => item.duplicate)).toEqual([]);
    expect(smtp.mails.every((mail) => mail.secure)).toBe(true);
    expect(await fixture.store.listOutbox({ states: ['pending', 'dead'] })).toEqual([]);

    // What each message says: who is still on the old key, what the leak response did, when the key is due.
    const trigger = (key: string) => receiver.accepted.find((item) => item.payload['alert'] === key && item.payload['action'] === 'trigger')?.payload ?? {};
    expect(trigger(heldKey)['kind']).toBe('grace-exceeded');
    expect(JSON.stringify(trigger(heldKey)['facts'])).toMatch(/still on v1","value":"provider:openai[^"]*\(for \d/);
    expect(trigger(leakKey)['title']).toMatch(/^Leaked key of openai\/support\/prod found \(dead in \d+\.\d s\)$/);
    expect(JSON.stringify(trigger(leakKey)['facts'])).toContain('rotated at once (emergency rotation)');
    expect(trigger(dueKey)['title']).toBe('openai/billing/prod: rotation is due in 7 days');
    const leakMail = smtp.mails.find((mail) => mail.parsed.headers.get('x-rekey-alert') === leakKey && mail.parsed.headers.get('x-rekey-action') === 'resolve');
    expect(leakMail?.parsed.subject).toMatch(/^\[rekey RESOLVED\] error: Leaked key of openai\/support\/prod found/);

    // Not one key value in anything a channel received.
    const everything = receiver.server.requests.map((request) => JSON.stringify(request.headers) + request.body.toString('utf8')).join('\n') + smtp.mails.map((mail) => mail.raw).join('\n');
    const values = [...fixture.plantedValues.map((value) => value.reveal()), ...fixture.fake.keys.map((key) => key.value)];
    expect(values.length).toBeGreaterThanOrEqual(7);
    for (const value of values) expect(everything).not.toContain(value);
  });
});

function grouped(pairs: Array<[string, string]>): Record<string, string[]> {
  const byKey: Record<string, string[]> = {};
  for (const [key, action] of pairs) (byKey[key] ??= []).push(action);
  return byKey;
}
