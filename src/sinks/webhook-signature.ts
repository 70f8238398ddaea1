/**
 * Signed webhooks, shared by the webhook sink and the webhook reload action. Each POST
 * carries `X-Rekey-Timestamp` (unix seconds), `X-Rekey-Delivery` (a random id) and
 * `X-Rekey-Signature: sha256=<hex HMAC-SHA-256(secret, "<timestamp>.<body>")>`. A
 * receiver recomputes the HMAC over the raw body, compares in constant time, and rejects
 * timestamps older than a few minutes (replay). `verifyWebhookSignature` is that check.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../core/errors.js';
import { createSinkHttp } from './sink-http.js';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

export function verifyWebhookSignature(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  options: { now?: Date; toleranceSeconds?: number } = {},
): boolean {
  if (headers.signature === undefined || headers.timestamp === undefined || !/^\d+$/.test(headers.timestamp)) return false;
  const timestamp = Number(headers.timestamp);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
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
      'x-rekey-delivery': randomUUID(),
      'x-rekey-signature': signWebhook(options.secret, timestamp, body),
    },
  });
  // The body is sent pre-serialised so the signature covers exactly these bytes.
  await http.request({ method: 'POST', path: `${url.pathname}${url.search}`, rawBody: body, action: options.action });
}
