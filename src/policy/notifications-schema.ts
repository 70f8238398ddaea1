/**
 * The `notifications` section of rekey.yaml: named routes that alerts are sent along.
 * Kept in its own file so it can be swapped for the alerts module's route schema when that
 * has one (today src/alerts has channel configs and the secret-reference schema, which is
 * reused here). A route never holds a secret: URLs and SMTP passwords are references
 * (`env:NAME` or `vault:<credential>`).
 */
import { z } from 'zod';
import { secretReferenceSchema as secretReference } from '../alerts/secret-reference.js';

const routeName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a route name: lower-case letters, digits, "_" or "-"');

const webhookRoute = z.strictObject({
  kind: z.literal('webhook'),
  urlFrom: secretReference.meta({ description: 'where the webhook URL is read from (it may carry a token), e.g. env:ALERT_WEBHOOK_URL' }),
});

const slackRoute = z.strictObject({
  kind: z.literal('slack'),
  urlFrom: secretReference.meta({ description: 'the Slack-compatible incoming webhook URL, e.g. env:SLACK_WEBHOOK_URL' }),
});

const emailRoute = z.strictObject({
  kind: z.literal('email'),
  to: z.array(z.email()).min(1),
  smtpFrom: secretReference.optional().meta({ description: 'SMTP URL reference (smtp://user:password@host:port), e.g. env:SMTP_URL or vault:alerts/smtp' }),
});

const route = z.discriminatedUnion('kind', [webhookRoute, slackRoute, emailRoute]);

export const notificationsSchema = z.strictObject({
  routes: z.record(routeName, route).default({}),
  /** Which routes hear which events (`rotation-hold`, `policy-violation`…); `*` for all. */
  subscriptions: z.array(z.strictObject({ events: z.array(z.string().min(1)).min(1), routes: z.array(routeName).min(1) })).default([]),
}).meta({ description: 'notification routes used by alerts (webhook, Slack-compatible webhook, email)' });

export type NotificationsSection = z.output<typeof notificationsSchema>;
