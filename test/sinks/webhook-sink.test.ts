import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('webhook sink over https', () => {
  const openssl = spawnSync('openssl', ['version']).status === 0;
  it.skipIf(!openssl)('carries the value only when configured and the URL is https, and the receiver gets exactly it (skipped without openssl to make a test certificate)', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'rekey-tls-'));
    const keyFile = join(directory, 'key.pem');
    const certFile = join(directory, 'cert.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    expect(made.status).toBe(0);
    const receiver = await startWebhookReceiverFake(undefined, { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8') });
    const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    // The test certificate is self-signed; production receivers present a trusted one.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const key = new SecretValue('sk-proj-TLSvalue00000000000000000000000000000000001');
      expect(receiver.url.startsWith('https://')).toBe(true);
      await sinkFor(receiver, { includeValue: true }).write('main', key);
      expect(receiver.events).toEqual([expect.objectContaining({ event: 'key-delivered', value: key.reveal(), fingerprint: fingerprint(salt, key.reveal()) })]);
    } finally {
      if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
      await receiver.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
