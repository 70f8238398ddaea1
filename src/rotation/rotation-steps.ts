/**
 * The provider and store steps of a rotation: mint, test, promote, revoke, finish. Each
 * answers with exactly one machine event and is safe to run again after a crash.
 */
import { ProviderError } from '../core/errors.js';
import type { SecretValue } from '../core/secret-value.js';
import { fingerprintsEqual } from '../crypto/fingerprint.js';
import { isNeedsHumanValue } from '../providers/provider-human.js';
import { matchesRedacted, waitUntilDead, waitUntilLive } from '../providers/provider-liveness.js';
import type { MintedKey, MintRequest } from '../providers/provider-spec.js';
import type { ProviderKeyRef } from './rotation-data.js';
import { removeVersionedSlots } from './rotation-delivery.js';
import type { RotationEvent } from './rotation-machine.js';
import { reasonOf } from './rotation-reason.js';
import type { RotationSession } from './rotation-session.js';

const mintedByOf = (session: RotationSession) => `rotation:${session.rotationId}`;

/** How often a "wrong scope" answer is re-checked while the test's time bound lasts. */
const SCOPE_RECHECK_MS = 2_000;

/**
 * After a crash between the mint call and storing its result, the provider may hold a key
 * named after this rotation whose value is lost: revoke it (bounded) before minting again.
 */
async function removeOrphans(session: RotationSession): Promise<void> {
  const { provider } = session;
  if (provider.findMinted === undefined || provider.capabilities.revoke !== 'api') return;
  const seen = new Set<string>();
  for (let round = 0; round < 3; round += 1) {
    const orphan = await provider.findMinted({ credential: session.credentialRef(), rotationId: session.rotationId, signal: session.lease.signal });
    if (orphan === undefined || seen.has(orphan.providerKeyId)) return;
    seen.add(orphan.providerKeyId);
    await provider.revoke({ credential: session.credentialRef(), providerKeyId: orphan.providerKeyId, providerData: orphan.providerData, signal: session.lease.signal });
    await session.audit('key-revoke', 'ok', null, { providerKeyId: orphan.providerKeyId, orphan: true, reason: 'minted without its value being stored' });
    session.note(`revoked key ${orphan.providerKeyId}, minted without its value being stored`);
  }
}

