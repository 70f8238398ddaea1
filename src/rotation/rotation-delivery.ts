/**
 * Delivery to consumers: write the main and versioned slots, read both back and compare
 * fingerprints, then run the consumer's reload action once. Also the rollback step, which
 * is a delivery of the old version followed by revoking the new key.
 */
import { isRekeyError } from '../core/errors.js';
import { fingerprintsEqual } from '../crypto/fingerprint.js';
import type { Sink, SinkSlot } from '../sinks/sink-spec.js';
import { planReloads, runReloads } from '../sinks/reload-plan.js';
import type { DeliveryRecord } from './rotation-data.js';
import type { RotationEvent } from './rotation-machine.js';
import type { RotationSession } from './rotation-session.js';
import { reasonOf } from './rotation-reason.js';

interface DeliveryFailure {
  consumer: string;
  reason: string;
}

async function withRetries<T>(session: RotationSession, work: () => Promise<T>): Promise<T> {
  const attempts = Math.max(1, session.deps.settings.sinkAttempts);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isRekeyError(error) || !error.isRetryable) throw error;
      await session.sleep(Math.min(8000, 500 * 2 ** (attempt - 1)));
    }
  }
}

async function verify(sink: Sink, slot: SinkSlot, expected: string): Promise<'match' | 'unverifiable'> {
  if (sink.readFingerprint === undefined) return 'unverifiable';
  const read = await sink.readFingerprint(slot);
  if (read.state !== 'present') throw new Error(`read back nothing in slot ${slot === 'main' ? 'main' : `v${slot.version}`}`);
  if (!fingerprintsEqual(read.fingerprint, expected)) {
    throw new Error(`read back a different key in slot ${slot === 'main' ? 'main' : `v${slot.version}`}`);
  }
  return 'match';
}

export interface DeliverOptions {
  /** Versioned slots to remove in the same pass (rollback removes the discarded version). */
  removeVersions?: number[] | undefined;
  /**
   * Rollback: touch only consumers that hold this version (main or versioned slot), or
   * whose contents cannot be read; a consumer the new key never reached has nothing to undo.
   */
  onlyWhereHolding?: { version: number; fingerprint: string } | undefined;
}

async function holdsVersion(sink: Sink, target: { version: number; fingerprint: string }): Promise<boolean> {
  if (sink.readFingerprint === undefined) return true;
  try {
    const main = await sink.readFingerprint('main');
    if (main.state === 'present' && fingerprintsEqual(main.fingerprint, target.fingerprint)) return true;
    return (await sink.readFingerprint({ version: target.version })).state === 'present';
  } catch {
    return true;
  }
}

/**
 * Deliver one stored version to every consumer: write both slots, read both back. Then
 * reload each app once, and only if every consumer feeding it holds the new key.
 */
export async function deliverVersion(
  session: RotationSession,
  versionNumber: number,
  options: DeliverOptions = {},
): Promise<{ deliveries: DeliveryRecord[]; failures: DeliveryFailure[] }> {
  const { store, vault, sinks } = session.deps;
  const { credential } = session;
  const version = await store.getVersion(credential.id, versionNumber);
  if (version === undefined) return { deliveries: [], failures: [{ consumer: '(all)', reason: `version ${versionNumber} is missing` }] };
  const value = await vault.reveal(credential, versionNumber);
  const consumers = await store.listConsumers(credential.id);
  const deliveries: DeliveryRecord[] = [];
  const failures: DeliveryFailure[] = [];

  for (const consumer of consumers) {
    let label = `${consumer.kind} ${consumer.name}`;
    try {
      const sink = await sinks.create(consumer);
      label = sink.describe();
      if (options.onlyWhereHolding !== undefined && !(await holdsVersion(sink, options.onlyWhereHolding))) continue;
      session.progress('deliver', 'note', `writing ${label}`);
      const verified = await withRetries(session, async () => {
        await sink.write('main', value);
        await sink.write({ version: versionNumber }, value);
        for (const removed of options.removeVersions ?? []) await sink.remove({ version: removed });
        const main = await verify(sink, 'main', version.fingerprint);
        await verify(sink, { version: versionNumber }, version.fingerprint);
        return main;
      });
      deliveries.push({ consumer: consumer.name, sink: label, verified, reloaded: false });
      await session.audit('sink-write', 'ok', version.fingerprint, { version: versionNumber, consumer: consumer.name, sink: label, verified });
    } catch (error) {
      const reason = error instanceof Error && !isRekeyError(error) && error.message.startsWith('read back') ? error.message : reasonOf(error);
      failures.push({ consumer: consumer.name, reason });
      await session.audit('sink-write-error', 'error', version.fingerprint, { version: versionNumber, consumer: consumer.name, sink: label, reason });
    }
  }

  const delivered = new Set(deliveries.map((delivery) => delivery.consumer));
  const groups = planReloads(consumers);
  if (groups.length > 0) session.progress('deliver', 'note', `reloading ${groups.map((group) => group.app).join(', ')}`);
  const outcomes = await runReloads(groups, {
    delivered: (name) => delivered.has(name),
    createReload: (name, reload) => sinks.reloadAction(name, reload),
    request: { credential: credential.name, version: versionNumber, fingerprint: version.fingerprint, value, signal: session.lease.signal },
  });
  for (const outcome of outcomes) {
    const group = groups.find((candidate) => candidate.app === outcome.app);
    if (outcome.status === 'reloaded') {
      for (const delivery of deliveries) if (group?.consumers.includes(delivery.consumer)) delivery.reloaded = true;
      await session.audit('app-reload', 'ok', version.fingerprint, { version: versionNumber, app: outcome.app, actions: outcome.actions });
    } else if (outcome.status === 'failed') {
      failures.push({ consumer: `app ${outcome.app}`, reason: `reload ${outcome.action} failed: ${outcome.reason}` });
      await session.audit('app-reload', 'error', version.fingerprint, { version: versionNumber, app: outcome.app, action: outcome.action, reason: outcome.reason });
    }
    // `held`: a consumer of the app was not delivered; that failure is already listed.
  }
  return { deliveries, failures };
}

