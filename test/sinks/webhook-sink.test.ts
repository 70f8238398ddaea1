import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { createWebhookReload } from '../../src/sinks/webhook-reload.js';
import { createWebhookSink } from '../../src/sinks/webhook-sink.js';
import { runSinkContract } from '../contracts/sink.js';
import { startWebhookReceiverFake, type WebhookReceiverFake } from '../fakes/webhook-receiver-fake.js';

const salt = randomBytes(32);
const sinkFor = (receiver: WebhookReceiverFake, extra: Record<string, unknown> = {}, secret = receiver.secret) =>
  createWebhookSink({ url: receiver.url, name: 'OPENAI_API_KEY', ...extra }, { fingerprintSalt: salt, consumerName: 'ticketing', environment: { REKEY_WEBHOOK_SECRET: secret } });

runSinkContract('webhook', async () => {
  const receiver = await startWebhookReceiverFake();
  return {
    sink: sinkFor(receiver),
    fingerprintSalt: salt,
    readBack: async (slot) => {
      const held = receiver.held.get(slot === 'main' ? 'main' : `v${slot.version}`);
      return held === undefined ? { state: 'absent' } : { state: 'present', fingerprint: held };
    },
    statelessPlan: true,
    breakReads: async () => undefined,
    breakWrites: async () => receiver.server.failNext(410, { times: 50 }),
    breakWritesTransiently: async () => receiver.server.failNext(503, { times: 1 }),
    cleanup: () => receiver.close(),
  };
});

describe('webhook sink and reload', () => {
  let receiver: WebhookReceiverFake;
  beforeEach(async () => {
    receiver = await startWebhookReceiverFake();
  });
  afterEach(() => receiver.close());
  const key = new SecretValue('sk-proj-HOOKvalue0000000000000000000000000000000001');

  it('sends a signed reference and fingerprint, never the value by default', async () => {
    await sinkFor(receiver).write({ version: 4 }, key);
    expect(receiver.events).toEqual([
      expect.objectContaining({ event: 'key-delivered', reference: 'ticketing', slot: 'v4', name: 'OPENAI_API_KEY_V4', fingerprint: fingerprint(salt, key.reveal()), hint: key.hint }),
    ]);
    expect(receiver.server.requests[0]?.body.toString()).not.toContain(key.reveal());
  });

  it('a receiver with another secret rejects the signature, and the sink reports a non-retryable error', async () => {
    await expect(sinkFor(receiver, {}, 'some-other-secret-0123456789').write('main', key)).rejects.toMatchObject({ code: 'sink', isRetryable: false });
    expect(receiver.rejected).toBe(1);
  });

  it('refuses to carry the value over plain HTTP', () => {
    expect(() => sinkFor(receiver, { includeValue: true })).toThrow(/https URL when includeValue is true/);
    expect(() => sinkFor(receiver, { includeValue: true, url: 'https://hooks.example.internal/rekey' })).not.toThrow();
  });

  it('reload posts a signed key-rotated event without the value', async () => {
    const reload = createWebhookReload({ kind: 'webhook', url: receiver.url }, 'ticketing', { REKEY_WEBHOOK_SECRET: receiver.secret });
    await reload.run({ consumerName: 'ticketing', credential: 'openai/ticketing/prod', version: 5, fingerprint: 'abc', value: key });
    expect(receiver.events).toEqual([expect.objectContaining({ event: 'key-rotated', credential: 'openai/ticketing/prod', version: 5, fingerprint: 'abc' })]);
    expect(receiver.server.requests[0]?.body.toString()).not.toContain(key.reveal());
  });
});
