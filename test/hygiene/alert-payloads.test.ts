/**
 * Secret hygiene of alerts (issue 15): every alert kind the sources raise, in every action
 * (trigger, remind, acknowledge, resolve), sent on all five channels — a Standard Webhooks
 * receiver, Slack and Teams incoming-webhook fakes, the PagerDuty Events v2 fake and a real
 * SMTP server — from real sources: the rotation engine (held, failed, rolled back), the leak
 * response (rotated, and not rotated by policy), key age (due and overdue), traffic on a
 * revoked key, auth failures, a usage burst and a missing scheduler heartbeat. Every request
 * and mail received, headers included, is searched for every key value the provider ever
 * minted (plain, hex, base64 and 24-character pieces): zero hits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULER_HEARTBEAT } from '../../src/alerts/alert-conditions.js';
import { alertLeakResponses, createRotationAlerts, runAlertRound } from '../../src/alerts/alert-round.js';
import { createAlertService, type AlertService } from '../../src/alerts/alert-service.js';
import { ALERT_KINDS, type AlertKind } from '../../src/alerts/alert-types.js';
import type { AlertChannel } from '../../src/alerts/channels/channel-spec.js';
import { createChannel } from '../../src/alerts/channels/channel-registry.js';
import { generateWebhookSecret } from '../../src/alerts/channels/standard-webhooks.js';
import { drainOutbox } from '../../src/alerts/outbox-worker.js';
import { createSecretResolver } from '../../src/alerts/secret-reference.js';
import type { Credential, CredentialPolicy } from '../../src/core/types.js';
import { respondToLeak } from '../../src/rotation/leak-response.js';
import { createRotationExecutor } from '../../src/rotation/rotation-executor.js';
import { startSlackWebhookFake, startTeamsWebhookFake, type ChatWebhookFake } from '../fakes/chat-webhook-fakes.js';
import type { FakeHttpServer } from '../fakes/fake-http-server.js';
import { startPagerdutyEventsFake, type PagerdutyEventsFake } from '../fakes/pagerduty-events-fake.js';
import { opensslAvailable, startSmtpReceiver, type SmtpReceiver } from '../fakes/smtp-receiver.js';
import { startStandardWebhookReceiver, type StandardWebhookReceiver } from '../fakes/standard-webhook-receiver.js';
import { usualRequests, writeHourlyUsage } from '../helpers/usage-series.js';
import { createRotationFixture, type RotationFixture } from '../rotation/rotation-fixture.js';
import { findLeaks, type Haystack } from './leak-search.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SETTINGS = { dueReminderDays: 7, authFailuresPerMinute: 20, heartbeatMissingAfterMs: 10 * 60_000 };
/** Kinds no source raises yet: shadow keys (org inventory), approvals (team mode), models outside the list (the proxy refuses them), the test message. */
const NOT_RAISED_BY_A_SOURCE: readonly AlertKind[] = ['shadow-key', 'approval-waiting', 'model-not-allowed', 'alert-test', 'rotation-held'];

