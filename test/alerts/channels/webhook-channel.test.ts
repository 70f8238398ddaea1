import { describe, expect, it } from 'vitest';
import { createWebhookChannel } from '../../../src/alerts/channels/webhook-channel.js';
import { createReplayGuard, generateWebhookSecret, signStandardWebhook, verifyStandardWebhook } from '../../../src/alerts/channels/standard-webhooks.js';
import { createSecretResolver } from '../../../src/alerts/secret-reference.js';
import { runChannelContract, sampleMessage } from '../../contracts/alert-channel.js';
import { startStandardWebhookReceiver } from '../../fakes/standard-webhook-receiver.js';

runChannelContract('webhook', async () => {
  const secret = generateWebhookSecret();
  const receiver = await startStandardWebhookReceiver(secret);
  const secrets = createSecretResolver({ environment: { ALERT_HOOK_SECRET: secret } });
  const channel = createWebhookChannel('ops-hook', { kind: 'webhook', url: receiver.url, secretRef: 'env:ALERT_HOOK_SECRET' }, { secrets });
  return {
    channel,
    secrets: [secret, secret.slice('whsec_'.length)],
    received: async () =>
      receiver.deliveries.map((delivery) => ({
        dedupId: delivery.id,
        action: delivery.payload['action'] as never,
        text: JSON.stringify(delivery.payload),
        raw: delivery.raw,
      })),
    breakTransiently: () => receiver.server.failNext(503),
    breakPermanently: () => receiver.server.failNext(410),
    withMissingSecret: async () => createWebhookChannel('ops-hook', { kind: 'webhook', url: receiver.url, secretRef: 'env:REKEY_CONTRACT_MISSING' }, { secrets }),
    withClearSecret: async () => createWebhookChannel('ops-hook', { kind: 'webhook', url: receiver.url, secretRef: secret }, { secrets }),
    cleanup: () => receiver.close(),
  };
});

describe('Standard Webhooks signatures', () => {
  // The spec's published example: secret, id, timestamp, body and the expected signature.
  it('matches the specification example', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"test": 2432232314}';
    expect(signStandardWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('the receiver refuses a wrong secret, a tampered body, an old or future timestamp, and a replay', async () => {
    const secret = generateWebhookSecret();
    const receiver = await startStandardWebhookReceiver(secret);
    try {
      const resolver = createSecretResolver({ environment: { GOOD: secret, BAD: generateWebhookSecret() } });
      const good = createWebhookChannel('good', { kind: 'webhook', url: receiver.url, secretRef: 'env:GOOD' }, { secrets: resolver });
      const forged = createWebhookChannel('forged', { kind: 'webhook', url: receiver.url, secretRef: 'env:BAD' }, { secrets: resolver });
      await good.send(sampleMessage('trigger'));
      await expect(forged.send(sampleMessage('trigger', { id: 'forged-1' }))).rejects.toThrow(/HTTP 401/);
      const stale = createWebhookChannel('stale', { kind: 'webhook', url: receiver.url, secretRef: 'env:GOOD' }, { secrets: resolver, now: () => new Date(Date.now() - 10 * 60_000) });
      await expect(stale.send(sampleMessage('trigger', { id: 'stale-1' }))).rejects.toThrow(/HTTP 401/);
      expect(receiver.rejected.map((item) => item.reason)).toEqual(['bad-signature', 'too-old']);

      // Replaying a captured request byte for byte: verified, but refused as already seen.
      const captured = receiver.deliveries[0];
      expect(captured).toBeDefined();
      const headers = { 'webhook-id': captured?.id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': '' };
      headers['webhook-signature'] = signStandardWebhook(secret, captured?.id ?? '', Number(headers['webhook-timestamp']), captured?.raw ?? '');
      const guard = createReplayGuard();
      expect(verifyStandardWebhook(secret, headers, captured?.raw ?? '', { replayGuard: guard }).ok).toBe(true);
      expect(verifyStandardWebhook(secret, headers, captured?.raw ?? '', { replayGuard: guard })).toEqual({ ok: false, reason: 'replay' });
      expect(verifyStandardWebhook(secret, headers, `${captured?.raw ?? ''} `)).toEqual({ ok: false, reason: 'bad-signature' });
      expect(verifyStandardWebhook(secret, { ...headers, 'webhook-timestamp': String(Math.floor(Date.now() / 1000) + 3600) }, captured?.raw ?? '')).toEqual({ ok: false, reason: 'too-new' });
    } finally {
      await receiver.close();
    }
  });

  it('accepts any of several space-separated signatures (secret rotation) and refuses a secret that is not whsec_ base64', () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const both = `${signStandardWebhook(oldSecret, 'id-1', now, '{}')} ${signStandardWebhook(newSecret, 'id-1', now, '{}')}`;
    expect(verifyStandardWebhook(newSecret, { 'webhook-id': 'id-1', 'webhook-timestamp': String(now), 'webhook-signature': both }, '{}').ok).toBe(true);
    expect(() => signStandardWebhook('whsec_not base64!', 'id', now, '{}')).toThrow(/whsec_ followed by base64/);
  });
});
