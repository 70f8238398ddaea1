/**
 * The alert lifecycle over the store: raise, group, remind, acknowledge, resolve. Each
 * state change and the outbox messages it causes are written in one transaction
 * (`saveAlert`), so a crash never loses a message nor writes one for a change that did
 * not happen. Delivery is the outbox worker's job (outbox-worker.ts).
 *
 * - A raise of an alert that is already open (same `event.key`) only counts an occurrence:
 *   one message per burst.
 * - An open, unacknowledged alert is reminded every `remindAfterMs` on its channels.
 * - A resolve goes to the channels the trigger went to; raising the key again afterwards
 *   opens a new round (a new trigger).
 * - Message ids are derived from (alert key, round, action, reminder number): writing the
 *   same message twice, e.g. after a crash and a re-raise, enqueues it once.
 */
import { createHash } from 'node:crypto';
import { ConflictError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { AlertDraft, AlertRecord, AlertStore, NewOutboxMessage } from '../store/alert-store-types.js';
import { routeEvent, type RoutingRule } from './alert-routing.js';
import { severityRank, type AlertAction, type AlertEvent, type AlertKind, type AlertMessage } from './alert-types.js';

export interface AlertServiceOptions {
  store: Pick<AlertStore, 'getAlert' | 'listAlerts' | 'saveAlert'>;
  clock: Clock;
  rules: readonly RoutingRule[];
  /** Default 4 h. */
  remindAfterMs?: number | undefined;
}

export interface AlertChange {
  alert: AlertRecord;
  /** The action written to the outbox, or null when nothing new is sent (a grouped raise). */
  sent: AlertAction | null;
}

export interface AlertService {
  raise(event: AlertEvent): Promise<AlertChange>;
  resolve(key: string, by?: string): Promise<AlertChange | undefined>;
  acknowledge(key: string, by: string): Promise<AlertChange | undefined>;
  /** Reminders for open, unacknowledged alerts whose last message is older than remindAfter. */
  remindDue(): Promise<AlertChange[]>;
  /**
   * A source that re-evaluates its conditions (key ages, anomalies, heartbeats) reports
   * every condition true now: each is raised, and every open alert of `kinds` whose key is
   * not among them is resolved (the condition cleared).
   */
  sync(kinds: readonly AlertKind[], events: readonly AlertEvent[], options?: { keyPrefix?: string }): Promise<AlertChange[]>;
  /** The message a test delivery sends (rekey alerts test), not stored as an alert. */
  routesOf(event: AlertEvent): string[];
}

export const DEFAULT_REMIND_AFTER_MS = 4 * 3600_000;

export function messageIdOf(alertKey: string, round: number, action: AlertAction, reminder = 0): string {
  const digest = createHash('sha256').update(`${alertKey}\n${round}\n${action}\n${reminder}`).digest('hex').slice(0, 24);
  return `msg_${digest}`;
}

export function encodeMessage(message: AlertMessage): Record<string, unknown> {
  return JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
}

export function decodeMessage(stored: Record<string, unknown>): AlertMessage {
  const message = stored as unknown as AlertMessage & { event: AlertEvent };
  return {
    ...message,
    firstSeen: new Date(String(stored['firstSeen'])),
    createdAt: new Date(String(stored['createdAt'])),
    event: { ...message.event, since: new Date(String((stored['event'] as Record<string, unknown>)['since'])) },
  };
}

function eventOf(alert: AlertRecord): AlertEvent {
  const stored = alert.event as unknown as AlertEvent;
  return { ...stored, since: new Date(String(alert.event['since'])) };
}

function outboxMessages(alert: AlertDraft, action: AlertAction, now: Date, reminder = 0): NewOutboxMessage[] {
  const message: AlertMessage = {
    id: messageIdOf(alert.key, alert.round, action, reminder),
    action,
    event: alert.event as unknown as AlertEvent,
    alertKey: alert.key,
    occurrences: alert.occurrences,
    firstSeen: alert.firstSeenAt,
    createdAt: now,
    ...(alert.by === null || (action !== 'acknowledge' && action !== 'resolve') ? {} : { by: alert.by }),
  };
  const encoded = encodeMessage(message);
  return alert.channels.map((channel) => ({
    id: `${message.id}@${channel}`,
    messageId: message.id,
    alertKey: alert.key,
    channel,
    action,
    message: encoded,
    createdAt: now,
  }));
}

export function createAlertService(options: AlertServiceOptions): AlertService {
  const { store, clock } = options;
  const remindAfterMs = options.remindAfterMs ?? DEFAULT_REMIND_AFTER_MS;

  /** Compare-and-set with a few retries: another process may change the same alert meanwhile. */
  async function change(key: string, decide: (current: AlertRecord | undefined, now: Date) => { draft: AlertDraft; messages: NewOutboxMessage[]; sent: AlertAction | null } | undefined): Promise<AlertChange | undefined> {
    for (let attempt = 0; ; attempt += 1) {
      const current = await store.getAlert(key);
      const now = clock.now();
      const decision = decide(current, now);
      if (decision === undefined) return undefined;
      try {
        const alert = await store.saveAlert(decision.draft, current?.revision ?? null, decision.messages);
        return { alert, sent: decision.sent };
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= 5) throw error;
      }
    }
  }

  const service: AlertService = {
    routesOf: (event) => routeEvent(options.rules, event),

    async raise(event) {
      const result = await change(event.key, (current, now) => {
        const stored = encodeMessage({ event } as unknown as AlertMessage)['event'] as Record<string, unknown>;
        if (current !== undefined && current.state !== 'resolved') {
          // Grouped: the burst is one alert; keep the most severe event's text.
          const keep = severityRank(event.severity) >= severityRank(current.severity as AlertEvent['severity']);
          const draft: AlertDraft = {
            ...current,
            event: keep ? { ...stored, since: current.event['since'] } : current.event,
            severity: keep ? event.severity : current.severity,
            occurrences: current.occurrences + 1,
            lastSeenAt: now,
          };
          return { draft, messages: [], sent: null };
        }
        const draft: AlertDraft = {
          key: event.key,
          kind: event.kind,
          severity: event.severity,
          state: 'open',
          event: stored,
          channels: routeEvent(options.rules, event),
          occurrences: 1,
          round: (current?.round ?? 0) + 1,
          reminders: 0,
          firstSeenAt: now,
          lastSeenAt: now,
          lastNotifiedAt: now,
          resolvedAt: null,
          by: null,
        };
        return { draft, messages: outboxMessages(draft, 'trigger', now), sent: 'trigger' };
      });
      return result as AlertChange;
    },

    async resolve(key, by) {
      return change(key, (current, now) => {
        if (current === undefined || current.state === 'resolved') return undefined;
        const draft: AlertDraft = { ...current, state: 'resolved', resolvedAt: now, lastNotifiedAt: now, by: by ?? null };
        return { draft, messages: outboxMessages(draft, 'resolve', now), sent: 'resolve' };
      });
    },

    async acknowledge(key, by) {
      return change(key, (current, now) => {
        if (current === undefined || current.state !== 'open') return undefined;
        const draft: AlertDraft = { ...current, state: 'acknowledged', lastNotifiedAt: now, by };
        return { draft, messages: outboxMessages(draft, 'acknowledge', now), sent: 'acknowledge' };
      });
    },

    async remindDue() {
      const changes: AlertChange[] = [];
      for (const open of await store.listAlerts({ states: ['open'] })) {
        const result = await change(open.key, (current, now) => {
          if (current === undefined || current.state !== 'open' || current.channels.length === 0) return undefined;
          const last = current.lastNotifiedAt ?? current.firstSeenAt;
          if (now.getTime() - last.getTime() < remindAfterMs) return undefined;
          const draft: AlertDraft = { ...current, reminders: current.reminders + 1, lastNotifiedAt: now };
          return { draft, messages: outboxMessages(draft, 'remind', now, draft.reminders), sent: 'remind' };
        });
        if (result !== undefined) changes.push(result);
      }
      return changes;
    },

    async sync(kinds, events, syncOptions = {}) {
      const changes: AlertChange[] = [];
      const active = new Set(events.map((event) => event.key));
      for (const event of events) changes.push(await service.raise(event));
      for (const open of await store.listAlerts({ states: ['open', 'acknowledged'] })) {
        if (!(kinds as readonly string[]).includes(open.kind) || active.has(open.key)) continue;
        if (syncOptions.keyPrefix !== undefined && !open.key.startsWith(syncOptions.keyPrefix)) continue;
        const resolved = await service.resolve(open.key);
        if (resolved !== undefined) changes.push(resolved);
      }
      return changes;
    },
  };
  return service;
}

export { eventOf as alertEventOf };
