/**
 * Grace that ends on observed traffic (DESIGN.md §3 step 6). Pure: the executor gathers
 * usage observations of the OLD key from every source it has (the provider's per-key
 * usage and `last_used_at`, later the proxy's metering and SDK check-ins) and asks
 * `decideGrace` what to do. Time comes in as `now`; nothing here sleeps.
 *
 * The old key is quiet since the later of the grace start and its last observed use. The
 * grace ends once it has been quiet for the window AND every source's data covers that
 * whole window (a source with one-minute buckets cannot vouch for the last minute). A
 * source that could not be read is not quiet, it is unknown. Past the maximum grace with
 * traffic (or blindness) the decision is to hold, naming who still uses the key.
 */

export interface UsageObservation {
  /** Where it comes from: `provider:openai`, `proxy`, `sdk`. */
  source: string;
  /** The consumer or client the source attributes the traffic to, when it knows. */
  consumer?: string | null | undefined;
  /** When the source last saw the old key used, if it says. */
  lastUsedAt: Date | null;
  /** Requests on the old key that the source counted in [countedSince, observedAt). */
  requests?: number | null | undefined;
  countedSince?: Date | null | undefined;
  /** When the observation was taken. */
  observedAt: Date;
  /** How far behind real time the source's data may be (bucket width), in seconds. */
  resolutionSeconds?: number | undefined;
}

export interface UsageSourceFailure {
  source: string;
  /** Value-free. */
  reason: string;
}

export interface GraceInput {
  now: Date;
  graceStartedAt: Date;
  quietSeconds: number;
  maxSeconds: number;
  observations: UsageObservation[];
  /** Sources that could not be read this round. */
  failures?: UsageSourceFailure[] | undefined;
}

export interface GraceHolder {
  source: string;
  consumer: string | null;
  lastUsedAt: Date | null;
  requests: number | null;
}

export type GraceDecision =
  | {
      action: 'wait';
      reason: string;
      quietSince: Date;
      holdAt: Date;
      /** What it waits for, stable across polls (progress prints a line when it changes): `quiet`, `coverage:<source>`, `unreadable:<sources>`. */
      waitingFor: string;
      /** When the grace ends if nothing changes (null: it cannot tell, a source is unreadable). */
      endsAt: Date | null;
    }
  | { action: 'end'; reason: string; quietSince: Date; evidence: 'observed' | 'time-only' }
  | { action: 'hold'; reason: string; holders: GraceHolder[]; failures: UsageSourceFailure[] };

export const DEFAULT_GRACE_QUIET_SECONDS = 15 * 60;
export const DEFAULT_GRACE_MAX_SECONDS = 24 * 60 * 60;

/** The latest moment this observation proves the key was used (null: no use seen). */
export function lastActivity(observation: UsageObservation): Date | null {
  // A precise last-use time wins over bucketed counts (which may include older traffic).
  if (observation.lastUsedAt !== null) return observation.lastUsedAt;
  // Counted requests without a timestamp: assume the latest moment the count covers.
  return (observation.requests ?? 0) > 0 ? observation.observedAt : null;
}

function later(left: Date, right: Date | null): Date {
  return right !== null && right > left ? right : left;
}

export function decideGrace(input: GraceInput): GraceDecision {
  const failures = input.failures ?? [];
  const quietMs = input.quietSeconds * 1000;
  const holdAt = new Date(input.graceStartedAt.getTime() + input.maxSeconds * 1000);

  let quietSince = input.graceStartedAt;
  // Per source, the latest time its data vouches for (its newest observation minus its lag);
  // observations from earlier polls may be passed along with the newest ones.
  const coverage = new Map<string, number>();
  const lagMs = new Map<string, number>();
  for (const observation of input.observations) {
    quietSince = later(quietSince, lastActivity(observation));
    const lag = (observation.resolutionSeconds ?? 0) * 1000;
    const covered = observation.observedAt.getTime() - lag;
    coverage.set(observation.source, Math.max(coverage.get(observation.source) ?? Number.NEGATIVE_INFINITY, covered));
    lagMs.set(observation.source, Math.max(lagMs.get(observation.source) ?? 0, lag));
  }
  const coveredUntil = new Date(Math.min(input.now.getTime(), ...coverage.values()));
  const quietEnd = quietSince.getTime() + quietMs;
  const quiet = failures.length === 0 && input.now.getTime() >= quietEnd && coveredUntil.getTime() >= quietEnd;

  if (quiet) {
    const evidence = input.observations.length > 0 ? 'observed' : 'time-only';
    const seconds = Math.round((input.now.getTime() - quietSince.getTime()) / 1000);
    return {
      action: 'end',
      quietSince,
      evidence,
      reason:
        evidence === 'observed'
          ? `the old key has been quiet for ${seconds}s across ${sourcesOf(input.observations).join(', ')}`
          : `no usage source can see the old key; the quiet window of ${input.quietSeconds}s passed`,
    };
  }

  if (input.now >= holdAt) {
    const holders = holdersOf(input.observations, input.graceStartedAt);
    const names = [...holders.map(holderLabel), ...failures.map((failure) => `${failure.source} (unreadable: ${failure.reason})`)];
    return {
      action: 'hold',
      holders,
      failures,
      reason:
        names.length > 0
          ? `the old key is still in use after the maximum grace of ${input.maxSeconds}s: ${names.join(', ')}`
          : `the old key has not been quiet for ${input.quietSeconds}s within the maximum grace of ${input.maxSeconds}s`,
    };
  }

  return waitFor({ failures, quietEnd, quietSince, holdAt, coverage, lagMs, now: input.now });
}

