/**
 * Microsoft Teams incoming webhook channel (a Workflows "post to a channel when a webhook
 * request is received" URL, or a legacy connector URL): one Adaptive Card with the
 * headline, the summary and a FactSet. The URL is the secret: a reference only.
 */
import { z } from 'zod';
import { messageFacts, messageHeadline, type AlertMessage } from '../alert-types.js';
import { secretReferenceSchema } from '../secret-reference.js';
import { createSinkHttp } from '../../sinks/sink-http.js';
import { parseChannelConfig } from './channel-config.js';
import type { AlertChannel, ChannelContext } from './channel-spec.js';

export const teamsChannelSchema = z.object({ kind: z.literal('teams'), urlRef: secretReferenceSchema }).strict();

const COLOUR: Record<string, string> = { info: 'Accent', warning: 'Warning', error: 'Attention', critical: 'Attention' };

export function teamsCard(message: AlertMessage): Record<string, unknown> {
  const colour = message.action === 'resolve' ? 'Good' : (COLOUR[message.event.severity] ?? 'Default');
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: messageHeadline(message), weight: 'Bolder', size: 'Medium', wrap: true, color: colour },
            { type: 'TextBlock', text: message.event.summary, wrap: true },
            { type: 'FactSet', facts: messageFacts(message).map((fact) => ({ title: fact.label, value: fact.value })) },
            { type: 'TextBlock', text: `alert ${message.alertKey}`, isSubtle: true, size: 'Small', wrap: true },
          ],
        },
      },
    ],
  };
}

export function createTeamsChannel(name: string, input: unknown, context: ChannelContext): AlertChannel {
  const config = parseChannelConfig(teamsChannelSchema, input, name);
  const where = `alert channel ${name}`;
  return {
    kind: 'teams',
    name,
    describe: () => `teams channel ${name} (${config.urlRef})`,
    async send(message) {
      const url = new URL((await context.secrets.resolve(config.urlRef, where)).reveal());
      const http = createSinkHttp({ sink: 'alert-teams', label: where, baseUrl: url.origin, timeoutMs: context.timeoutMs, headers: { 'user-agent': 'rekey-alerts' } });
      const response = await http.request({ method: 'POST', path: `${url.pathname}${url.search}`, body: teamsCard(message), action: `deliver alert ${message.id}` });
      return { detail: `HTTP ${response.status}` };
    },
  };
}
