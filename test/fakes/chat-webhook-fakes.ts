/**
 * Protocol fakes of Slack and Microsoft Teams incoming webhooks: a secret path (the URL is
 * the credential), a JSON body checked against the documented shapes (Slack: `text` and
 * Block Kit `blocks` with header/section/context, ≤ 10 section fields; Teams: a `message`
 * with one Adaptive Card attachment), answers `ok` / 202 like the services do. A body of
 * the wrong shape is answered 400 and recorded in `rejectedShapes`.
 */
import { randomBytes } from 'node:crypto';
import type { AlertAction } from '../../src/alerts/alert-types.js';
import { jsonBody, startFakeHttpServer, type FakeHttpServer } from './fake-http-server.js';

export interface ChatWebhookFake {
  server: FakeHttpServer;
  url: string;
  /** The secret part of the URL. */
  secretPath: string;
  messages: Array<Record<string, unknown>>;
  rejectedShapes: string[];
  actionOf(message: Record<string, unknown>): AlertAction | 'unknown';
  textOf(message: Record<string, unknown>): string;
  close(): Promise<void>;
}

function strings(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, into);
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) strings(item, into);
  return into;
}

const unescapeSlack = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function actionFromText(text: string): AlertAction | 'unknown' {
  const match = /\[rekey (ALERT|REMINDER|ACKNOWLEDGED|RESOLVED)\]/.exec(text);
  const map: Record<string, AlertAction> = { ALERT: 'trigger', REMINDER: 'remind', ACKNOWLEDGED: 'acknowledge', RESOLVED: 'resolve' };
  return match?.[1] === undefined ? 'unknown' : (map[match[1]] ?? 'unknown');
}

function slackShapeProblem(body: Record<string, unknown>): string | null {
  if (typeof body['text'] !== 'string' || body['text'] === '') return 'text missing';
  const blocks = body['blocks'];
  if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > 50) return 'blocks invalid';
  for (const block of blocks as Array<Record<string, unknown>>) {
    if (!['header', 'section', 'context', 'divider', 'actions'].includes(String(block['type']))) return `block type ${String(block['type'])}`;
    if (block['type'] === 'header' && ((block['text'] as Record<string, unknown>)['type'] !== 'plain_text' || String((block['text'] as Record<string, unknown>)['text']).length > 150)) return 'header invalid';
    if (Array.isArray(block['fields']) && block['fields'].length > 10) return 'too many fields';
  }
  return null;
}

function teamsShapeProblem(body: Record<string, unknown>): string | null {
  if (body['type'] !== 'message') return 'type must be message';
  const attachments = body['attachments'];
  if (!Array.isArray(attachments) || attachments.length !== 1) return 'one attachment expected';
  const card = attachments[0] as Record<string, unknown>;
  if (card['contentType'] !== 'application/vnd.microsoft.card.adaptive') return 'not an adaptive card';
  const content = card['content'] as Record<string, unknown>;
  if (content['type'] !== 'AdaptiveCard' || typeof content['version'] !== 'string' || !Array.isArray(content['body'])) return 'card invalid';
  return null;
}

async function startChatFake(kind: 'slack' | 'teams'): Promise<ChatWebhookFake> {
  const secretPath = kind === 'slack' ? `/services/T0REKEY/B0REKEY/${randomBytes(12).toString('hex')}` : `/workflows/${randomBytes(16).toString('hex')}/triggers/manual/paths/invoke`;
  const messages: Array<Record<string, unknown>> = [];
  const rejectedShapes: string[] = [];
  const server = await startFakeHttpServer((request) => {
    if (request.method !== 'POST' || request.url.pathname !== secretPath) return { status: 404, body: kind === 'slack' ? 'no_service' : { error: 'not found' } };
    const body = jsonBody(request) as Record<string, unknown>;
    const problem = kind === 'slack' ? slackShapeProblem(body) : teamsShapeProblem(body);
    if (problem !== null) {
      rejectedShapes.push(problem);
      return { status: 400, body: kind === 'slack' ? 'invalid_blocks' : { error: problem } };
    }
    messages.push(body);
    return kind === 'slack' ? { status: 200, body: 'ok', headers: { 'content-type': 'text/plain' } } : { status: 202, body: '' };
  });
  const textOf = (message: Record<string, unknown>) => unescapeSlack(strings(kind === 'slack' ? message['blocks'] : message['attachments']).join('\n'));
  return {
    server,
    url: `${server.url}${secretPath}`,
    secretPath,
    messages,
    rejectedShapes,
    textOf,
    actionOf: (message) => actionFromText(textOf(message)),
    close: () => server.close(),
  };
}

export const startSlackWebhookFake = () => startChatFake('slack');
export const startTeamsWebhookFake = () => startChatFake('teams');
