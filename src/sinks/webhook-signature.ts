/**
 * Signed webhooks, shared by the webhook sink and the webhook reload action. Each POST
 * carries `X-Rekey-Timestamp` (unix seconds), `X-Rekey-Delivery` (a random id) and
 * `X-Rekey-Signature: v2=<hex HMAC-SHA-256(secret, "<delivery>.<timestamp>.<body>")>`.
 * The id is signed, so a receiver that remembers the ids it accepted within the
 * timestamp window refuses a captured delivery sent again (replay) — that is what
 * `createWebhookVerifier` does; `verifyWebhookSignature` is the stateless part (signature
 * in constant time and the timestamp window).
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../core/errors.js';
import { createSinkHttp } from './sink-http.js';

const SIGNATURE_VERSION = 'v2';
const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,200}$/;

export interface WebhookSignedParts {
  delivery: string;
  /** Unix seconds. */
  timestamp: number;
}

export function signWebhook(secret: string, parts: WebhookSignedParts, body: string): string {
  const mac = createHmac('sha256', secret).update(`${parts.delivery}.${parts.timestamp}.${body}`, 'utf8').digest('hex');
  return `${SIGNATURE_VERSION}=${mac}`;
}

export interface WebhookHeaders {
  signature: string | undefined;
  timestamp: string | undefined;
  delivery: string | undefined;
}

export type WebhookVerdict = { ok: true } | { ok: false; reason: 'bad-signature' | 'stale' | 'replayed' | 'too-many' };

function check(secret: string, headers: WebhookHeaders, body: string, now: Date, toleranceSeconds: number): WebhookVerdict {
  const { signature, timestamp, delivery } = headers;
  if (signature === undefined || timestamp === undefined || delivery === undefined || !/^\d{1,12}$/.test(timestamp) || !DELIVERY_ID.test(delivery)) {
    return { ok: false, reason: 'bad-signature' };
  }
  const expected = Buffer.from(signWebhook(secret, { delivery, timestamp: Number(timestamp) }, body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad-signature' };
  if (Math.abs(Math.floor(now.getTime() / 1000) - Number(timestamp)) > toleranceSeconds) return { ok: false, reason: 'stale' };
  return { ok: true };
}

/** Signature and timestamp window only; use `createWebhookVerifier` to refuse replays. */
export function verifyWebhookSignature(
  secret: string,
  headers: WebhookHeaders,
  body: string,
  options: { now?: Date; toleranceSeconds?: number } = {},
): boolean {
  return check(secret, headers, body, options.now ?? new Date(), options.toleranceSeconds ?? 300).ok;
}

export interface WebhookVerifierOptions {
  secret: string;
  /** How far a timestamp may be from now, and so how long an id is remembered. Default 300 s. */
  toleranceSeconds?: number | undefined;
  now?: (() => Date) | undefined;
  /** Ids remembered at most; past that, new deliveries are refused until old ones expire. Default 100,000. */
  maxRemembered?: number | undefined;
}

/**
 * A receiver's verifier: signature, timestamp window, and each delivery id accepted once
 * within the window (a replay inside it is refused; one outside it is stale anyway).
 */
export function createWebhookVerifier(options: WebhookVerifierOptions): { verify(headers: WebhookHeaders, body: string): WebhookVerdict } {
  const toleranceSeconds = options.toleranceSeconds ?? 300;
  const maxRemembered = options.maxRemembered ?? 100_000;
  const now = options.now ?? (() => new Date());
  const seen = new Map<string, number>();
  return {
    verify(headers, body) {
      const at = now();
      const verdict = check(options.secret, headers, body, at, toleranceSeconds);
      if (!verdict.ok) return verdict;
      const nowSeconds = Math.floor(at.getTime() / 1000);
      for (const [id, expires] of seen) {
        if (expires < nowSeconds) seen.delete(id);
      }
      const delivery = headers.delivery as string;
      if (seen.has(delivery)) return { ok: false, reason: 'replayed' };
      if (seen.size >= maxRemembered) return { ok: false, reason: 'too-many' };
      seen.set(delivery, Number(headers.timestamp) + toleranceSeconds);
      return { ok: true };
    },
  };
}

export function webhookSecretFrom(environment: Readonly<Record<string, string | undefined>>, variable: string, consumerName: string): string {
  const secret = environment[variable];
  if (secret === undefined || secret.length < 16) {
    throw new ConfigError(`consumer ${consumerName}: the webhook signing secret variable ${variable} is not set (or shorter than 16 characters)`, {
      hint: 'set it, or name another one with secretEnv',
    });
  }
  return secret;
}

export async function postSignedWebhook(options: {
  sink: string;
  label: string;
  url: string;
  secret: string;
  payload: Record<string, unknown>;
  headers?: Record<string, string> | undefined;
  timeoutMs?: number | undefined;
  action: string;
}): Promise<void> {
  const body = JSON.stringify(options.payload);
  const timestamp = Math.floor(Date.now() / 1000);
  const delivery = randomUUID();
  const url = new URL(options.url);
  const http = createSinkHttp({
    sink: options.sink,
    label: options.label,
    baseUrl: url.origin,
    timeoutMs: options.timeoutMs,
    headers: {
      ...options.headers,
      'content-type': 'application/json',
      'user-agent': 'rekey-webhook',
      'x-rekey-timestamp': String(timestamp),
      'x-rekey-delivery': delivery,
      'x-rekey-signature': signWebhook(options.secret, { delivery, timestamp }, body),
    },
  });
  // The body is sent pre-serialised so the signature covers exactly these bytes.
  await http.request({ method: 'POST', path: `${url.pathname}${url.search}`, rawBody: body, action: options.action });
}
