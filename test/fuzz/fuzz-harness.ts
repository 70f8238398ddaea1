/**
 * The fuzz harness (issue #17 item 9): each target is a parser of outside input driven by
 * fast-check. A case must end as accepted or refused with a clear error — never a crash
 * (TypeError, RangeError, SyntaxError escaping), never slower than the per-case bound — and
 * the target's own check proves that a refusal changed nothing. The seed is fixed so CI is
 * repeatable: REKEY_FUZZ_SEED picks another, REKEY_FUZZ_SCALE multiplies the case counts.
 * Every target's count is kept for the summary line the suite prints.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { RekeyError } from '../../src/core/errors.js';

export const FUZZ_SEED = Number.parseInt(process.env.REKEY_FUZZ_SEED ?? '17', 10);
const SCALE = Number(process.env.REKEY_FUZZ_SCALE ?? '1');
if (!Number.isInteger(FUZZ_SEED)) throw new Error(`REKEY_FUZZ_SEED must be an integer, not "${process.env.REKEY_FUZZ_SEED}"`);
if (!(SCALE > 0)) throw new Error(`REKEY_FUZZ_SCALE must be a positive number, not "${process.env.REKEY_FUZZ_SCALE}"`);

export type Outcome = 'accepted' | 'refused';

export interface FuzzTally {
  target: string;
  cases: number;
  refused: number;
  milliseconds: number;
  slowestMilliseconds: number;
}

const tallies: FuzzTally[] = [];

export interface FuzzOptions {
  runs: number;
  /** A case slower than this fails (async cases are also interrupted at it). Default 1 s. */
  caseMilliseconds?: number;
}

/** Runs `check` on `runs` generated inputs; returns (and keeps) the tally. */
export async function fuzz<Input>(target: string, arbitrary: fc.Arbitrary<Input>, check: (input: Input) => Outcome | Promise<Outcome>, options: FuzzOptions): Promise<FuzzTally> {
  const limit = options.caseMilliseconds ?? 1_000;
  const tally: FuzzTally = { target, cases: 0, refused: 0, milliseconds: 0, slowestMilliseconds: 0 };
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(arbitrary, async (input) => {
      const caseStarted = performance.now();
      const outcome = await check(input);
      const took = performance.now() - caseStarted;
      if (took > limit) throw new Error(`${target}: one case took ${Math.round(took)} ms (bound ${limit} ms)`);
      tally.cases += 1;
      if (outcome === 'refused') tally.refused += 1;
      tally.slowestMilliseconds = Math.max(tally.slowestMilliseconds, took);
    }),
    { numRuns: Math.max(1, Math.round(options.runs * SCALE)), seed: FUZZ_SEED, timeout: limit, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true },
  );
  tally.milliseconds = performance.now() - started;
  tallies.push(tally);
  return tally;
}

/** Runs `attempt`; a refusal must be one of `types` (default: rekey's typed errors) and say something. */
export async function outcomeOf(attempt: () => unknown, options: { types?: Array<abstract new (...args: never[]) => Error>; secrets?: string[]; mentions?: RegExp } = {}): Promise<Outcome> {
  try {
    await attempt();
    return 'accepted';
  } catch (error) {
    expectClearError(error, options);
    return 'refused';
  }
}

export function expectClearError(error: unknown, options: { types?: Array<abstract new (...args: never[]) => Error>; secrets?: string[]; mentions?: RegExp } = {}): void {
  const types = options.types ?? [RekeyError];
  if (!types.some((type) => error instanceof type)) throw new Error(`not a clear error: ${String((error as Error)?.stack ?? error)}`, { cause: error });
  const message = (error as Error).message;
  expect(message.length, 'an error message says what is wrong').toBeGreaterThan(10);
  expect(message, 'an error message is not a stack trace').not.toMatch(/\n\s+at .*:\d+:\d+/);
  if (options.mentions !== undefined) expect(message).toMatch(options.mentions);
  for (const secret of options.secrets ?? []) expect(message.includes(secret), 'an error message carries no secret').toBe(false);
}

/** One line for the CI log: how many cases ran, per target and in all. */
export function fuzzSummary(): string {
  const cases = tallies.reduce((sum, tally) => sum + tally.cases, 0);
  const milliseconds = tallies.reduce((sum, tally) => sum + tally.milliseconds, 0);
  const lines = tallies.map((tally) => `  ${tally.target}: ${tally.cases} cases (${tally.refused} refused), ${Math.round(tally.milliseconds)} ms, slowest case ${tally.slowestMilliseconds.toFixed(1)} ms`);
  return [`fuzz: ${cases} cases over ${tallies.length} targets in ${(milliseconds / 1000).toFixed(2)} s (seed ${FUZZ_SEED}; REKEY_FUZZ_SEED / REKEY_FUZZ_SCALE to change)`, ...lines].join('\n');
}
