/**
 * The grace step: poll every usage source for the old key and let `decideGrace` say when
 * it is quiet (end), or past the maximum grace still used (hold). Sleeps through the
 * injected clock, so tests with a manual clock run it instantly.
 */
import { decideGrace, forgottenConsumers, holderLabel, type UsageObservation, type UsageSourceFailure } from './grace.js';
import type { RotationEvent } from './rotation-machine.js';
import { reasonOf } from './rotation-reason.js';
import { ensureOldKeyRef } from './rotation-steps.js';
import type { RotationSession } from './rotation-session.js';

/** Provider `last_used_at` comes in whole seconds. */
const PROVIDER_RESOLUTION_SECONDS = 1;

async function observe(
  session: RotationSession,
  versionNumber: number,
  fingerprint: string,
  graceStartedAt: Date,
): Promise<{ observations: UsageObservation[]; failures: UsageSourceFailure[] }> {
  const { clock, usageSources = [] } = session.deps;
  const { provider } = session;
  const now = clock.now();
  const since = new Date(Math.max(graceStartedAt.getTime(), now.getTime() - session.data.options.graceQuietSeconds * 1000));
  const observations: UsageObservation[] = [];
  const failures: UsageSourceFailure[] = [];
  const keyRef = session.data.oldKey;
  const source = `provider:${provider.kind}`;
  if (provider.usage !== undefined && provider.capabilities.usage && !keyRef?.providerKeyId) {
    // The provider could tell us, but we cannot name the key: unknown, not quiet.
    failures.push({ source, reason: 'the old key is not identified at the provider' });
  } else if (provider.usage !== undefined && provider.capabilities.usage && keyRef?.providerKeyId) {
    try {
      const usage = await provider.usage({
        credential: session.credentialRef(),
        providerKeyId: keyRef.providerKeyId,
        providerData: keyRef.providerData,
        since,
        until: now,
        signal: session.lease.signal,
      });
      observations.push({
        source,
        lastUsedAt: usage.lastUsedAt,
        requests: usage.requests,
        countedSince: since,
        observedAt: now,
        resolutionSeconds: PROVIDER_RESOLUTION_SECONDS,
      });
    } catch (error) {
      failures.push({ source, reason: reasonOf(error) });
    }
  }
  for (const usageSource of usageSources) {
    try {
      observations.push(...(await usageSource.observe({ credential: session.credential, version: versionNumber, fingerprint, since })));
    } catch (error) {
      failures.push({ source: usageSource.name, reason: reasonOf(error) });
    }
  }
  return { observations, failures };
}

/** Check between polls for an early end requested from outside (a person, a leak of the old key). */
const REQUEST_CHECK_MS = 2_000;

/** A request to end this grace, journaled by `executor.request` after the grace began. */
async function endRequested(session: RotationSession, since: Date): Promise<string | undefined> {
  const journal = await session.deps.store.listJournal(session.rotationId);
  const request = journal.find((entry) => entry.step === 'request' && entry.phase === 'note' && entry.detail['request'] === 'end-grace' && entry.at >= since);
  if (request === undefined) return undefined;
  return `${String(request.detail['actor'] ?? 'someone')} asked to end the grace: ${String(request.detail['reason'] ?? 'no reason given')}`;
}

export async function runWatchGrace(session: RotationSession, versionNumber: number, options: { restart: boolean }): Promise<RotationEvent> {
  const { store, clock, settings } = session.deps;
  const quietSeconds = session.data.options.graceQuietSeconds;
  const maxSeconds = session.data.options.graceMaxSeconds;
  if (session.data.graceStartedAt === undefined || options.restart) {
    await session.save({ graceStartedAt: clock.now().toISOString() });
  }
  const graceStartedAt = new Date(session.data.graceStartedAt ?? clock.now().toISOString());
  await ensureOldKeyRef(session);
  const version = await store.getVersion(session.credential.id, versionNumber);
  const fingerprint = version?.fingerprint ?? '';
  const pollMs = Math.min(settings.gracePollMaxMs, Math.max(settings.gracePollMinMs, (quietSeconds * 1000) / 4));
  const drill = (await store.getRotation(session.rotationId))?.kind === 'drill';
  const consumerNames = drill ? (await store.listConsumers(session.credential.id)).map((consumer) => consumer.name) : [];
  const history: UsageObservation[] = [];
  let lastWait = '';

  for (;;) {
    await session.lease.renew();
    const requested = await endRequested(session, graceStartedAt);
    if (requested !== undefined) {
      await session.save({ grace: { action: 'end', reason: requested, at: clock.now().toISOString() } });
      await session.audit('grace-end', 'ok', fingerprint, { version: versionNumber, reason: requested, evidence: 'request' });
      return { type: 'grace-ended' };
    }
    const { observations, failures } = await observe(session, versionNumber, fingerprint, graceStartedAt);
    history.push(...observations);
    const now = clock.now();
    const decision = decideGrace({ now, graceStartedAt, quietSeconds, maxSeconds, observations: history, failures });
    const forgotten = drill ? forgottenConsumers(history, graceStartedAt, consumerNames) : undefined;

    if (decision.action === 'end') {
      await session.save({ grace: { action: 'end', reason: decision.reason, at: now.toISOString() }, ...(forgotten ? { forgottenConsumers: forgotten } : {}) });
      await session.audit('grace-end', 'ok', fingerprint, { version: versionNumber, reason: decision.reason, evidence: decision.evidence });
      return { type: 'grace-ended' };
    }
    if (decision.action === 'hold') {
      const holders = [...decision.holders.map(holderLabel), ...decision.failures.map((failure) => `${failure.source} (unreadable)`)];
      await session.save({ grace: { action: 'hold', reason: decision.reason, at: now.toISOString() }, ...(forgotten ? { forgottenConsumers: forgotten } : {}) });
      await session.audit('grace-hold', 'error', fingerprint, { version: versionNumber, reason: decision.reason, holders });
      return { type: 'grace-held', reason: decision.reason, holders };
    }
    // One line per change of what it waits for, not one per poll.
    if (decision.waitingFor !== lastWait) {
      session.progress('grace', 'wait', decision.reason, decision.endsAt);
      lastWait = decision.waitingFor;
    }
    for (let waited = 0; waited < pollMs; waited += REQUEST_CHECK_MS) {
      await session.sleep(Math.min(REQUEST_CHECK_MS, pollMs - waited));
      if (waited + REQUEST_CHECK_MS < pollMs && (await endRequested(session, graceStartedAt)) !== undefined) break;
    }
  }
}
