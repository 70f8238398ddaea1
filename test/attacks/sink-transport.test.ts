/**
 * Attack (issue #17, item 6): the cloud sinks accepted `http://` URLs to any host, so a
 * Vault token, a GitHub token or a GitLab token (and the key itself) crossed the network
 * in clear; and a captured webhook delivery could be replayed: its delivery id was not
 * signed and the verify function kept no memory of ids it had accepted.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { createSink } from '../../src/sinks/sink-registry.js';
import { createWebhookVerifier, signWebhook, verifyWebhookSignature } from '../../src/sinks/webhook-signature.js';

const salt = randomBytes(32);
const environment = { VAULT_TOKEN: 'hvs.' + 'a'.repeat(24), GITHUB_TOKEN: 'ghp_' + 'b'.repeat(36), GITLAB_TOKEN: 'glpat-' + 'c'.repeat(20) };

const configs = (base: string): Array<{ kind: string; config: Record<string, unknown> }> => [
  { kind: 'vault-kv', config: { address: base, path: 'app', name: 'OPENAI_API_KEY' } },
  { kind: 'github-actions', config: { scope: 'repository', repository: 'o/r', name: 'OPENAI_API_KEY', apiUrl: base } },
  { kind: 'gitlab-ci', config: { scope: 'project', project: 'g/p', name: 'OPENAI_API_KEY', apiUrl: base } },
];

describe('attack: cloud sink credentials over plain HTTP', () => {
  it('refuses an http:// URL to a non-loopback host for Vault, GitHub and GitLab', async () => {
    for (const base of ['http://vault.internal.example:8200', 'http://10.1.2.3', 'http://[2001:db8::1]:8200', 'http://127.0.0.1.example.net']) {
      for (const { kind, config } of configs(base)) {
        await expect(createSink({ name: 'c', kind, config }, salt, environment), `${kind} ${base}`).rejects.toThrow(ConfigError);
        await expect(createSink({ name: 'c', kind, config }, salt, environment), `${kind} ${base}`).rejects.toThrow(/https/);
      }
    }
  });

  it('accepts https anywhere and http on loopback', async () => {
    for (const base of ['https://vault.example:8200', 'http://127.0.0.1:8200', 'http://localhost:8200', 'http://[::1]:8200']) {
      for (const { kind, config } of configs(base)) {
        await expect(createSink({ name: 'c', kind, config }, salt, environment), `${kind} ${base}`).resolves.toBeDefined();
      }
    }
  });
});

describe('attack: replaying a captured webhook delivery', () => {
  const secret = 'whsec-test-secret-0123456789abcdef';
  const now = new Date('2026-12-07T12:00:00Z');
  const timestamp = Math.floor(now.getTime() / 1000);
  const body = JSON.stringify({ event: 'key-delivered', slot: 'main', fingerprint: 'f'.repeat(64) });

  it('the delivery id is covered by the signature: changing it breaks verification', () => {
    const signature = signWebhook(secret, { delivery: 'delivery-1', timestamp }, body);
    expect(verifyWebhookSignature(secret, { signature, timestamp: String(timestamp), delivery: 'delivery-1' }, body, { now })).toBe(true);
    expect(verifyWebhookSignature(secret, { signature, timestamp: String(timestamp), delivery: 'delivery-2' }, body, { now })).toBe(false);
    expect(verifyWebhookSignature(secret, { signature, timestamp: String(timestamp), delivery: undefined }, body, { now })).toBe(false);
  });

  it('a verifier accepts a delivery once, refuses its replay inside the window and anything outside it', () => {
    let clock = now;
    const verifier = createWebhookVerifier({ secret, toleranceSeconds: 300, now: () => clock });
    const headers = { signature: signWebhook(secret, { delivery: 'delivery-1', timestamp }, body), timestamp: String(timestamp), delivery: 'delivery-1' };
    expect(verifier.verify(headers, body)).toEqual({ ok: true });
    expect(verifier.verify(headers, body)).toEqual({ ok: false, reason: 'replayed' });
    clock = new Date(now.getTime() + 299_000);
    expect(verifier.verify(headers, body)).toEqual({ ok: false, reason: 'replayed' });
    clock = new Date(now.getTime() + 301_000);
    expect(verifier.verify(headers, body)).toEqual({ ok: false, reason: 'stale' });
    const other = { signature: signWebhook(secret, { delivery: 'delivery-2', timestamp: timestamp + 301 }, body), timestamp: String(timestamp + 301), delivery: 'delivery-2' };
    expect(verifier.verify(other, body)).toEqual({ ok: true });
    expect(verifier.verify({ ...other, signature: other.signature.replace(/.$/, '0') === other.signature ? other.signature.replace(/.$/, '1') : other.signature.replace(/.$/, '0') }, body)).toEqual({ ok: false, reason: 'bad-signature' });
  });
});
