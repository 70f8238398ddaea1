/**
 * The outbox worker: at-least-once delivery of the messages the alert service wrote.
 *
 * Each round claims due messages (a claim with a lease: a worker killed mid-send leaves a
 * claim that expires, and the next worker takes the message again), sends each on its
 * channel and settles it: delivered; pending again with exponential backoff when the
 * failure is retryable and attempts remain; dead otherwise (visible in `rekey alerts list
 * --dead`, back with `rekey alerts retry`). A message killed between send and settle is
 * sent again with the same id: receivers dedup on it (webhook-id, Message-ID, PagerDuty
 * dedup_key), so it is acted on once.
 */
import type { Clock } from '../core/clock.js';
import { isRekeyError, reasonOf } from '../core/errors.js';
import type { AlertStore, OutboxMessage } from '../store/alert-store-types.js';
import { decodeMessage } from './alert-service.js';
import type { AlertChannel } from './channels/channel-spec.js';

export interface OutboxWorkerOptions {
  store: Pick<AlertStore, 'claimOutbox' | 'settleOutbox'>;
  channels: ReadonlyMap<string, AlertChannel>;
  clock: Clock;
  holder: string;
  /** How long a claim lasts before another worker may take the message. Default 60 s. */
  leaseMs?: number | undefined;
  /** Attempts before a retryable failure dead-letters. Default 8. */
  maxAttempts?: number | undefined;
  /** First retry delay, doubled each attempt up to maxBackoffMs. Defaults 5 s and 15 min. */
  backoffMs?: number | undefined;
  maxBackoffMs?: number | undefined;
  batch?: number | undefined;
  /** Test seams around a send: after the claim, and after the send before the settle. */
  hooks?: { afterClaim?: (message: OutboxMessage) => Promise<void> | void; afterSend?: (message: OutboxMessage) => Promise<void> | void } | undefined;
}

export interface DeliveryRound {
  delivered: string[];
  retrying: Array<{ id: string; error: string; nextAttemptAt: Date }>;
  dead: Array<{ id: string; error: string }>;
  /** Claims that expired and were taken by another worker before this one settled. */
  lost: string[];
}

export function backoffDelay(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

export async function deliverDue(options: OutboxWorkerOptions): Promise<DeliveryRound> {
  const { store, channels, clock, holder } = options;
  const leaseMs = options.leaseMs ?? 60_000;
  const maxAttempts = options.maxAttempts ?? 8;
  const baseMs = options.backoffMs ?? 5_000;
  const maxMs = options.maxBackoffMs ?? 15 * 60_000;
  const round: DeliveryRound = { delivered: [], retrying: [], dead: [], lost: [] };
  const claimed = await store.claimOutbox({ holder, now: clock.now(), limit: options.batch ?? 50, leaseMs });
  for (const message of claimed) {
    await options.hooks?.afterClaim?.(message);
    const channel = channels.get(message.channel);
    let settled: boolean;
    if (channel === undefined) {
      const error = `no route named ${message.channel} in the notifications section`;
      settled = await store.settleOutbox(message.id, holder, { state: 'dead', at: clock.now(), error });
      if (settled) round.dead.push({ id: message.id, error });
    } else {
      try {
        await channel.send(decodeMessage(message.message));
        await options.hooks?.afterSend?.(message);
        settled = await store.settleOutbox(message.id, holder, { state: 'delivered', at: clock.now() });
        if (settled) round.delivered.push(message.id);
      } catch (failure) {
        const error = reasonOf(failure);
        const retryable = isRekeyError(failure) ? failure.isRetryable : true;
        if (retryable && message.attempts < maxAttempts) {
          const nextAttemptAt = new Date(clock.now().getTime() + backoffDelay(message.attempts, baseMs, maxMs));
          settled = await store.settleOutbox(message.id, holder, { state: 'pending', nextAttemptAt, error });
          if (settled) round.retrying.push({ id: message.id, error, nextAttemptAt });
        } else {
          settled = await store.settleOutbox(message.id, holder, { state: 'dead', at: clock.now(), error });
          if (settled) round.dead.push({ id: message.id, error });
        }
      }
    }
    if (!settled) round.lost.push(message.id);
  }
  return round;
}

/** Rounds until the outbox has nothing due (or `maxRounds`): what `rekey alerts deliver --once` runs. */
export async function drainOutbox(options: OutboxWorkerOptions & { maxRounds?: number }): Promise<DeliveryRound> {
  const total: DeliveryRound = { delivered: [], retrying: [], dead: [], lost: [] };
  for (let index = 0; index < (options.maxRounds ?? 100); index += 1) {
    const round = await deliverDue(options);
    total.delivered.push(...round.delivered);
    total.retrying.push(...round.retrying);
    total.dead.push(...round.dead);
    total.lost.push(...round.lost);
    if (round.delivered.length + round.retrying.length + round.dead.length + round.lost.length === 0) break;
  }
  return total;
}
