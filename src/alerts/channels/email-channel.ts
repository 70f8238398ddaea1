/**
 * E-mail channel over SMTP with nodemailer: STARTTLS on 587 by default (`security:
 * starttls` refuses to send in clear when the server does not offer it), implicit TLS on
 * 465 (`tls`), or `none` for a relay on loopback. The password is a secret reference.
 * A trigger's Message-ID is derived from the alert key, so a redelivered trigger is the
 * same message; reminders and resolves (Message-ID from the message id) reply to it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, SinkError } from '../../core/errors.js';
import { messageFacts, messageHeadline, messageText, type AlertMessage } from '../alert-types.js';
import { secretReferenceSchema } from '../secret-reference.js';
import { parseChannelConfig } from './channel-config.js';
import type { AlertChannel, ChannelContext } from './channel-spec.js';

const address = z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'must be an e-mail address');

export const emailChannelSchema = z
  .object({
    kind: z.literal('email'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
    user: z.string().min(1).optional(),
    passwordRef: secretReferenceSchema.optional(),
    from: address,
    to: z.array(address).min(1),
    /** A PEM file with the CA that signed the server's certificate (a private relay). */
    caFile: z.string().min(1).optional(),
  })
  .strict()
  .refine((config) => (config.user === undefined) === (config.passwordRef === undefined), { message: 'give user and passwordRef together' });

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function emailHtml(message: AlertMessage): string {
  const rows = messageFacts(message)
    .map((fact) => `<tr><th align="left">${escapeHtml(fact.label)}</th><td>${escapeHtml(fact.value)}</td></tr>`)
    .join('');
  return `<h2>${escapeHtml(messageHeadline(message))}</h2><p>${escapeHtml(message.event.summary)}</p><table>${rows}</table><p><small>alert ${escapeHtml(message.alertKey)}</small></p>`;
}

const threadId = (alertKey: string) => `<alert-${createHash('sha256').update(alertKey).digest('hex').slice(0, 32)}@rekey>`;

interface SmtpFailure {
  code?: unknown;
  responseCode?: unknown;
}

function deliveryError(where: string, error: unknown): SinkError {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as SmtpFailure;
  const responseCode = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  const code = typeof failure.code === 'string' && /^[A-Z_]+$/.test(failure.code) ? failure.code : undefined;
  // 5xx is a permanent refusal; 4xx and connection trouble may pass on a retry.
  const permanent = (responseCode !== undefined && responseCode >= 500) || code === 'EAUTH' || code === 'ETLS';
  const what = responseCode !== undefined ? `SMTP ${responseCode}` : (code ?? 'unexpected failure');
  return new SinkError(`${where}: could not send the e-mail (${what})`, { sink: 'alert-email', isRetryable: !permanent });
}

export function createEmailChannel(name: string, input: unknown, context: ChannelContext): AlertChannel {
  const config = parseChannelConfig(emailChannelSchema, input, name);
  const where = `alert channel ${name}`;
  let ca: string | undefined;
  if (config.caFile !== undefined) {
    try {
      ca = readFileSync(config.caFile, 'utf8');
    } catch {
      throw new ConfigError(`${where}: cannot read caFile ${config.caFile}`);
    }
  }
  return {
    kind: 'email',
    name,
    describe: () => `email channel ${name} (${config.security} ${config.host}:${config.port} → ${config.to.join(', ')})`,
    async send(message) {
      const nodemailer = await import('nodemailer');
      const pass = config.passwordRef === undefined ? undefined : (await context.secrets.resolve(config.passwordRef, where)).reveal();
      const transport = nodemailer.createTransport({
        host: config.host,
        port: config.port,
        secure: config.security === 'tls',
        requireTLS: config.security === 'starttls',
        ignoreTLS: config.security === 'none',
        ...(config.user === undefined || pass === undefined ? {} : { auth: { user: config.user, pass } }),
        tls: { minVersion: 'TLSv1.2', ...(ca === undefined ? {} : { ca }) },
        connectionTimeout: context.timeoutMs ?? 15_000,
        greetingTimeout: context.timeoutMs ?? 15_000,
        socketTimeout: context.timeoutMs ?? 15_000,
        logger: false,
        debug: false,
      });
      const thread = threadId(message.alertKey);
      try {
        const info = await transport.sendMail({
          from: config.from,
          to: config.to,
          subject: messageHeadline(message),
          text: messageText(message),
          html: emailHtml(message),
          // A trigger starts the alert's thread; reminders and resolves reply to it.
          ...(message.action === 'trigger' ? { messageId: thread } : { messageId: `<${message.id}@rekey>`, inReplyTo: thread, references: [thread] }),
          headers: { 'X-Rekey-Alert': message.alertKey, 'X-Rekey-Action': message.action, 'X-Rekey-Message': message.id },
        });
        return { detail: `accepted by ${config.host} (${info.accepted.length} recipient(s))` };
      } catch (error) {
        throw deliveryError(where, error);
      } finally {
        transport.close();
      }
    },
  };
}