export async function runMint(session: RotationSession, options: { resumed: boolean; suppliedValue?: SecretValue | undefined }): Promise<RotationEvent> {
  const { store, vault } = session.deps;
  const { credential, provider } = session;
  const mintedBy = mintedByOf(session);

  const pending = await store.getVersionByStage(credential.id, 'pending');
  if (pending !== undefined) {
    if (pending.mintedBy !== mintedBy) {
      return { type: 'mint-failed', reason: `version ${pending.number} is already pending (minted by ${pending.mintedBy})` };
    }
    // Stored before a crash: adopt it, recovering the provider-side ids when we lost them.
    let newKey = session.data.newKey ?? { providerKeyId: pending.providerKeyId, providerData: pending.providerData, fingerprint: pending.fingerprint };
    if (Object.keys(newKey.providerData).length === 0 && provider.findMinted !== undefined) {
      const found = await provider.findMinted({ credential: session.credentialRef(), rotationId: session.rotationId }).catch((error: unknown) => {
        session.note(`could not look up the provider ids of pending version ${pending.number}: ${reasonOf(error)}`);
        return undefined;
      });
      if (found !== undefined) newKey = { ...newKey, providerData: found.providerData };
    }
    await session.save({ newKey });
    return { type: 'minted', version: pending.number };
  }

  const human = provider.capabilities.mint === 'human';
  if (human && options.suppliedValue === undefined) return { type: 'value-needed' };
  if (options.suppliedValue !== undefined) {
    const current = await store.getVersionByStage(credential.id, 'current');
    if (current !== undefined && fingerprintsEqual(current.fingerprint, vault.fingerprintOf(options.suppliedValue))) {
      return { type: 'mint-failed', reason: 'the supplied value is the current key; create a new key first' };
    }
  }
  if (options.resumed) await removeOrphans(session);

  let minted: MintedKey;
  try {
    const request: MintRequest = {
      credential: session.credentialRef(),
      rotationId: session.rotationId,
      suppliedValue: options.suppliedValue,
      signal: budgetSignal(session),
      replacing: session.data.oldKey === null ? undefined : { providerKeyId: session.data.oldKey.providerKeyId, providerData: session.data.oldKey.providerData },
    };
    minted = await provider.mint(request);
  } catch (error) {
    if (isNeedsHumanValue(error)) return { type: 'value-needed' };
    await session.audit('key-mint', 'error', null, { reason: reasonOf(error) });
    // The provider may have created the key before the call failed (an answer lost or
    // garbled): revoke whatever carries this rotation's name, so nothing is left orphaned.
    const cleanup = await removeOrphans(session).then(
      () => '',
      (cleanupError: unknown) => orphanCheckNote(error, cleanupError),
    );
    return { type: 'mint-failed', reason: reasonOf(error) + cleanup };
  }

  let version;
  try {
    version = await vault.putVersion({ credential, value: minted.value, stage: 'pending', providerKeyId: minted.providerKeyId, providerData: minted.providerData, mintedBy });
  } catch (error) {
    // Never leave a live key at the provider that the store does not know.
    if (!human) {
      const orphaned = await provider
        .revoke({ credential: session.credentialRef(), providerKeyId: minted.providerKeyId, providerData: minted.providerData })
        .then(() => false, () => true);
      if (orphaned) {
        await session.audit('key-revoke', 'error', null, { providerKeyId: minted.providerKeyId, orphan: true, reason: 'minted, not stored, and the revoke failed' });
        return { type: 'mint-failed', reason: `could not store the new key (${reasonOf(error)}), and could not revoke it: orphan ${minted.providerKeyId ?? '(no id)'} at the provider` };
      }
    }
    return { type: 'mint-failed', reason: `could not store the new key: ${reasonOf(error)}` };
  }
  await session.save({ newKey: { providerKeyId: minted.providerKeyId, providerData: minted.providerData, fingerprint: version.fingerprint } });
  await session.audit('key-mint', 'ok', version.fingerprint, { version: version.number, providerKeyId: minted.providerKeyId, hint: version.hint, human });
  return { type: 'minted', version: version.number };
}

/**
 * What to add to a failed mint's reason when the check for a key it may have created failed
 * too. Nothing when the mint was refused or never reached the provider (no key can exist) or
 * when the check failed the same way (the reason already says it); else the check's reason.
 */
export function orphanCheckNote(mintError: unknown, cleanupError: unknown): string {
  if (mintError instanceof ProviderError && mintError.definitelyNotActedOn) return '';
  if (mintError instanceof ProviderError && cleanupError instanceof ProviderError && mintError.failure !== undefined && mintError.failure === cleanupError.failure) {
    return '; whether it created a key could not be checked for the same reason (`rekey rotations resume` checks again)';
  }
  return `; a key it may have created could not be checked: ${reasonOf(cleanupError)}`;
}

/** Emergency mint-first: stop waiting for the provider when the time budget runs out. */
function budgetSignal(session: RotationSession): AbortSignal {
  const deadline = activeDeadline(session);
  if (deadline === undefined) return session.lease.signal;
  const remaining = Math.max(1, new Date(deadline).getTime() - session.deps.clock.now().getTime());
  return AbortSignal.any([session.lease.signal, AbortSignal.timeout(remaining)]);
}

/** The emergency budget binds only until the leaked key is dead; then there is no hurry. */
export function activeDeadline(session: RotationSession): string | undefined {
  return session.data.machine.oldRevoked ? undefined : session.data.emergencyDeadline;
}

function timeoutWithin(session: RotationSession, limitMs: number): number {
  const deadline = activeDeadline(session);
  if (deadline === undefined) return limitMs;
  return Math.max(0, Math.min(limitMs, new Date(deadline).getTime() - session.deps.clock.now().getTime()));
}