/** The 'wait' decision: name what is behind and why, and when the grace ends if nothing changes. */
function waitFor(input: {
  failures: UsageSourceFailure[];
  quietEnd: number;
  quietSince: Date;
  holdAt: Date;
  coverage: Map<string, number>;
  lagMs: Map<string, number>;
  now: Date;
}): GraceDecision {
  const { failures, quietEnd, quietSince, holdAt } = input;
  if (failures.length > 0) {
    const unreadable = failures.map((failure) => `${failure.source} (${failure.reason})`).join(', ');
    return { action: 'wait', reason: `waiting: cannot read usage from ${unreadable}`, quietSince, holdAt, waitingFor: `unreadable:${failures.map((failure) => failure.source).join(',')}`, endsAt: null };
  }
  // The source furthest behind decides when its data covers the whole quiet window.
  let behind: { source: string; covered: number; lag: number } | undefined;
  for (const [source, covered] of input.coverage) {
    if (behind === undefined || covered < behind.covered) behind = { source, covered, lag: input.lagMs.get(source) ?? 0 };
  }
  const endsAt = new Date(Math.max(quietEnd, quietEnd + (behind?.lag ?? 0)));
  const lagNote = behind === undefined || behind.lag < 5_000 ? '' : `; ${behind.source} data can be up to ${Math.round(behind.lag / 1000)}s behind, so the grace ends about ${endsAt.toISOString()}`;
  if (input.now.getTime() < quietEnd) {
    return { action: 'wait', reason: `waiting: the old key must stay quiet until ${new Date(quietEnd).toISOString()}${lagNote}`, quietSince, holdAt, waitingFor: 'quiet', endsAt };
  }
  const source = behind?.source ?? 'a usage source';
  const lag = behind === undefined ? '' : ` (its data can be up to ${Math.round(behind.lag / 1000)}s behind)`;
  const coveredUntil = new Date(Math.min(input.now.getTime(), behind?.covered ?? input.now.getTime()));
  return { action: 'wait', reason: `waiting: usage data from ${source} covers only up to ${coveredUntil.toISOString()}${lag}`, quietSince, holdAt, waitingFor: `coverage:${source}`, endsAt };
}

/**
 * Who used the old key after the grace began (the new key was already everywhere): one
 * holder per source and consumer, as its latest observation says (the grace polls each
 * source many times; every poll is an observation).
 */
export function holdersOf(observations: UsageObservation[], since: Date): GraceHolder[] {
  const latest = new Map<string, { observation: UsageObservation; activity: Date }>();
  for (const observation of observations) {
    const activity = lastActivity(observation);
    if (activity === null || activity < since) continue;
    const who = `${observation.source}\u0000${observation.consumer ?? ''}`;
    const seen = latest.get(who);
    if (seen === undefined || activity >= seen.activity) latest.set(who, { observation, activity });
  }
  return [...latest.values()].map(({ observation }) => ({
    source: observation.source,
    consumer: observation.consumer ?? null,
    lastUsedAt: observation.lastUsedAt,
    requests: observation.requests ?? null,
  }));
}

export function holderLabel(holder: GraceHolder): string {
  const who = holder.consumer === null ? holder.source : `${holder.consumer} (via ${holder.source})`;
  return holder.requests === null ? who : `${who}: ${holder.requests} request(s)`;
}

/** Drill report: consumers seen using a key that the consumer list does not know. */
export function forgottenConsumers(observations: UsageObservation[], since: Date, knownConsumers: string[]): string[] {
  const known = new Set(knownConsumers);
  const forgotten = new Set<string>();
  for (const holder of holdersOf(observations, since)) {
    if (holder.consumer === null) forgotten.add(`unattributed traffic seen by ${holder.source}`);
    else if (!known.has(holder.consumer)) forgotten.add(holder.consumer);
  }
  return [...forgotten].sort();
}

function sourcesOf(observations: UsageObservation[]): string[] {
  return [...new Set(observations.map((observation) => observation.source))].sort();
}
