/**
 * The alert part of the Store contract (issue 15): open alerts (one row per condition
 * key, so a burst of raises is one alert) and the delivery outbox. The store keeps the
 * alert's event and each message as JSON blobs; src/alerts owns their shape.
 *
 * Invariants both dialects enforce:
 * - `saveAlert` is compare-and-set on the alert's revision and writes the alert with its
 *   outbox messages in one transaction: a message exists exactly when the state change
 *   that caused it was committed;
 * - an outbox id is unique (it is the dedup key: message × channel), so writing the same
 *   message twice enqueues it once;
 * - `claimOutbox` hands a message to one worker at a time (a claim with expiry, so a
 *   killed worker's messages are claimed again), counts the attempt, and never hands out
 *   a message while an earlier one of the same alert and channel is undelivered (a
 *   resolve never overtakes its trigger).
 */
export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const OUTBOX_STATES = ['pending', 'delivering', 'delivered', 'dead'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

export interface AlertRecord {
  key: string;
  kind: string;
  severity: string;
  state: AlertState;
  /** The latest event raised for this key (JSON). */
  event: Record<string, unknown>;
  /** The channels its trigger went to: reminders and the resolve go there too. */
  channels: string[];
  occurrences: number;
  /** 1 for the first trigger; +1 each time it triggers again after a resolve. */
  round: number;
  reminders: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  lastNotifiedAt: Date | null;
  resolvedAt: Date | null;
  /** Who acknowledged or resolved it by hand. */
  by: string | null;
  revision: number;
}

export type AlertDraft = Omit<AlertRecord, 'revision'>;

export interface NewOutboxMessage {
  /** Unique: the message id and the channel (`<message id>@<channel>`). */
  id: string;
  messageId: string;
  alertKey: string;
  channel: string;
  action: string;
  message: Record<string, unknown>;
  createdAt: Date;
}

export interface OutboxMessage extends NewOutboxMessage {
  /** Order within the alert (the alert revision that wrote it). */
  position: number;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: Date;
  claimedBy: string | null;
  claimExpiresAt: Date | null;
  lastError: string | null;
  deliveredAt: Date | null;
}

export type OutboxOutcome =
  | { state: 'delivered'; at: Date }
  | { state: 'pending'; nextAttemptAt: Date; error: string }
  | { state: 'dead'; at: Date; error: string };

export interface Heartbeat {
  name: string;
  holder: string;
  beatAt: Date;
  /** The first beat ever recorded under this name: a heartbeat never seen is not missing. */
  firstBeatAt: Date;
}

/** One minute of usage of a credential, summed over its versions, sources and consumers. */
export interface UsageMinute {
  at: Date;
  requests: number;
  status4xx: number;
  status5xx: number;
  inputTokens: number;
  outputTokens: number;
}

export interface AlertStore {
  getAlert(key: string): Promise<AlertRecord | undefined>;
  listAlerts(filter?: { states?: AlertState[]; limit?: number }): Promise<AlertRecord[]>;
  /**
   * Write the alert (insert when `expectedRevision` is null, else update when the stored
   * revision equals it: ConflictError otherwise) and enqueue `messages` (ids already in
   * the outbox are skipped), atomically. Returns the stored alert.
   */
  saveAlert(alert: AlertDraft, expectedRevision: number | null, messages: NewOutboxMessage[]): Promise<AlertRecord>;
  /** Up to `limit` messages due at `now`, claimed by `holder` until now + leaseMs (attempts + 1). */
  claimOutbox(request: { holder: string; now: Date; limit: number; leaseMs: number }): Promise<OutboxMessage[]>;
  /** Settle a claimed message. False when `holder` no longer holds the claim (it expired and was taken). */
  settleOutbox(id: string, holder: string, outcome: OutboxOutcome): Promise<boolean>;
  listOutbox(filter?: { states?: OutboxState[]; alertKey?: string; limit?: number }): Promise<OutboxMessage[]>;
  /** A dead message back to pending, due at `now` (after its channel was fixed). */
  retryOutbox(id: string, now: Date): Promise<OutboxMessage>;

  // Migration 6: what the alert conditions read besides usage reports.
  /** Upsert the beat of `name` (the scheduler) at `at`. */
  recordHeartbeat(name: string, holder: string, at: Date): Promise<void>;
  getHeartbeat(name: string): Promise<Heartbeat | undefined>;
  /** Add `count` refused tokens at `source` (serve, proxy) in the minute of `at`. */
  recordAuthFailures(source: string, at: Date, count: number): Promise<void>;
  /** Refusals per source in minutes starting at or after `since`. */
  countAuthFailures(since: Date): Promise<Array<{ source: string; failures: number }>>;
  /** Per-minute usage of a credential in [since, until), oldest first. */
  listUsageMinutes(credentialId: string, since: Date, until: Date): Promise<UsageMinute[]>;
}