export async function runTest(session: RotationSession, versionNumber: number): Promise<RotationEvent> {
  const { vault, clock, settings } = session.deps;
  const value = await vault.reveal(session.credential, versionNumber);
  const fingerprint = vault.fingerprintOf(value);
  const timeoutMs = timeoutWithin(session, settings.testTimeoutMs);
  const waited = await waitUntilLive({
    provider: session.provider,
    request: { credential: session.credentialRef(), value, signal: session.lease.signal },
    timeoutMs,
    sleep: (milliseconds) => session.sleep(milliseconds),
    now: () => clock.now().getTime(),
  });
  let result = waited.last;
  // A key minted seconds ago may not be listed yet, which reads as "another project":
  // ask again within the same time bound before calling it foreign.
  const testDeadline = clock.now().getTime() + timeoutMs - waited.elapsedMs;
  while (waited.reached && result.scopeMatches === false && clock.now().getTime() + SCOPE_RECHECK_MS <= testDeadline) {
    await session.sleep(SCOPE_RECHECK_MS);
    const again = await session.provider.test({ credential: session.credentialRef(), value, signal: session.lease.signal });
    if (again.liveness === 'live') result = again;
  }
  let failure: string | undefined;
  if (!waited.reached) {
    failure = `not live after ${Math.round(waited.elapsedMs / 1000)}s (${result.liveness}${result.reason === undefined ? '' : `: ${result.reason}`})`;
  } else if (result.scopeMatches === false) {
    failure = 'the key works but belongs to another organisation or project';
  } else {
    const refused = result.models.filter((model) => !model.ok);
    if (refused.length > 0) failure = `model(s) refused: ${refused.map((model) => `${model.model} (HTTP ${model.status ?? '?'})`).join(', ')}`;
  }
  await session.audit('key-test', failure === undefined ? 'ok' : 'error', fingerprint, {
    version: versionNumber,
    attempts: waited.attempts,
    scopeMatches: result.scopeMatches,
    models: result.models.map((model) => ({ model: model.model, ok: model.ok })),
    ...(failure === undefined ? {} : { reason: failure }),
  });
  return failure === undefined ? { type: 'test-passed' } : { type: 'test-failed', reason: failure };
}

export async function runPromote(session: RotationSession, versionNumber: number, expectedCurrent: number): Promise<RotationEvent> {
  const { store } = session.deps;
  const { credential } = session;
  const current = await store.getVersionByStage(credential.id, 'current');
  if (current?.number !== versionNumber) {
    try {
      await store.promote(credential.id, versionNumber, { expectedCurrent });
    } catch (error) {
      await session.audit('version-promote', 'error', null, { version: versionNumber, reason: reasonOf(error) });
      return { type: 'promote-failed', reason: reasonOf(error) };
    }
  }
  const promoted = await store.getVersion(credential.id, versionNumber);
  await session.audit('version-promote', 'ok', promoted?.fingerprint ?? null, { version: versionNumber, previous: expectedCurrent });
  return { type: 'promoted' };
}

/**
 * A version imported by hand has no provider key id, so its usage cannot be watched and
 * it cannot be revoked by id. Find it among the provider's keys by its redacted value;
 * only an unambiguous match counts.
 */
export async function ensureOldKeyRef(session: RotationSession): Promise<ProviderKeyRef | null> {
  const known = session.data.oldKey;
  if (known?.providerKeyId) return known;
  const { provider, credential } = session;
  if (provider.listKeys === undefined || !provider.capabilities.listKeys) return known;
  const versionNumber = session.data.machine.oldVersion;
  const value = (await session.deps.vault.reveal(credential, versionNumber)).reveal();
  let candidates;
  try {
    candidates = await provider.listKeys({ credential: session.credentialRef(), signal: session.lease.signal });
  } catch (error) {
    session.note(`could not list ${provider.kind} keys to identify version ${versionNumber}: ${reasonOf(error)}`);
    return known;
  }
  const matches = candidates.filter((key) => key.redactedValue !== null && matchesRedacted(value, key.redactedValue) === true);
  const [match] = matches;
  if (matches.length !== 1 || match === undefined) {
    session.note(`version ${versionNumber} has no provider key id and ${matches.length === 0 ? 'no' : 'more than one'} provider key matches it`);
    return known;
  }
  const fingerprint = known?.fingerprint ?? session.deps.vault.fingerprintOf(value);
  const identified: ProviderKeyRef = { providerKeyId: match.providerKeyId, providerData: match.providerData, fingerprint };
  await session.save({ oldKey: identified });
  await session.audit('key-identify', 'ok', fingerprint, { version: versionNumber, providerKeyId: match.providerKeyId, by: 'redacted value' });
  return identified;
}

