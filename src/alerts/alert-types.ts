/**
 * The vocabulary of alerts: what happened (an `AlertEvent`), what is sent about it (an
 * `AlertMessage`: trigger, remind, acknowledge, resolve) and the kinds rekey raises. Pure
 * data. An event is value-free by construction: it names credentials, versions by number,
 * consumers and figures, never a key (channels and tests check again).
 */
export const ALERT_KINDS = [
  'rotation-failed',
  'rotation-held',
  'rotation-rolled-back',
  'grace-exceeded',
  'key-age-due',
  'key-overdue',
  'leak-found',
  'revoked-key-traffic',
  'auth-failures',
  'usage-anomaly',
  'model-not-allowed',
  'shadow-key',
  'approval-waiting',
  'scheduler-heartbeat-missing',
  'alert-test',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** PagerDuty's four severities; the others map onto them. */
export const SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export interface AlertFact {
  label: string;
  value: string;
}

export interface AlertEvent {
  kind: AlertKind;
  severity: Severity;
  /**
   * The condition's identity: the same key while the same thing is wrong (a burst of
   * raises is one alert), e.g. `rotation-held:openai/ticketing/prod:rot_123`.
   */
  key: string;
  /** One line: `Rotation of openai/ticketing/prod is held`. */
  title: string;
  /** A few sentences: what happened, what rekey did, what a person should do. */
  summary: string;
  credential: string | null;
  environment: string | null;
  /** Expected vs seen, since when, consumers still on the old version… in display order. */
  facts: AlertFact[];
  /** When the condition started (not when it was noticed). */
  since: Date;
  /** Value-free details a checker needs later (a fingerprint, a version number). */
  data?: Record<string, string | number | boolean | null> | undefined;
}

export const ALERT_ACTIONS = ['trigger', 'remind', 'acknowledge', 'resolve'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

/** What a channel is asked to send: one action about one alert. */
export interface AlertMessage {
  /** Stable per (alert, action, round): the webhook-id, the e-mail Message-ID. Redelivery reuses it. */
  id: string;
  action: AlertAction;
  event: AlertEvent;
  /** Stable per alert: PagerDuty's dedup_key, so trigger and resolve meet. */
  alertKey: string;
  /** How many times the condition was raised while open (a burst is one message). */
  occurrences: number;
  firstSeen: Date;
  /** When the message was written to the outbox. */
  createdAt: Date;
  /** Who acknowledged or resolved, when a person did. */
  by?: string | undefined;
}

export const ACTION_VERB: Record<AlertAction, string> = {
  trigger: 'ALERT',
  remind: 'REMINDER',
  acknowledge: 'ACKNOWLEDGED',
  resolve: 'RESOLVED',
};

/** The subject line every channel uses: `[rekey ALERT] error: Rotation of … is held`. */
export function messageHeadline(message: AlertMessage): string {
  return `[rekey ${ACTION_VERB[message.action]}] ${message.event.severity}: ${message.event.title}`;
}

/** The facts plus the bookkeeping every channel shows, as label/value pairs. */
export function messageFacts(message: AlertMessage): AlertFact[] {
  const facts = [...message.event.facts];
  if (message.event.credential !== null) facts.unshift({ label: 'credential', value: message.event.credential });
  if (message.event.environment !== null) facts.push({ label: 'environment', value: message.event.environment });
  facts.push({ label: 'since', value: message.event.since.toISOString() });
  if (message.occurrences > 1) facts.push({ label: 'occurrences', value: String(message.occurrences) });
  if (message.by !== undefined) facts.push({ label: message.action === 'resolve' ? 'resolved by' : 'acknowledged by', value: message.by });
  return facts;
}

/** Plain text of a message, for e-mail bodies and logs. */
export function messageText(message: AlertMessage): string {
  const lines = [messageHeadline(message), '', message.event.summary, ''];
  for (const fact of messageFacts(message)) lines.push(`${fact.label}: ${fact.value}`);
  lines.push('', `alert: ${message.alertKey}`);
  return lines.join('\n');
}
