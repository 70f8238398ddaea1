/**
 * Realism knobs. Fault decisions come from their own seeded PRNG, one draw per faultable
 * request, so the same seed and the same request order give the same faults.
 */
import type { Clock } from '../core/clock.js';
import { createSeededRandom } from './emulator-random.js';

export interface EmulatorKnobs {
  activationDelayMs: number;
  revocationDelayMs: number;
  /** 0..1 */
  rate429: number;
  retryAfterSeconds: number;
  /** 0..1 */
  rate5xx: number;
  latencyMs: number;
}

export const DEFAULT_KNOBS: EmulatorKnobs = {
  activationDelayMs: 0,
  revocationDelayMs: 0,
  rate429: 0,
  retryAfterSeconds: 1,
  rate5xx: 0,
  latencyMs: 0,
};

export type FaultDecision = { kind: 'none' } | { kind: 'rate-limit'; retryAfterSeconds: number } | { kind: 'server-error'; variant: number };

export interface FaultInjector {
  knobs(): EmulatorKnobs;
  setKnobs(knobs: Partial<EmulatorKnobs>): void;
  /** Draws once. `variant` (0 or 1) lets a vendor pick between its two 5xx flavours. */
  decide(): FaultDecision;
  /** The configured added latency (on the injected clock). */
  delay(): Promise<void>;
}

export function validateKnobs(knobs: Partial<EmulatorKnobs>): void {
  for (const [name, value] of Object.entries(knobs)) {
    if (value === undefined) continue;
    if (!(name in DEFAULT_KNOBS)) throw new RangeError(`unknown emulator knob '${name}'`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`emulator knob '${name}' must be a finite number >= 0`);
    }
    if ((name === 'rate429' || name === 'rate5xx') && value > 1) {
      throw new RangeError(`emulator knob '${name}' is a rate between 0 and 1`);
    }
  }
}

export function createFaultInjector(options: { seed: number; clock: Clock; knobs?: Partial<EmulatorKnobs> | undefined }): FaultInjector {
  const random = createSeededRandom((options.seed ^ 0x9e3779b9) >>> 0);
  validateKnobs(options.knobs ?? {});
  let current: EmulatorKnobs = { ...DEFAULT_KNOBS, ...stripUndefined(options.knobs ?? {}) };
  return {
    knobs: () => current,
    setKnobs(knobs) {
      validateKnobs(knobs);
      current = { ...current, ...stripUndefined(knobs) };
    },
    decide() {
      const draw = random.next();
      if (draw < current.rate429) return { kind: 'rate-limit', retryAfterSeconds: current.retryAfterSeconds };
      if (draw < current.rate429 + current.rate5xx) {
        const position = (draw - current.rate429) / current.rate5xx;
        return { kind: 'server-error', variant: position < 0.5 ? 0 : 1 };
      }
      return { kind: 'none' };
    },
    async delay() {
      if (current.latencyMs > 0) await options.clock.sleep(current.latencyMs);
    },
  };
}

function stripUndefined(knobs: Partial<EmulatorKnobs>): Partial<EmulatorKnobs> {
  return Object.fromEntries(Object.entries(knobs).filter(([, value]) => value !== undefined)) as Partial<EmulatorKnobs>;
}
