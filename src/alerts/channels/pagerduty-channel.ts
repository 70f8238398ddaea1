/**
 * PagerDuty Events API v2 channel: trigger (and reminders, which PagerDuty folds into the
 * open incident), acknowledge and resolve, all with `dedup_key` = the alert key, so a
 * redelivered trigger lands on the same incident and a resolve closes it. The routing
 * (integration) key is a secret reference.
 */
import { z } from 'zod';
import { messageHeadline, type AlertMessage } from '../alert-types.js';
import { secretReferenceSchema } from '../secret-reference.js';
import { createSinkHttp } from '../../sinks/sink-http.js';
import { parseChannelConfig } from './channel-config.js';
import type { AlertChannel, ChannelContext } from './channel-spec.js';
import { messagePayload } from './message-payload.js';

export const pagerdutyChannelSchema = z
  .object({
    kind: z.literal('pagerduty'),
    routingKeyRef: secretReferenceSchema,
    /** The Events API endpoint; the default is PagerDuty's. */
    url: z.url({ protocol: /^https?$/ }).default('https://events.pagerduty.com/v2/enqueue'),
    source: z.string().min(1).max(255).default('rekey'),
  })
  .strict();

/** PagerDuty caps dedup_key at 255 characters; longer alert keys keep their start and a hash-free tail cut. */
export const pagerdutyDedupKey = (message: AlertMessage) => message.alertKey.slice(0, 255);

export function pagerdutyEvent(message: AlertMessage, routingKey: string, source: string): Record<string, unknown> {
  const base = { routing_key: routingKey, dedup_key: pagerdutyDedupKey(message) };
  if (message.action === 'acknowledge' || message.action === 'resolve') return { ...base, event_action: message.action };
  return {
    ...base,
    event_action: 'trigger',
    payload: {
      summary: messageHeadline(message).slice(0, 1024),
      source,
      severity: message.event.severity,
      timestamp: message.event.since.toISOString(),
      component: message.event.credential ?? 'rekey',
      group: message.event.environment ?? undefined,
      class: message.event.kind,
      custom_details: messagePayload(message),
    },
  };
}

export function createPagerdutyChannel(name: string, input: unknown, context: ChannelContext): AlertChannel {
  const config = parseChannelConfig(pagerdutyChannelSchema, input, name);
  const where = `alert channel ${name}`;
  const url = new URL(config.url);
  return {
    kind: 'pagerduty',
    name,
    describe: () => `pagerduty channel ${name} (${url.origin}, routing key ${config.routingKeyRef})`,
    async send(message) {
      const routingKey = (await context.secrets.resolve(config.routingKeyRef, where)).reveal();
      const http = createSinkHttp({ sink: 'alert-pagerduty', label: where, baseUrl: url.origin, timeoutMs: context.timeoutMs, headers: { 'user-agent': 'rekey-alerts' } });
      const response = await http.request({ method: 'POST', path: `${url.pathname}${url.search}`, body: pagerdutyEvent(message, routingKey, config.source), action: `${message.action} PagerDuty event ${message.id}` });
      return { detail: `HTTP ${response.status}` };
    },
  };
}
