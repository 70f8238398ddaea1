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
import { ALERT_KINDS } from '../../src/alerts/alert-types.js';
import type { AlertChannel } from '../../src/alerts/channels/channel-spec.js';
import { createChannel } from '../../src/alerts/channels/channel-registry.js';
import { generateWebhookSecret } from '../../src/alerts/channels/standard-webhooks.js';
import { createSecretResolver } from '../../src/alerts/secret-reference.js';
import { startSlackWebhookFake, startTeamsWebhookFake, type ChatWebhookFake } from '../fakes/chat-webhook-fakes.js';
import type { FakeHttpServer } from '../fakes/fake-http-server.js';
import { startPagerdutyEventsFake, type PagerdutyEventsFake } from '../fakes/pagerduty-events-fake.js';
import { opensslAvailable, startSmtpReceiver, type SmtpReceiver } from '../fakes/smtp-receiver.js';
import { startStandardWebhookReceiver, type StandardWebhookReceiver } from '../fakes/standard-webhook-receiver.js';
import { NOT_RAISED_BY_THE_SCENARIO, raiseEveryAlertKind } from '../helpers/every-alert-scenario.js';
import { createRotationFixture, type RotationFixture } from '../rotation/rotation-fixture.js';
import { findLeaks, type Haystack } from './leak-search.js';

describe.skipIf(!opensslAvailable())('alert payloads carry no key value (skipped without openssl for the SMTP certificate)', () => {
  let fixture: RotationFixture;
  let webhook: StandardWebhookReceiver;
  let slack: ChatWebhookFake;
  let teams: ChatWebhookFake;
  let pagerduty: PagerdutyEventsFake;
  let smtp: SmtpReceiver;
  let channels: Map<string, AlertChannel>;

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
  });
  afterAll(async () => {
    await Promise.all([webhook.close(), slack.close(), teams.close(), pagerduty.close(), smtp.close()]);
    await fixture.close();
  });

  it('every kind and action on every channel, and not one key value in what they received', async () => {
    await raiseEveryAlertKind(fixture, channels);

    const receivedKinds = new Set(webhook.accepted.map((item) => String(item.payload['kind'])));
    expect([...receivedKinds].sort()).toEqual(ALERT_KINDS.filter((kind) => !NOT_RAISED_BY_THE_SCENARIO.includes(kind)).sort());
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
