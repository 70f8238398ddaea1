/**
 * The rotation service: start, resume, decide (rollback, abort, end grace) and plan.
 * Deps come as one named object (`RotationDeps`); see README.md for the protocol and its
 * invariants and `rotation-runner.ts` for how steps are journaled and resumed.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, UsageError } from '../core/errors.js';
import { SecretValue } from '../core/secret-value.js';
import type { Credential, RotationKind, RotationRecord, RotationStateName, VersionRecord } from '../core/types.js';
import { fingerprintLabel } from '../crypto/fingerprint.js';
import type { ProviderV1 } from '../providers/provider-spec.js';
import { SINK_REACH } from '../sinks/sink-spec.js';
import { DEFAULT_GRACE_MAX_SECONDS, DEFAULT_GRACE_QUIET_SECONDS } from './grace.js';
import type { RotationDeps } from './rotation-deps.js';
import { readRotationData, toRecordData, type ProviderKeyRef, type RotationData } from './rotation-data.js';
import { entryEffects, isTerminal, startRotation, transition, type EmergencyPath, type HoldInfo, type RotationState } from './rotation-machine.js';
import { drive, journalResumePoint, type DriveOptions } from './rotation-runner.js';
import { acquireRotationLease, createRotationSession, resolveDeps, type ResolvedDeps, type RotationLease } from './rotation-session.js';

export interface StartRotationRequest {
  credential: string;
  /** Default `manual` (`emergency` when `emergency` is set). */
  kind?: RotationKind | undefined;
  emergency?: boolean | undefined;
  /** Force the emergency path; default: mint first when the provider mints by API. */
  emergencyPath?: EmergencyPath | undefined;
  graceQuietSeconds?: number | undefined;
  graceMaxSeconds?: number | undefined;
  /** For providers that cannot mint by API. */
  suppliedValue?: SecretValue | undefined;
  actor: string;
  stage?: string | undefined;
}

export interface RotationOutcome {
  rotationId: string;
  credential: string;
  state: RotationStateName;
  hold: HoldInfo | null;
  failure: string | null;
  record: RotationRecord;
  data: RotationData;
}

export type RotationDecision = 'resume' | 'rollback' | 'abort' | 'end-grace';

export interface RotationPlan {
  credential: string;
  provider: string;
  mode: 'standard' | 'emergency';
  emergencyPath: EmergencyPath | null;
  current: { version: number; hint: string; fingerprint: string } | null;
  nextVersion: number;
  steps: string[];
  grace: { quietSeconds: number; maxSeconds: number };
  consumers: Array<{ name: string; sink: string; reload: string | null; diff: string[] }>;
  /** Why the rotation would not start now (empty when it would). */
  problems: string[];
}

export interface RotationExecutor {
  start(request: StartRotationRequest): Promise<RotationOutcome>;
  /** Continue after a crash, a hold, or with the value a person supplied. */
  resume(rotationId: string, options?: { actor?: string; suppliedValue?: SecretValue | undefined }): Promise<RotationOutcome>;
  decide(rotationId: string, decision: Exclude<RotationDecision, 'resume'>, actor: string): Promise<RotationOutcome>;
  /**
   * Ask a rotation that is in grace, possibly running in another process, to end its
   * grace now (journaled; the grace step sees it within seconds). For a held grace use
   * `decide(…, 'end-grace')`.
   */
  request(rotationId: string, request: 'end-grace', options: { actor: string; reason: string }): Promise<void>;
  plan(request: StartRotationRequest): Promise<RotationPlan>;
  /** Does the credential's current key answer at the provider (staged soak, `rotations show`)? */
  checkCurrent(credential: string): Promise<{ version: number | null; liveness: 'live' | 'dead' | 'unknown'; reason?: string | undefined }>;
}

