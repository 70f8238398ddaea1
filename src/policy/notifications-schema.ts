/**
 * The `notifications` section of rekey.yaml: named routes (alert channels) and the rules
 * (`subscriptions`) that send alerts along them. A route never holds a secret: URLs,
 * signing secrets, routing keys and SMTP passwords are references (`env:NAME` or
 * `vault:<credential>`). src/alerts/alert-config.ts turns a route into a channel.
 */
import { z } from 'zod';
import { ALERT_KINDS, SEVERITIES } from '../alerts/alert-types.js';
import { secretReferenceSchema as secretReference } from '../alerts/secret-reference.js';
import { durationText, environmentName } from './schema-primitives.js';

const routeName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a route name: lower-case letters, digits, "_" or "-"');

const webhookRoute = z.strictObject({
  kind: z.literal('webhook'),
  urlFrom: secretReference.meta({ description: 'where the webhook URL is read from (it may carry a token), e.g. env:ALERT_WEBHOOK_URL' }),
  secretFrom: secretReference.meta({ description: 'the Standard Webhooks signing secret (whsec_…), e.g. env:ALERT_WEBHOOK_SECRET' }),
});

const slackRoute = z.strictObject({
  kind: z.literal('slack'),
  urlFrom: secretReference.meta({ description: 'the Slack-compatible incoming webhook URL, e.g. env:SLACK_WEBHOOK_URL' }),
});

const teamsRoute = z.strictObject({
  kind: z.literal('teams'),
  urlFrom: secretReference.meta({ description: 'the Microsoft Teams incoming webhook (workflow) URL, e.g. env:TEAMS_WEBHOOK_URL' }),
});

const pagerdutyRoute = z.strictObject({
  kind: z.literal('pagerduty'),
  routingKeyFrom: secretReference.meta({ description: 'the Events API v2 integration (routing) key, e.g. env:PAGERDUTY_ROUTING_KEY' }),
  url: z.url({ protocol: /^https?$/ }).optional().meta({ description: "the Events API endpoint (default PagerDuty's)" }),
});

const emailRoute = z.strictObject({
  kind: z.literal('email'),
  to: z.array(z.email()).min(1),
  from: z.email(),
  host: z.string().min(1).max(255),
  port: z.int().min(1).max(65535).optional().meta({ description: 'default 587' }),
  security: z.enum(['starttls', 'tls', 'none']).optional().meta({ description: 'default starttls' }),
  user: z.string().min(1).max(255).optional(),
  passwordFrom: secretReference.optional().meta({ description: 'the SMTP password, e.g. env:SMTP_PASSWORD (give it with user)' }),
});

const route = z.discriminatedUnion('kind', [webhookRoute, slackRoute, teamsRoute, pagerdutyRoute, emailRoute]);

const eventName = z.union([z.literal('*'), z.enum(ALERT_KINDS)]);

const credentialGlob = z.string().regex(/^[a-z0-9*?._/-]{1,200}$/, 'a credential name or glob such as openai/*/prod or anthropic/**');

export const subscriptionSchema = z.strictObject({
  events: z.array(eventName).min(1).meta({ description: 'alert kinds (rotation-held, leak-found, key-age-due, usage-anomaly…) or * for all' }),
  routes: z.array(routeName).min(1),
  minSeverity: z.enum(SEVERITIES).optional().meta({ description: 'only alerts at least this severe (info, warning, error, critical)' }),
  environments: z.array(environmentName).min(1).optional().meta({ description: 'only alerts about credentials in these environments' }),
  credentials: z.array(credentialGlob).min(1).optional().meta({ description: 'only alerts about credentials matching one of these globs (* within a segment, ** across)' }),
});

export const notificationsSchema = z.strictObject({
  routes: z.record(routeName, route).default({}),
  /** Which routes hear which alerts; an alert goes to the union of every matching rule's routes. */
  subscriptions: z.array(subscriptionSchema).default([]),
  remindAfter: durationText.optional().meta({ description: 'send a reminder while an alert stays open and unacknowledged this long (default 4h)' }),
  dueReminderDays: z.int().min(1).max(365).optional().meta({ description: 'warn this many days before a key reaches its rotation or age limit (default 7)' }),
  authFailuresPerMinute: z.int().min(1).max(1_000_000).optional().meta({ description: 'alert when serve or the proxy refuse more tokens than this per minute (default 20)' }),
  heartbeatMissingAfter: durationText.optional().meta({ description: 'alert when the scheduler has not run for this long (default 10m)' }),
}).meta({ description: 'alert routes (webhook, Slack, Teams, PagerDuty, e-mail) and the rules that pick them' });

export type NotificationsSection = z.output<typeof notificationsSchema>;
export type NotificationRoute = z.output<typeof route>;
export type Subscription = z.output<typeof subscriptionSchema>;
