/**
 * What the daemons run on each round (the scheduler after its tick, `rekey alerts deliver`),
 * and what the rotation engine and the leak response call when something happens: raise,
 * then try to send at once. The CLI wires these to the store and the routes of rekey.yaml;
 * tests wire them the same way, so an end-to-end test runs the code the binary runs.
 */
import type { Store } from '../store/store.js';
import { evaluateAlertConditions, leakFoundEvent, rotationHoldEvent, SCHEDULER_HEARTBEAT, type ConditionDeps, type RotationHoldNotice } from './alert-conditions.js';
import type { AlertService } from './alert-service.js';
import type { DeliveryRound } from './outbox-worker.js';

export interface AlertRoundDeps extends ConditionDeps {
  store: ConditionDeps['store'] & Pick<Store, 'recordHeartbeat'>;
  service: ConditionDeps['service'] & Pick<AlertService, 'remindDue'>;
  /** One drain of the outbox (the outbox worker over the live channels). */
  deliver(): Promise<DeliveryRound>;
}

export interface AlertRoundOptions {
  /** The scheduler beats under this holder before evaluating (its own heartbeat is then fresh). */
  beatAs?: string | undefined;
  /** Check the scheduler's heartbeat (the outbox daemon does; the scheduler itself need not). */
  checkHeartbeat?: boolean | undefined;
  /** Between the outbox write and delivery (the crash tests stop the process there). */
  afterWrite?: (() => Promise<void>) | undefined;
}

/** Heartbeat, every condition (held rotations, key age, revoked-key traffic, auth failures, usage anomalies), reminders, delivery. */
export async function runAlertRound(deps: AlertRoundDeps, options: AlertRoundOptions = {}): Promise<DeliveryRound> {
  if (options.beatAs !== undefined) await deps.store.recordHeartbeat(SCHEDULER_HEARTBEAT, options.beatAs, deps.clock.now());
  await evaluateAlertConditions(deps, { heartbeat: options.checkHeartbeat === true });
  await deps.service.remindDue();
  await options.afterWrite?.();
  return deps.deliver();
}

export interface AlertSink {
  service: Pick<AlertService, 'raise' | 'resolve'>;
  deliver(): Promise<DeliveryRound>;
}

/** The rotation engine's `alerts` dependency: a hold raises its alert and is sent at once. */
export function createRotationAlerts(deps: { open: () => Promise<AlertSink>; now: () => Date }): { held(notice: RotationHoldNotice): Promise<void> } {
  return {
    async held(notice) {
      const sink = await deps.open();
      await sink.service.raise(rotationHoldEvent(notice, deps.now()));
      await sink.deliver();
    },
  };
}

/** What a leak response did for one leaked version (src/rotation/leak-response.ts), value-free. */
export interface LeakResponseSummary {
  credential: string;
  version: number;
  action: string;
  rotationId: string | null;
  secondsFromFindingToDead: number | null;
  reason: string | null;
}

/**
 * A leak-found alert per response, saying what was done (rotated, dead in N s) or why not;
 * resolved at once when the leaked key is already dead, else when a later round sees it
 * revoked. Sent at once.
 */
export async function alertLeakResponses(
  deps: AlertSink & { store: Pick<Store, 'getCredential'> },
  responses: readonly LeakResponseSummary[],
  found: { foundAt: Date; where?: string | undefined },
): Promise<void> {
  for (const response of responses) {
    const credential = await deps.store.getCredential(response.credential);
    if (credential === undefined) continue;
    const leak = leakFoundEvent({ ...response, credentialId: credential.id, environment: credential.environment, where: found.where ?? null, foundAt: found.foundAt });
    await deps.service.raise(leak);
    if (response.secondsFromFindingToDead !== null) await deps.service.resolve(leak.key);
  }
  await deps.deliver();
}