/** Remove versioned slots from every consumer; returns value-free problems (not fatal). */
export async function removeVersionedSlots(session: RotationSession, versions: number[]): Promise<string[]> {
  const problems: string[] = [];
  for (const consumer of await session.deps.store.listConsumers(session.credential.id)) {
    try {
      const sink = await session.deps.sinks.create(consumer);
      for (const version of versions) await withRetries(session, () => sink.remove({ version }));
    } catch (error) {
      problems.push(`${consumer.name}: ${reasonOf(error)}`);
      await session.audit('sink-remove-error', 'error', null, { consumer: consumer.name, versions, reason: reasonOf(error) });
    }
  }
  return problems;
}

function summarize(failures: DeliveryFailure[]): string {
  const first = failures[0];
  if (first === undefined) return '';
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
  return `${first.consumer}: ${first.reason}${more}`;
}

export async function runDeliver(session: RotationSession, versionNumber: number): Promise<RotationEvent> {
  const deadline = session.data.machine.oldRevoked ? undefined : session.data.emergencyDeadline;
  if (deadline !== undefined && session.deps.clock.now() > new Date(deadline)) {
    return { type: 'deliver-failed', reason: 'the emergency time budget ran out before delivery', sinks: [] };
  }
  const { deliveries, failures } = await deliverVersion(session, versionNumber);
  await session.save({ deliveries });
  if (deliveries.length === 0 && failures.length === 0) {
    session.note('no consumers: the new key is only in the vault (pull it with the SDK or the proxy)');
  }
  if (failures.length > 0) return { type: 'deliver-failed', reason: summarize(failures), sinks: failures.map((failure) => failure.consumer) };
  return { type: 'delivered' };
}

/**
 * Roll back: before promote, discard the pending version; after promote, move `current`
 * back. Then put the old value back in every sink, and only then revoke the new key.
 */
export async function runRollback(session: RotationSession, oldVersion: number, newVersion: number | null): Promise<RotationEvent> {
  const { store } = session.deps;
  const { credential, provider } = session;
  try {
    if (newVersion === null) {
      // Nothing stored; a mint may still have happened before a crash.
      if (provider.findMinted !== undefined && provider.capabilities.revoke === 'api') {
        const orphan = await provider.findMinted({ credential: session.credentialRef(), rotationId: session.rotationId });
        if (orphan !== undefined) {
          await provider.revoke({ credential: session.credentialRef(), providerKeyId: orphan.providerKeyId, providerData: orphan.providerData });
          await session.audit('key-revoke', 'ok', null, { providerKeyId: orphan.providerKeyId, orphan: true });
        }
      }
      await session.audit('rotation-rollback', 'ok', null, { from: null, to: oldVersion });
      return { type: 'rolled-back' };
    }
    const current = await store.getVersionByStage(credential.id, 'current');
    const discarded = await store.getVersion(credential.id, newVersion);
    if (current?.number === newVersion) await store.rollback(credential.id, { expectedCurrent: newVersion });
    else if (discarded?.stage === 'pending') await store.setVersionStage(credential.id, newVersion, 'pending', 'discarded');

    // Sinks are touched only if delivery ever began (it may have been cut short by a crash).
    const journal = await store.listJournal(session.rotationId);
    if (journal.some((entry) => entry.step === 'deliver') && discarded !== undefined) {
      const { failures } = await deliverVersion(session, oldVersion, {
        removeVersions: [newVersion],
        onlyWhereHolding: { version: newVersion, fingerprint: discarded.fingerprint },
      });
      if (failures.length > 0) return { type: 'rollback-failed', reason: `could not put the old key back: ${summarize(failures)}` };
    }

    if (provider.capabilities.revoke === 'api') {
      const keyRef = session.data.newKey;
      await provider.revoke({
        credential: session.credentialRef(),
        providerKeyId: keyRef?.providerKeyId ?? discarded?.providerKeyId ?? null,
        providerData: keyRef?.providerData ?? {},
        signal: session.lease.signal,
      });
      await session.audit('key-revoke', 'ok', discarded?.fingerprint ?? null, { version: newVersion, discarded: true });
    } else {
      session.note(`revoke the discarded key (version ${newVersion}, ${discarded?.hint ?? 'unknown'}) in the ${provider.kind} console`);
    }
    await session.audit('rotation-rollback', 'ok', discarded?.fingerprint ?? null, { from: newVersion, to: oldVersion });
    return { type: 'rolled-back' };
  } catch (error) {
    await session.audit('rotation-rollback', 'error', null, { reason: reasonOf(error) });
    return { type: 'rollback-failed', reason: reasonOf(error) };
  }
}
