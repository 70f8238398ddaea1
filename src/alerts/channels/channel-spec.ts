/**
 * The alert channel contract: one flat file per kind, each a factory returning a plain
 * object with one required method, `send`. Every implementation runs the suite in
 * `test/contracts/alert-channel.ts`.
 *
 * Rules: a channel's configuration holds secret references, never secrets (the schema
 * refuses a bare URL where the URL is the secret); `send` resolves them per message; a
 * failure throws a value-free `SinkError` whose `isRetryable` says whether the outbox
 * should try again (network trouble, 408/429/5xx) or dead-letter it (4xx, bad config).
 * Sending the same message twice (same `message.id`) must be harmless for the receiver:
 * the id is the webhook-id, the e-mail Message-ID, and the PagerDuty dedup_key carries
 * the alert key.
 */
import type { AlertMessage } from '../alert-types.js';
import type { SecretResolver } from '../secret-reference.js';

export const CHANNEL_KINDS = ['webhook', 'slack', 'email', 'pagerduty', 'teams'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export interface ChannelReceipt {
  /** What the receiver said, value-free: `HTTP 202`, `250 Message queued`. */
  detail: string;
}

export interface AlertChannel {
  readonly kind: ChannelKind;
  readonly name: string;
  /** One line for lists and errors, never a secret: `slack channel ops (env:SLACK_OPS_URL)`. */
  describe(): string;
  send(message: AlertMessage): Promise<ChannelReceipt>;
}

export interface ChannelContext {
  secrets: SecretResolver;
  /** Per-request timeout. Default 15 s. */
  timeoutMs?: number | undefined;
  /** Unix seconds for signatures; injected so tests control replay windows. */
  now?: (() => Date) | undefined;
}

export type ChannelFactory = (name: string, config: unknown, context: ChannelContext) => AlertChannel;