export async function runRevokeOld(session: RotationSession, versionNumber: number, emergency: boolean): Promise<RotationEvent> {
  const { store, vault, clock, settings } = session.deps;
  const { credential, provider } = session;
  const version = await store.getVersion(credential.id, versionNumber);
  if (version === undefined) return { type: 'revoke-failed', reason: `version ${versionNumber} is missing` };
  // Someone may have changed the stages outside this rotation (a manual rollback during the
  // grace): never revoke what is current now, unless this is an emergency about that key.
  const revocable = version.stage === 'previous' || version.stage === 'revoked' || (emergency && version.stage === 'current');
  if (!revocable) {
    await session.audit('key-revoke', 'error', version.fingerprint, { version: versionNumber, reason: `version is ${version.stage}` });
    return { type: 'revoke-failed', reason: `version ${versionNumber} is ${version.stage} now (changed outside this rotation); refusing to revoke it` };
  }
  const value = await vault.reveal(credential, versionNumber);
  const keyRef = (await ensureOldKeyRef(session)) ?? { providerKeyId: version.providerKeyId, providerData: {}, fingerprint: version.fingerprint };
  let alreadyGone = false;
  if (provider.capabilities.revoke === 'api') {
    try {
      const result = await provider.revoke({
        credential: session.credentialRef(),
        providerKeyId: keyRef.providerKeyId ?? version.providerKeyId,
        providerData: keyRef.providerData,
        signal: session.lease.signal,
      });
      alreadyGone = result.alreadyGone;
    } catch (error) {
      await session.audit('key-revoke', 'error', version.fingerprint, { version: versionNumber, reason: reasonOf(error) });
      return { type: 'revoke-failed', reason: reasonOf(error) };
    }
  }
  // Confirm: only an explicit refusal (401/403) counts as dead.
  const dead = await waitUntilDead({
    provider,
    request: { credential: session.credentialRef(), value, models: [], signal: session.lease.signal },
    timeoutMs: provider.capabilities.revoke === 'api' ? settings.revokeConfirmTimeoutMs : 0,
    sleep: (milliseconds) => session.sleep(milliseconds),
    now: () => clock.now().getTime(),
  });
  if (!dead.reached) {
    const reason =
      provider.capabilities.revoke === 'api'
        ? `the old key is still accepted after ${Math.round(dead.elapsedMs / 1000)}s (${dead.last.liveness})`
        : `${provider.kind} keys are revoked by a person: revoke version ${versionNumber} (${version.hint}) in the provider console, then run \`rekey rotations resume ${session.rotationId}\``;
    await session.audit('key-revoke', 'error', version.fingerprint, { version: versionNumber, reason });
    return { type: 'revoke-failed', reason };
  }
  const deadAt = clock.now();
  await session.save({ oldKeyDeadAt: deadAt.toISOString() });
  await session.audit('key-revoke', 'ok', version.fingerprint, {
    version: versionNumber,
    alreadyGone,
    secondsSinceStart: (deadAt.getTime() - new Date(session.data.startedAt).getTime()) / 1000,
  });
  return { type: 'old-revoked' };
}

export async function runFinish(session: RotationSession, oldVersion: number, newVersion: number): Promise<RotationEvent> {
  const { store, clock } = session.deps;
  const { credential } = session;
  const old = await store.getVersion(credential.id, oldVersion);
  try {
    if (old?.stage === 'previous') await store.setVersionStage(credential.id, oldVersion, 'previous', 'revoked');
    else if (old?.stage !== 'revoked') return { type: 'finish-failed', reason: `version ${oldVersion} is ${old?.stage ?? 'missing'}, expected previous` };
  } catch (error) {
    return { type: 'finish-failed', reason: reasonOf(error) };
  }
  // The dead key's versioned slots are clean-up: a failure is reported, not held.
  const problems = await removeVersionedSlots(session, [oldVersion]);
  const current = await store.getVersion(credential.id, newVersion);
  await session.audit('rotation-end', 'ok', current?.fingerprint ?? null, {
    from: oldVersion,
    to: newVersion,
    mode: session.data.machine.mode,
    seconds: (clock.now().getTime() - new Date(session.data.startedAt).getTime()) / 1000,
    ...(problems.length > 0 ? { cleanupProblems: problems } : {}),
  });
  return { type: 'finished' };
}