export function createRotationExecutor(rawDeps: RotationDeps): RotationExecutor {
  const deps: ResolvedDeps = resolveDeps(rawDeps);
  const { store, clock } = deps;

  async function credentialNamed(name: string): Promise<Credential> {
    const credential = await store.getCredential(name);
    if (credential === undefined) throw new NotFoundError(`no credential named ${name}`, { hint: 'list them with `rekey credential list`' });
    return credential;
  }

  async function outcomeOf(rotationId: string): Promise<RotationOutcome> {
    const record = await store.getRotation(rotationId);
    if (record === undefined) throw new NotFoundError(`no rotation ${rotationId}`);
    const data = readRotationData(record);
    return {
      rotationId,
      credential: data.credentialName,
      state: record.state,
      hold: data.machine.hold,
      failure: data.machine.failure,
      record,
      data,
    };
  }

  function keyRefOf(version: VersionRecord): ProviderKeyRef {
    return { providerKeyId: version.providerKeyId, providerData: version.providerData, fingerprint: version.fingerprint };
  }

  function kindOf(request: StartRotationRequest): RotationKind {
    return request.kind ?? (request.emergency === true ? 'emergency' : 'manual');
  }

  function emergencyPathFor(request: StartRotationRequest, provider: ProviderV1): EmergencyPath {
    return request.emergencyPath ?? (provider.capabilities.mint === 'api' ? 'mint-first' : 'revoke-first');
  }

  function graceOf(request: StartRotationRequest, credential: Credential) {
    return {
      quietSeconds: request.graceQuietSeconds ?? credential.policy.graceQuietSeconds ?? DEFAULT_GRACE_QUIET_SECONDS,
      maxSeconds: request.graceMaxSeconds ?? credential.policy.graceMaxSeconds ?? DEFAULT_GRACE_MAX_SECONDS,
    };
  }

  /** Why a rotation of this credential cannot start now. */
  async function problemsFor(credential: Credential, kind: RotationKind): Promise<string[]> {
    const problems: string[] = [];
    if (kind === 'drill' && /^prod/i.test(credential.environment)) {
      problems.push(`drills run on non-production credentials; ${credential.name} is ${credential.environment}`);
    }
    for (const rotation of await store.listRotations({ credentialId: credential.id, active: true })) {
      problems.push(`rotation ${rotation.id} is still active (${rotation.state}); continue it with \`rekey rotations resume ${rotation.id}\`, or abort or roll it back first`);
    }
    if ((await store.getVersionByStage(credential.id, 'current')) === undefined) problems.push(`${credential.name} has no current version to rotate`);
    const pending = await store.getVersionByStage(credential.id, 'pending');
    if (pending !== undefined) problems.push(`version ${pending.number} is already pending`);
    const previous = await store.getVersionByStage(credential.id, 'previous');
    if (previous !== undefined) problems.push(`version ${previous.number} is still previous (an unfinished rotation may depend on it)`);
    return problems;
  }

  async function withLease<T>(credential: Credential, waitMs: number, work: (lease: RotationLease) => Promise<T>): Promise<T> {
    const lease = await acquireRotationLease(deps, credential.id, waitMs);
    if (lease === undefined) {
      const held = await store.getLease(`rotation:${credential.id}`);
      throw new ConflictError(`a rotation of ${credential.name} is running in another process`, {
        hint: held === undefined ? 'try again' : `its lock is held by ${held.holder} until ${held.expiresAt.toISOString()}`,
        isRetryable: true,
      });
    }
    try {
      return await work(lease);
    } finally {
      await lease.release();
    }
  }

  async function continueRun(rotationId: string, lease: RotationLease, prepare: (state: RotationState, record: RotationRecord) => Promise<{ state: RotationState; effects: ReturnType<typeof startRotation>['effects']; options: DriveOptions } | undefined>) {
    const record = await store.getRotation(rotationId);
    if (record === undefined) throw new NotFoundError(`no rotation ${rotationId}`);
    const data = readRotationData(record);
    const credential = await store.getCredentialById(record.credentialId);
    if (credential === undefined) throw new NotFoundError(`rotation ${rotationId}: its credential is gone`);
    const provider = await deps.providers.resolve(credential);
    const session = createRotationSession(deps, record, credential, provider, lease);
    const state: RotationState = { name: record.state, context: data.machine };
    const prepared = await prepare(state, record);
    if (prepared === undefined) return;
    if (prepared.state !== state) {
      const ended = isTerminal(prepared.state.name);
      await session.persist({ state: prepared.state.name, data: { ...session.data, machine: prepared.state.context }, error: null, finishedAt: ended ? clock.now() : null });
    }
    await drive(session, prepared.state, prepared.effects, prepared.options);
  }

  async function rotationAndCredential(rotationId: string) {
    const record = await store.getRotation(rotationId);
    if (record === undefined) throw new NotFoundError(`no rotation ${rotationId}`, { hint: 'list them with `rekey rotations list`' });
    const credential = await store.getCredentialById(record.credentialId);
    if (credential === undefined) throw new NotFoundError(`rotation ${rotationId}: its credential is gone`);
    return { record, credential };
  }

  return {
    async start(request) {
      const credential = await credentialNamed(request.credential);
      const kind = kindOf(request);
      const provider = await deps.providers.resolve(credential);
      const rotationId = randomUUID();
      await withLease(credential, 0, async (lease) => {
        const problems = await problemsFor(credential, kind);
        if (problems.length > 0) {
          const policy = problems[0]?.startsWith('drills') === true;
          const message = `cannot rotate ${credential.name}: ${problems.join('; ')}`;
          throw policy ? new UsageError(message) : new ConflictError(message);
        }
        const current = await store.getVersionByStage(credential.id, 'current');
        if (current === undefined) throw new ConflictError(`${credential.name} has no current version`);
        const emergency = kind === 'emergency';
        const emergencyPath = emergency ? emergencyPathFor(request, provider) : undefined;
        const started = startRotation({ mode: emergency ? 'emergency' : 'standard', emergencyPath, oldVersion: current.number });
        const grace = graceOf(request, credential);
        const now = clock.now();
        const data: RotationData = {
          machine: started.state.context,
          options: { graceQuietSeconds: grace.quietSeconds, graceMaxSeconds: grace.maxSeconds, actor: request.actor, stage: request.stage },
          credentialName: credential.name,
          oldKey: keyRefOf(current),
          newKey: null,
          startedAt: now.toISOString(),
          emergencyDeadline: emergencyPath === 'mint-first' ? new Date(now.getTime() + deps.settings.emergencyBudgetMs).toISOString() : undefined,
          timings: {},
        };
        const record = await store.createRotation({
          id: rotationId,
          credentialId: credential.id,
          kind,
          state: started.state.name,
          data: toRecordData(data),
        });
        const session = createRotationSession(deps, record, credential, provider, lease);
        await session.audit('rotation-start', 'ok', current.fingerprint, {
          kind,
          from: current.number,
          ...(emergencyPath === undefined ? {} : { emergencyPath }),
          graceQuietSeconds: grace.quietSeconds,
          graceMaxSeconds: grace.maxSeconds,
          ...(request.stage === undefined ? {} : { stage: request.stage }),
        });
        await drive(session, started.state, started.effects, { suppliedValue: request.suppliedValue });
      });
      return outcomeOf(rotationId);
    },

    async resume(rotationId, options = {}) {
      const { record, credential } = await rotationAndCredential(rotationId);
      if (isTerminal(record.state)) return outcomeOf(rotationId);
      await withLease(credential, deps.settings.leaseWaitMs, (lease) =>
        continueRun(rotationId, lease, async (state, fresh) => {
          if (isTerminal(state.name)) return undefined;
          const actor = options.actor ?? readRotationData(fresh).options.actor;
          if (state.name === 'hold') {
            const next = transition(state, { type: 'resume' });
            await deps.audit.record({ event: 'rotation-resume', actor, credential: credential.name, fingerprint: null, outcome: 'ok', detail: { rotation: rotationId, from: 'hold', to: next.state.name } });
            return { state: next.state, effects: next.effects, options: { restartGrace: true, suppliedValue: options.suppliedValue } };
          }
          if (state.name === 'awaiting-value') {
            if (options.suppliedValue === undefined) return undefined;
            const next = transition(state, { type: 'value-supplied' });
            return { state: next.state, effects: next.effects, options: { suppliedValue: options.suppliedValue } };
          }
          // A worker died mid-run: re-run the state's step, replaying or reconciling per the journal.
          const point = journalResumePoint(state, fresh.revision, await store.listJournal(rotationId));
          await deps.audit.record({ event: 'rotation-resume', actor, credential: credential.name, fingerprint: null, outcome: 'ok', detail: { rotation: rotationId, from: state.name, replay: point.replay !== undefined, reconcile: point.resumed === true } });
          return { state, effects: entryEffects(state), options: { ...point, suppliedValue: options.suppliedValue } };
        }),
      );
      return outcomeOf(rotationId);
    },

    async decide(rotationId, decision, actor) {
      const { record, credential } = await rotationAndCredential(rotationId);
      if (isTerminal(record.state)) {
        throw new ConflictError(`rotation ${rotationId} has ended (${record.state})`);
      }
      await withLease(credential, deps.settings.leaseWaitMs, (lease) =>
        continueRun(rotationId, lease, async (state) => {
          const next = transition(state, { type: decision });
          await deps.audit.record({ event: 'rotation-decision', actor, credential: credential.name, fingerprint: null, outcome: 'ok', detail: { rotation: rotationId, decision, from: state.name, to: next.state.name } });
          return { state: next.state, effects: next.effects, options: {} };
        }),
      );
      return outcomeOf(rotationId);
    },

    async request(rotationId, request, options) {
      const { record, credential } = await rotationAndCredential(rotationId);
      if (record.state !== 'grace') {
        throw new ConflictError(`rotation ${rotationId} is ${record.state}, not in grace`, {
          hint: record.state === 'hold' ? `end a held grace with \`rekey rotations end-grace ${rotationId}\`` : undefined,
        });
      }
      await store.appendJournal({ rotationId, at: clock.now(), step: 'request', phase: 'note', detail: { request, actor: options.actor, reason: options.reason } });
      await deps.audit.record({ event: 'rotation-request', actor: options.actor, credential: credential.name, fingerprint: null, outcome: 'ok', detail: { rotation: rotationId, request, reason: options.reason } });
    },

    async checkCurrent(name) {
      const credential = await credentialNamed(name);
      const current = await store.getVersionByStage(credential.id, 'current');
      if (current === undefined) return { version: null, liveness: 'unknown', reason: 'no current version' };
      const provider = await deps.providers.resolve(credential);
      const value = await deps.vault.reveal(credential, current.number);
      const result = await provider.test({ credential: { name: credential.name, scope: credential.scope, allowedModels: credential.allowedModels }, value, models: [] });
      return { version: current.number, liveness: result.liveness, reason: result.reason };
    },

    async plan(request) {
      const credential = await credentialNamed(request.credential);
      const kind = kindOf(request);
      const provider = await deps.providers.resolve(credential);
      const problems = await problemsFor(credential, kind);
      const current = await store.getVersionByStage(credential.id, 'current');
      const versions = await store.listVersions(credential.id);
      const nextVersion = Math.max(0, ...versions.map((version) => version.number)) + 1;
      const emergency = kind === 'emergency';
      const emergencyPath = emergency ? emergencyPathFor(request, provider) : null;
      const grace = graceOf(request, credential);
      const steps = emergency
        ? emergencyPath === 'revoke-first'
          ? ['lock', 'revoke the leaked key now', 'mint', 'test', 'deliver', 'promote', 'finish']
          : ['lock', 'mint', 'test', 'deliver', 'promote', 'revoke the leaked key (no grace)', 'finish']
        : ['lock', provider.capabilities.mint === 'human' ? 'ask a person for the new key' : 'mint', 'test', 'deliver', 'promote', `grace (quiet ${grace.quietSeconds}s, max ${grace.maxSeconds}s)`, 'revoke', 'finish'];
      const placeholder = new SecretValue('rekey-dry-run-new-key');
      const consumers: RotationPlan['consumers'] = [];
      for (const consumer of await store.listConsumers(credential.id)) {
        try {
          const sink = await deps.sinks.create(consumer);
          const reloadConfig = consumer.reload;
          const reload = reloadConfig === null || reloadConfig['kind'] === undefined ? null : await deps.sinks.reloadAction(consumer.name, reloadConfig);
          // A dry run sends no credential anywhere: remote targets are described, not read.
          if (SINK_REACH[sink.kind] === 'remote') {
            consumers.push({ name: consumer.name, sink: sink.describe(), reload: reload?.describe() ?? null, diff: [`(dry run: ${sink.describe()} not contacted; no credential is sent)`] });
            continue;
          }
          const planned = sink.plan === undefined ? undefined : await sink.plan([{ slot: 'main', value: placeholder }, { slot: { version: nextVersion }, value: placeholder }]);
          consumers.push({ name: consumer.name, sink: sink.describe(), reload: reload?.describe() ?? null, diff: planned?.diff ?? ['(this sink cannot show a diff)'] });
        } catch (error) {
          problems.push(`consumer ${consumer.name}: ${error instanceof Error ? error.message : 'cannot be planned'}`);
        }
      }
      return {
        credential: credential.name,
        provider: provider.kind,
        mode: emergency ? 'emergency' : 'standard',
        emergencyPath,
        current: current === undefined ? null : { version: current.number, hint: current.hint, fingerprint: fingerprintLabel(current.fingerprint) },
        nextVersion,
        steps,
        grace,
        consumers,
        problems,
      };
    },
  };
}
