/**
 * Staged rotation across environments (`--stages dev,staging,prod --soak 10m`): rotate
 * each stage's credential in order, let it soak, check its new key still works, and stop
 * at the first stage that does not end `done` — the later stages keep their keys.
 */
import type { Clock } from '../core/clock.js';
import type { RotationStateName } from '../core/types.js';
import { reasonOf } from './rotation-reason.js';
import type { RotationExecutor } from './rotation-executor.js';

export interface StagedRequest {
  /** Stage name → credential, in rollout order. */
  stages: Array<{ stage: string; credential: string }>;
  soakSeconds: number;
  actor: string;
  graceQuietSeconds?: number | undefined;
  graceMaxSeconds?: number | undefined;
}

export interface StageResult {
  stage: string;
  credential: string;
  state: RotationStateName | 'skipped' | 'error' | 'soak-failed';
  rotationId: string | null;
  reason: string | null;
}

export interface StagedResult {
  ok: boolean;
  stages: StageResult[];
}

/** `openai/ticketing` + `dev,staging,prod` → `openai/ticketing/dev`, … */
export function stageCredentials(base: string, stageNames: string[]): StagedRequest['stages'] {
  return stageNames.map((stage) => ({ stage, credential: `${base}/${stage}` }));
}

export async function runStaged(
  deps: { executor: Pick<RotationExecutor, 'start' | 'checkCurrent'>; clock: Clock },
  request: StagedRequest,
): Promise<StagedResult> {
  const results: StageResult[] = [];
  let stopped: string | null = null;
  for (const [index, { stage, credential }] of request.stages.entries()) {
    if (stopped !== null) {
      results.push({ stage, credential, state: 'skipped', rotationId: null, reason: `stopped after ${stopped}` });
      continue;
    }
    try {
      const outcome = await deps.executor.start({
        credential,
        actor: request.actor,
        stage,
        graceQuietSeconds: request.graceQuietSeconds,
        graceMaxSeconds: request.graceMaxSeconds,
      });
      if (outcome.state !== 'done') {
        results.push({ stage, credential, state: outcome.state, rotationId: outcome.rotationId, reason: outcome.failure ?? outcome.hold?.reason ?? null });
        stopped = stage;
        continue;
      }
      // Soak between stages (not after the last), then prove the new key still answers.
      if (index < request.stages.length - 1 && request.soakSeconds > 0) {
        await deps.clock.sleep(request.soakSeconds * 1000);
        const check = await deps.executor.checkCurrent(credential);
        if (check.liveness !== 'live') {
          results.push({ stage, credential, state: 'soak-failed', rotationId: outcome.rotationId, reason: `after the soak the new key is ${check.liveness}${check.reason === undefined ? '' : `: ${check.reason}`}` });
          stopped = stage;
          continue;
        }
      }
      results.push({ stage, credential, state: 'done', rotationId: outcome.rotationId, reason: null });
    } catch (error) {
      results.push({ stage, credential, state: 'error', rotationId: null, reason: reasonOf(error) });
      stopped = stage;
    }
  }
  return { ok: stopped === null, stages: results };
}
