/**
 * From the `notifications` section of rekey.yaml (validated by src/policy's schema; taken
 * here structurally, so alerts does not depend on policy) to live channels, routing rules
 * and the alert settings. Route fields ending in `From` are secret references and map onto
 * the channel configs' `…Ref` fields.
 */
import { ConfigError } from '../core/errors.js';
import { parseDurationSeconds } from '../core/duration.js';
import type { RoutingRule } from './alert-routing.js';
import { createChannel } from './channels/channel-registry.js';
import type { AlertChannel, ChannelContext } from './channels/channel-spec.js';
import { DEFAULT_REMIND_AFTER_MS } from './alert-service.js';

export interface NotificationsInput {
  routes: Record<string, { kind: string } & Record<string, unknown>>;
  subscriptions: RoutingRule[];
  remindAfter?: string | undefined;
  dueReminderDays?: number | undefined;
  authFailuresPerMinute?: number | undefined;
  heartbeatMissingAfter?: string | undefined;
}

export interface AlertSettings {
  rules: RoutingRule[];
  remindAfterMs: number;
  dueReminderDays: number;
  authFailuresPerMinute: number;
  heartbeatMissingAfterMs: number;
}

const RENAMES: Record<string, string> = { urlFrom: 'urlRef', secretFrom: 'secretRef', routingKeyFrom: 'routingKeyRef', passwordFrom: 'passwordRef' };

/** A route as the channel factory's config. */
export function channelConfigOf(route: { kind: string } & Record<string, unknown>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(route)) {
    if (value !== undefined) config[RENAMES[field] ?? field] = value;
  }
  return config;
}

export function alertSettingsOf(section: NotificationsInput | undefined): AlertSettings {
  const routes = section?.routes ?? {};
  for (const [index, rule] of (section?.subscriptions ?? []).entries()) {
    for (const route of rule.routes) {
      if (routes[route] === undefined) throw new ConfigError(`notifications.subscriptions[${index}]: no route named ${route} in notifications.routes`);
    }
  }
  return {
    rules: section?.subscriptions ?? [],
    remindAfterMs: section?.remindAfter === undefined ? DEFAULT_REMIND_AFTER_MS : parseDurationSeconds(section.remindAfter, 'notifications.remindAfter') * 1000,
    dueReminderDays: section?.dueReminderDays ?? 7,
    authFailuresPerMinute: section?.authFailuresPerMinute ?? 20,
    heartbeatMissingAfterMs: section?.heartbeatMissingAfter === undefined ? 10 * 60_000 : parseDurationSeconds(section.heartbeatMissingAfter, 'notifications.heartbeatMissingAfter') * 1000,
  };
}

export async function createRouteChannels(section: NotificationsInput | undefined, context: ChannelContext): Promise<Map<string, AlertChannel>> {
  const channels = new Map<string, AlertChannel>();
  for (const [name, route] of Object.entries(section?.routes ?? {})) {
    channels.set(name, await createChannel(name, channelConfigOf(route), context));
  }
  return channels;
}
