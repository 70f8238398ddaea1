/**
 * Signing per the Standard Webhooks scheme, for the generic webhook alert channel. Each
 * POST carries `webhook-id` (stable across retries of one message, so receivers dedup),
 * `webhook-timestamp` (unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256>` over
 * `<id>.<timestamp>.<body>`, keyed with the bytes of the base64 part of a `whsec_…`
 * secret. Several space-separated signatures may be sent (secret rotation).
 *
 * `verifyStandardWebhook` is the receiver's check: constant-time compare against every
 * signature offered, a timestamp inside the tolerance (5 min by default), and, with a
 * replay guard, an id seen before inside the window is refused.
 *
 * (The sink webhook has its own older `X-Rekey-*` scheme in src/sinks/webhook-signature.ts.)
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../../core/errors.js';

const PREFIX = 'whsec_';

export function generateWebhookSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

function secretBytes(secret: string): Buffer {
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new ConfigError('a Standard Webhooks secret must be whsec_ followed by base64');
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length < 24) throw new ConfigError('a Standard Webhooks secret must hold at least 24 bytes (whsec_ + base64 of 24–64 random bytes)');
  return bytes;
}

export function signStandardWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', secretBytes(secret)).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64')}`;
}

export function standardWebhookHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhook(secret, id, timestamp, body) };
}

export type WebhookVerdict = { ok: true; id: string; timestamp: number } | { ok: false; reason: 'missing-headers' | 'bad-timestamp' | 'too-old' | 'too-new' | 'bad-signature' | 'replay' };

/** Remembers ids seen within the tolerance window, so a captured request cannot be replayed. */
export interface ReplayGuard {
  /** True when `id` was not seen in the window (and remembers it). */
  firstTime(id: string, timestamp: number, nowSeconds: number): boolean;
}

export function createReplayGuard(options: { windowSeconds?: number; maxEntries?: number } = {}): ReplayGuard {
  const windowSeconds = options.windowSeconds ?? 300;
  const maxEntries = options.maxEntries ?? 100_000;
  const seen = new Map<string, number>();
  return {
    firstTime(id, timestamp, nowSeconds) {
      for (const [known, at] of seen) {
        if (at >= nowSeconds - windowSeconds * 2 && seen.size <= maxEntries) break;
        seen.delete(known);
      }
      if (seen.has(id)) return false;
      seen.set(id, Math.max(timestamp, nowSeconds));
      return true;
    },
  };
}

export function verifyStandardWebhook(
  secret: string | readonly string[],
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: string,
  options: { now?: Date; toleranceSeconds?: number; replayGuard?: ReplayGuard } = {},
): WebhookVerdict {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = header('webhook-id');
  const stamp = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (id === undefined || stamp === undefined || signatures === undefined) return { ok: false, reason: 'missing-headers' };
  if (!/^\d{1,12}$/.test(stamp)) return { ok: false, reason: 'bad-timestamp' };
  const timestamp = Number(stamp);
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (timestamp < nowSeconds - tolerance) return { ok: false, reason: 'too-old' };
  if (timestamp > nowSeconds + tolerance) return { ok: false, reason: 'too-new' };
  const offered = signatures
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part));
  const secrets = typeof secret === 'string' ? [secret] : secret;
  const matched = secrets.some((candidate) => {
    const expected = Buffer.from(signStandardWebhook(candidate, id, timestamp, body));
    return offered.some((given) => given.length === expected.length && timingSafeEqual(given, expected));
  });
  if (!matched) return { ok: false, reason: 'bad-signature' };
  if (options.replayGuard !== undefined && !options.replayGuard.firstTime(id, timestamp, nowSeconds)) return { ok: false, reason: 'replay' };
  return { ok: true, id, timestamp };
}
