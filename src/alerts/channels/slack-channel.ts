/**
 * Slack incoming webhook channel: a Block Kit message (header, summary, fields, context)
 * with `text` as the notification fallback. The webhook URL is the secret, so the
 * configuration holds only a reference to it.
 */
import { z } from 'zod';
import { messageFacts, messageHeadline, type AlertMessage } from '../alert-types.js';
import { secretReferenceSchema } from '../secret-reference.js';
import { createSinkHttp } from '../../sinks/sink-http.js';
import { parseChannelConfig } from './channel-config.js';
import type { AlertChannel, ChannelContext } from './channel-spec.js';

export const slackChannelSchema = z.object({ kind: z.literal('slack'), urlRef: secretReferenceSchema }).strict();

/** Slack's mrkdwn needs &, < and > escaped; everything else is literal. */
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const clip = (text: string, length: number) => (text.length <= length ? text : `${text.slice(0, length - 1)}…`);

export function slackBlocks(message: AlertMessage): Record<string, unknown> {
  const facts = messageFacts(message).slice(0, 10);
  return {
    text: clip(messageHeadline(message), 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(messageHeadline(message), 150), emoji: false } },
      { type: 'section', text: { type: 'mrkdwn', text: clip(escape(message.event.summary), 3000) } },
      ...(facts.length === 0 ? [] : [{ type: 'section', fields: facts.map((fact) => ({ type: 'mrkdwn', text: clip(`*${escape(fact.label)}*\n${escape(fact.value)}`, 2000) })) }]),
      { type: 'context', elements: [{ type: 'mrkdwn', text: escape(`rekey · ${message.event.kind} · alert ${message.alertKey}`) }] },
    ],
  };
}

export function createSlackChannel(name: string, input: unknown, context: ChannelContext): AlertChannel {
  const config = parseChannelConfig(slackChannelSchema, input, name);
  const where = `alert channel ${name}`;
  return {
    kind: 'slack',
    name,
    describe: () => `slack channel ${name} (${config.urlRef})`,
    async send(message) {
      const url = new URL((await context.secrets.resolve(config.urlRef, where)).reveal());
      const http = createSinkHttp({ sink: 'alert-slack', label: where, baseUrl: url.origin, timeoutMs: context.timeoutMs, headers: { 'user-agent': 'rekey-alerts' } });
      const response = await http.request({ method: 'POST', path: `${url.pathname}${url.search}`, body: slackBlocks(message), action: `deliver alert ${message.id}` });
      return { detail: `HTTP ${response.status}` };
    },
  };
}