describe.skipIf(!opensslAvailable())('alert payloads carry no key value (skipped without openssl for the SMTP certificate)', () => {
  let fixture: RotationFixture;
  let webhook: StandardWebhookReceiver;
  let slack: ChatWebhookFake;
  let teams: ChatWebhookFake;
  let pagerduty: PagerdutyEventsFake;
  let smtp: SmtpReceiver;
  let service: AlertService;
  let channels: Map<string, AlertChannel>;
  const deliver = () => drainOutbox({ store: fixture.store, channels, clock: fixture.clock, holder: 'hygiene-worker' });
  const round = (checkHeartbeat = false) => runAlertRound({ store: fixture.store, service, clock: fixture.clock, settings: SETTINGS, deliver }, { checkHeartbeat });

  const addCredential = async (name: string, policy: CredentialPolicy = {}): Promise<Credential> => {
    const credential = await fixture.store.createCredential({ name, provider: 'openai', scope: { project: 'proj_1' }, environment: 'prod', owner: null, purpose: null, allowedModels: [], tags: {}, policy });
    await fixture.vault.putVersion({ credential, value: fixture.fake.seed(name), stage: 'current', providerKeyId: fixture.fake.keys.at(-1)?.id ?? null, mintedBy: 'cli:test' });
    return credential;
  };

  beforeAll(async () => {
    fixture = await createRotationFixture();
    webhook = await startStandardWebhookReceiver(generateWebhookSecret(), { now: () => fixture.clock.now() });
    slack = await startSlackWebhookFake();
    teams = await startTeamsWebhookFake();
    pagerduty = await startPagerdutyEventsFake();
    smtp = await startSmtpReceiver();
    const secrets = createSecretResolver({
      environment: { HOOK_URL: webhook.url, HOOK_SECRET: webhook.secret, SLACK_URL: slack.url, TEAMS_URL: teams.url, PD_KEY: pagerduty.routingKey, SMTP_PASSWORD: smtp.password },
    });
    const context = { secrets, now: () => fixture.clock.now() };
    const routes: Record<string, Record<string, unknown>> = {
      hook: { kind: 'webhook', urlRef: 'env:HOOK_URL', secretRef: 'env:HOOK_SECRET' },
      slack: { kind: 'slack', urlRef: 'env:SLACK_URL' },
      teams: { kind: 'teams', urlRef: 'env:TEAMS_URL' },
      pager: { kind: 'pagerduty', routingKeyRef: 'env:PD_KEY', url: pagerduty.url },
      mail: { kind: 'email', host: '127.0.0.1', port: smtp.port, user: smtp.user, passwordRef: 'env:SMTP_PASSWORD', from: 'rekey@example.test', to: ['oncall@example.test'], caFile: smtp.caFile },
    };
    channels = new Map();
    for (const [name, config] of Object.entries(routes)) channels.set(name, await createChannel(name, config, context));
    service = createAlertService({ store: fixture.store, clock: fixture.clock, rules: [{ events: ['*'], routes: Object.keys(routes) }], remindAfterMs: 4 * HOUR });
  });
  afterAll(async () => {
    await Promise.all([webhook.close(), slack.close(), teams.close(), pagerduty.close(), smtp.close()]);
    await fixture.close();
  });

  it('every kind and action on every channel, and not one key value in what they received', async () => {
    const executor = createRotationExecutor({ ...fixture.deps(), alerts: createRotationAlerts({ open: async () => ({ service, deliver }), now: () => fixture.clock.now() }) });
    await addCredential('openai/due/prod', { rotateEveryDays: 30 });
    await addCredential('openai/overdue/prod', { maxAgeDays: 10 });
    const leaked = await addCredential('openai/leaked/prod');
    const policyOnly = await addCredential('openai/alert-only/prod', { onLeak: 'alert' });
    const failing = await addCredential('openai/failing/prod');
    const busy = await addCredential('openai/busy/prod');
    await fixture.store.recordHeartbeat(SCHEDULER_HEARTBEAT, 'scheduler-host:1', fixture.clock.now());
    fixture.clock.advance(23 * DAY);
    const burst = Math.floor(fixture.clock.now().getTime() / DAY) * DAY + DAY + 3 * HOUR; // 03:00 UTC tomorrow
    await writeHourlyUsage(fixture.store, { credentialId: busy.id, from: new Date(burst - 5 * 7 * DAY), until: new Date(burst + 2 * HOUR), requests: (hour) => (hour === burst ? 500 : usualRequests(hour, 150)) });

    // Held past its maximum grace, then rolled back by a person.
    fixture.fake.knobs.trafficOnUsagePoll = true;
    const held = await executor.start({ credential: fixture.credential.name, actor: 'cli:test', graceQuietSeconds: 10, graceMaxSeconds: 60 });
    expect(held.state).toBe('hold');
    fixture.fake.knobs.trafficOnUsagePoll = false;
    // A mint that keeps failing: the rotation fails.
    fixture.fake.knobs.mintFailures = 1_000;
    expect((await executor.start({ credential: failing.name, actor: 'cli:test' })).state).toBe('failed');
    fixture.fake.knobs.mintFailures = 0;
    // Two leaks: one rotated at once, one only reported (its policy says alert).
    for (const credential of [leaked, policyOnly]) {
      const version = await fixture.store.getVersion(credential.id, 1);
      const foundAt = fixture.clock.now();
      const responses = await respondToLeak({ store: fixture.store, executor, audit: fixture.audit, clock: fixture.clock }, { fingerprint: version?.fingerprint ?? '', foundAt, actor: 'scan:test', where: 'deploy/values.yaml:7' });
      const summaries = responses.map((response) => (response.action === 'alert-only' ? { ...response, reason: response.reason ?? 'the credential policy says onLeak: alert' } : response));
      await alertLeakResponses({ store: fixture.store, service, deliver }, summaries, { foundAt, where: 'deploy/values.yaml:7' });
    }
    // Someone still uses the leaked key after its revoke; token guessing at the proxy.
    await fixture.store.recordUsage([{ credentialId: leaked.id, versionNumber: 1, source: 'proxy', consumer: 'forgotten-cron', at: new Date(fixture.clock.now().getTime() + 60_000), requests: 3, status2xx: 0, status4xx: 3, status5xx: 0, inputTokens: 0, outputTokens: 0 }]);
    await fixture.store.recordAuthFailures('proxy', fixture.clock.now(), 400);
    fixture.clock.advance(2 * 60_000);
    await round();
    await service.acknowledge(`key-overdue:openai/overdue/prod:v1`, 'user:alice');
    expect((await executor.decide(held.rotationId, 'rollback', 'user:alice')).state).toBe('rolled-back');
    // The scheduler stops; the burst happens at night; reminders come due.
    fixture.clock.advance(burst + HOUR + 5 * 60_000 - fixture.clock.now().getTime());
    await round(true);
    await deliver();

    const receivedKinds = new Set(webhook.accepted.map((item) => String(item.payload['kind'])));
    expect([...receivedKinds].sort()).toEqual(ALERT_KINDS.filter((kind) => !NOT_RAISED_BY_A_SOURCE.includes(kind)).sort());
    const actions = new Set(webhook.accepted.map((item) => String(item.payload['action'])));
    expect([...actions].sort()).toEqual(['acknowledge', 'remind', 'resolve', 'trigger']);
    // Every channel got every message (Slack and Teams one post each, e-mail one mail each).
    for (const fake of [slack, teams]) expect(fake.messages).toHaveLength(webhook.accepted.length);
    expect(smtp.mails).toHaveLength(webhook.accepted.length);
    expect(pagerduty.server.requests).toHaveLength(webhook.accepted.length);

    const haystacks: Haystack[] = [];
    const add = (source: string, server: FakeHttpServer) => {
      for (const [index, request] of server.requests.entries()) haystacks.push({ source: `${source} #${index}`, bytes: Buffer.concat([Buffer.from(request.url.href + JSON.stringify(request.headers)), request.body]) });
    };
    add('webhook', webhook.server);
    add('slack', slack.server);
    add('teams', teams.server);
    add('pagerduty', pagerduty.server);
    for (const [index, mail] of smtp.mails.entries()) haystacks.push({ source: `mail #${index}`, bytes: Buffer.from(mail.raw) });
    const minted = fixture.fake.keys.map((key, index) => ({ label: `provider key ${index} (${key.name ?? key.id})`, value: key.value }));
    expect(minted.length).toBeGreaterThanOrEqual(9);
    expect(haystacks.length).toBeGreaterThanOrEqual(5 * 15);
    expect(findLeaks(haystacks, minted)).toEqual([]);
  });
});
