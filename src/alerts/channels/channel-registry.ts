/**
 * Every alert channel kind, loaded lazily (the e-mail channel pulls in nodemailer only
 * when used). Exhaustive: a new kind fails to compile until it is registered here.
 */
import type { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { CHANNEL_KINDS, type AlertChannel, type ChannelContext, type ChannelFactory, type ChannelKind } from './channel-spec.js';

export const CHANNEL_FACTORIES: Record<ChannelKind, () => Promise<ChannelFactory>> = {
  webhook: async () => (await import('./webhook-channel.js')).createWebhookChannel,
  slack: async () => (await import('./slack-channel.js')).createSlackChannel,
  email: async () => (await import('./email-channel.js')).createEmailChannel,
  pagerduty: async () => (await import('./pagerduty-channel.js')).createPagerdutyChannel,
  teams: async () => (await import('./teams-channel.js')).createTeamsChannel,
};

export const CHANNEL_SCHEMAS: Record<ChannelKind, () => Promise<z.ZodType>> = {
  webhook: async () => (await import('./webhook-channel.js')).webhookChannelSchema,
  slack: async () => (await import('./slack-channel.js')).slackChannelSchema,
  email: async () => (await import('./email-channel.js')).emailChannelSchema,
  pagerduty: async () => (await import('./pagerduty-channel.js')).pagerdutyChannelSchema,
  teams: async () => (await import('./teams-channel.js')).teamsChannelSchema,
};

export function isChannelKind(kind: unknown): kind is ChannelKind {
  return typeof kind === 'string' && (CHANNEL_KINDS as readonly string[]).includes(kind);
}

export async function createChannel(name: string, config: unknown, context: ChannelContext): Promise<AlertChannel> {
  const kind = (config as { kind?: unknown } | null)?.kind;
  if (!isChannelKind(kind)) throw new ConfigError(`alert channel ${name}: kind must be one of ${CHANNEL_KINDS.join(', ')}`);
  const factory = await CHANNEL_FACTORIES[kind]();
  return factory(name, config, context);
}
