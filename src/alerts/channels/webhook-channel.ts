/**
 * Generic webhook channel: POSTs the message as JSON, signed per Standard Webhooks
 * (`standard-webhooks.ts`). The URL may be written plainly or as a reference; the signing
 * secret is always a reference to a `whsec_…` value.
 */
import { z } from 'zod';
import { createSinkHttp } from '../../sinks/sink-http.js';
import { parseChannelConfig } from './channel-config.js';
import type { AlertChannel, ChannelContext } from './channel-spec.js';
import { messagePayload } from './message-payload.js';
import { standardWebhookHeaders } from './standard-webhooks.js';
import { secretReferenceSchema } from '../secret-reference.js';

export const webhookChannelSchema = z
  .object({
    kind: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/ }).optional(),
    urlRef: secretReferenceSchema.optional(),
    secretRef: secretReferenceSchema,
  })
  .strict()
  .refine((config) => (config.url === undefined) !== (config.urlRef === undefined), { message: 'give exactly one of url and urlRef' });

export function createWebhookChannel(name: string, input: unknown, context: ChannelContext): AlertChannel {
  const config = parseChannelConfig(webhookChannelSchema, input, name);
  const where = `alert channel ${name}`;
  return {
    kind: 'webhook',
    name,
    describe: () => `webhook channel ${name} (${config.urlRef ?? new URL(config.url ?? '').origin}, signed with ${config.secretRef})`,
    async send(message) {
      const url = new URL(config.url ?? (await context.secrets.resolve(config.urlRef ?? '', where)).reveal());
      const secret = (await context.secrets.resolve(config.secretRef, where)).reveal();
      const body = JSON.stringify({ type: `alert.${message.action}`, ...messagePayload(message) });
      const timestamp = Math.floor((context.now?.() ?? new Date()).getTime() / 1000);
      const http = createSinkHttp({
        sink: 'alert-webhook',
        label: where,
        baseUrl: url.origin,
        timeoutMs: context.timeoutMs,
        headers: { 'user-agent': 'rekey-alerts', ...standardWebhookHeaders(secret, message.id, timestamp, body) },
      });
      const response = await http.request({ method: 'POST', path: `${url.pathname}${url.search}`, rawBody: body, action: `deliver alert ${message.id}` });
      return { detail: `HTTP ${response.status}` };
    },
  };
}
