/**
 * The credential lifecycle outside rotations: add, set a value by hand, promote, roll back,
 * reveal, remove. Every change writes an audit event that names versions by fingerprint.
 */
import { assertCredentialName } from '../core/credential-name.js';
import { ConflictError, NotFoundError, RekeyError, UsageError } from '../core/errors.js';
import type { SecretValue } from '../core/secret-value.js';
import type { Credential, CredentialPolicy, ProviderKind, VersionRecord } from '../core/types.js';
import type { AuditRecordInput } from '../audit/audit-log.js';
import type { NewCredential, Store } from '../store/store.js';
import type { Vault } from './vault.js';

export interface CredentialServiceDependencies {
  store: Store;
  vault: Vault;
  audit: { record(input: AuditRecordInput): Promise<unknown> };
  actor: string;
}

export async function requireCredential(store: Store, name: string): Promise<Credential> {
  assertCredentialName(name);
  const credential = await store.getCredential(name);
  if (credential === undefined) {
    throw new NotFoundError(`no credential named ${name}`, { hint: 'list them with `rekey credential list`' });
  }
  return credential;
}

/**
 * Hand changes to stages while a rotation runs would break its invariants (a manual
 * rollback during the grace would make the key it is about to revoke current again).
 */
async function assertNoActiveRotation(store: Store, credential: Credential, action: string): Promise<void> {
  const [active] = await store.listRotations({ credentialId: credential.id, active: true, limit: 1 });
  if (active !== undefined) {
    throw new ConflictError(`cannot ${action} ${credential.name}: rotation ${active.id} is in progress (${active.state})`, {
      hint: `let it finish, or use \`rekey rotations rollback|abort ${active.id}\``,
    });
  }
}

export async function addCredential(
  { store, vault, audit, actor }: CredentialServiceDependencies,
  input: NewCredential,
  value?: SecretValue,
  providerKeyId: string | null = null,
): Promise<{ credential: Credential; version?: VersionRecord }> {
  assertCredentialName(input.name);
  const credential = await store.createCredential(input);
  await audit.record({ event: 'credential-add', actor, credential: credential.name, fingerprint: null, outcome: 'ok', detail: { provider: credential.provider, environment: credential.environment } });
  if (value === undefined) return { credential };
  try {
    const version = await vault.putVersion({ credential, value, stage: 'current', providerKeyId, mintedBy: actor });
    await audit.record({ event: 'version-add', actor, credential: credential.name, fingerprint: version.fingerprint, outcome: 'ok', detail: { version: version.number, stage: version.stage } });
    return { credential, version };
  } catch (error) {
    // Adding a credential with a value is one operation for the user: undo the half.
    await store.removeCredential(credential.name);
    await audit.record({ event: 'credential-remove', actor, credential: credential.name, fingerprint: null, outcome: 'ok', detail: { reason: 'value could not be stored' } });
    throw error;
  }
}

export async function setCredentialValue(
  { store, vault, audit, actor }: CredentialServiceDependencies,
  name: string,
  value: SecretValue,
  requestedStage?: 'pending' | 'current',
  providerKeyId: string | null = null,
): Promise<VersionRecord> {
  const credential = await requireCredential(store, name);
  await assertNoActiveRotation(store, credential, 'set a value of');
  const fingerprint = vault.fingerprintOf(value);
  const versions = await store.listVersions(credential.id);
  const same = versions.find((version) => version.fingerprint === fingerprint && version.stage !== 'revoked' && version.stage !== 'discarded');
  if (same !== undefined) {
    throw new UsageError(`that value is already version ${same.number} (${same.stage}) of ${name}`);
  }
  const hasCurrent = versions.some((version) => version.stage === 'current');
  const stage = requestedStage ?? (hasCurrent ? 'pending' : 'current');
  if (stage === 'current' && hasCurrent) {
    throw new ConflictError(`${name} already has a current version`, { hint: 'add it as pending, then `rekey credential promote`' });
  }
  const pending = versions.find((version) => version.stage === 'pending');
  if (stage === 'pending' && pending !== undefined) {
    throw new ConflictError(`${name} already has a pending version (${pending.number})`, { hint: 'promote it first, or finish/abort the rotation that made it' });
  }
  const version = await vault.putVersion({ credential, value, stage, providerKeyId, mintedBy: actor });
  await audit.record({ event: 'version-add', actor, credential: name, fingerprint: version.fingerprint, outcome: 'ok', detail: { version: version.number, stage } });
  return version;
}

export async function promoteCredential(
  { store, audit, actor }: Omit<CredentialServiceDependencies, 'vault'>,
  name: string,
  options: { version?: number | undefined; previousRevoked?: boolean | undefined },
): Promise<{ promoted: VersionRecord; demoted: VersionRecord | undefined }> {
  const credential = await requireCredential(store, name);
  await assertNoActiveRotation(store, credential, 'promote');
  const pending = options.version === undefined
    ? await store.getVersionByStage(credential.id, 'pending')
    : await store.getVersion(credential.id, options.version);
  if (pending === undefined) {
    throw new NotFoundError(options.version === undefined ? `${name} has no pending version to promote` : `${name} has no version ${options.version}`);
  }
  if (pending.stage !== 'pending') throw new ConflictError(`version ${pending.number} of ${name} is ${pending.stage}, not pending`);
  const current = await store.getVersionByStage(credential.id, 'current');
  await store.promote(credential.id, pending.number, {
    expectedCurrent: current?.number ?? null,
    existingPrevious: options.previousRevoked === true ? 'revoked' : 'refuse',
  });
  await audit.record({
    event: 'version-promote', actor, credential: name, fingerprint: pending.fingerprint, outcome: 'ok',
    detail: { version: pending.number, previous: current?.number ?? null },
  });
  return { promoted: pending, demoted: current };
}

export async function rollbackCredential(
  { store, audit, actor }: Omit<CredentialServiceDependencies, 'vault'>,
  name: string,
): Promise<{ current: number; discarded: number }> {
  const credential = await requireCredential(store, name);
  await assertNoActiveRotation(store, credential, 'roll back');
  const current = await store.getVersionByStage(credential.id, 'current');
  const previous = await store.getVersionByStage(credential.id, 'previous');
  if (current === undefined || previous === undefined) {
    throw new ConflictError(`${name} has no previous version to roll back to`);
  }
  const now = await store.rollback(credential.id, { expectedCurrent: current.number });
  await audit.record({
    event: 'version-rollback', actor, credential: name, fingerprint: previous.fingerprint, outcome: 'ok',
    detail: { current: now, discarded: current.number },
  });
  return { current: now, discarded: current.number };
}

export async function revealCredential(
  { store, vault, audit, actor }: CredentialServiceDependencies,
  name: string,
  versionNumber?: number,
): Promise<{ version: VersionRecord; value: SecretValue }> {
  const credential = await requireCredential(store, name);
  const version = versionNumber === undefined
    ? await store.getVersionByStage(credential.id, 'current')
    : await store.getVersion(credential.id, versionNumber);
  if (version === undefined) {
    throw new NotFoundError(versionNumber === undefined ? `${name} has no current version` : `${name} has no version ${versionNumber}`);
  }
  try {
    const value = await vault.reveal(credential, version.number);
    await audit.record({ event: 'credential-reveal', actor, credential: name, fingerprint: version.fingerprint, outcome: 'ok', detail: { version: version.number } });
    return { version, value };
  } catch (error) {
    // Only our own typed errors have messages known to be value-free.
    const reason = error instanceof RekeyError ? error.message : 'unexpected error';
    await audit.record({ event: 'credential-reveal', actor, credential: name, fingerprint: version.fingerprint, outcome: 'error', detail: { version: version.number, error: reason } });
    throw error;
  }
}

export async function removeCredential(
  { store, audit, actor }: Omit<CredentialServiceDependencies, 'vault'>,
  name: string,
): Promise<{ liveVersions: number }> {
  const credential = await requireCredential(store, name);
  await assertNoActiveRotation(store, credential, 'remove');
  const versions = await store.listVersions(credential.id);
  const live = versions.filter((version) => version.stage === 'current' || version.stage === 'previous' || version.stage === 'pending');
  await store.removeCredential(name);
  await audit.record({ event: 'credential-remove', actor, credential: name, fingerprint: null, outcome: 'ok', detail: { versions: versions.length, liveVersions: live.length } });
  return { liveVersions: live.length };
}

/** What `credential edit` may change. Scope and policy are merged; the rest replaced. */
export interface CredentialEdit {
  setScope?: Record<string, string>;
  unsetScope?: string[];
  owner?: string | null;
  purpose?: string | null;
  allowedModels?: string[];
  policy?: CredentialPolicy;
  unsetPolicy?: Array<keyof CredentialPolicy>;
}

/**
 * Mend a credential in place (scope, owner, purpose, allowed models, policy, and the provider
 * key id of one version), audited as `credential-edit` with the changed fields and their new,
 * value-free settings. `checkScope` refuses a scope the provider cannot work with.
 */
export async function editCredential(
  { store, audit, actor }: Omit<CredentialServiceDependencies, 'vault'>,
  name: string,
  edit: CredentialEdit,
  options: { providerKeyId?: string | undefined; version?: number | undefined; checkScope?: ((provider: ProviderKind, scope: Record<string, string>) => string[]) | undefined } = {},
): Promise<{ credential: Credential; changed: string[] }> {
  const credential = await requireCredential(store, name);
  const patch: Partial<Pick<Credential, 'scope' | 'owner' | 'purpose' | 'allowedModels' | 'policy'>> = {};
  const changed: string[] = [];
  const detail: Record<string, unknown> = {};
  const same = (left: unknown, right: unknown) => JSON.stringify(left) === JSON.stringify(right);

  if (Object.keys(edit.setScope ?? {}).length > 0 || (edit.unsetScope ?? []).length > 0) {
    const scope = { ...credential.scope, ...edit.setScope };
    for (const key of edit.unsetScope ?? []) {
      if (!(key in scope)) throw new UsageError(`${name} has no scope entry "${key}"`);
      delete scope[key];
    }
    const problems = options.checkScope?.(credential.provider, scope) ?? [];
    if (problems.length > 0) throw new UsageError(problems.join('; '), { hint: '--force accepts it anyway' });
    if (!same(scope, credential.scope)) {
      patch.scope = scope;
      changed.push('scope');
      detail['scope'] = scope;
    }
  }
  for (const field of ['owner', 'purpose'] as const) {
    const value = edit[field];
    if (value !== undefined && value !== credential[field]) {
      patch[field] = value;
      changed.push(field);
      detail[field] = value;
    }
  }
  if (edit.allowedModels !== undefined && !same(edit.allowedModels, credential.allowedModels)) {
    patch.allowedModels = edit.allowedModels;
    changed.push('allowed models');
    detail['allowedModels'] = edit.allowedModels;
  }
  if (Object.keys(edit.policy ?? {}).length > 0 || (edit.unsetPolicy ?? []).length > 0) {
    const policy: CredentialPolicy = { ...credential.policy, ...edit.policy };
    for (const field of edit.unsetPolicy ?? []) delete policy[field];
    if (!same(policy, credential.policy)) {
      patch.policy = policy;
      changed.push('policy');
      detail['policy'] = policy;
    }
  }

  let version: VersionRecord | undefined;
  if (options.providerKeyId !== undefined) {
    version = options.version === undefined ? await store.getVersionByStage(credential.id, 'current') : await store.getVersion(credential.id, options.version);
    if (version === undefined) throw new NotFoundError(options.version === undefined ? `${name} has no current version to set a provider key id on` : `${name} has no version ${options.version}`);
    if (version.providerKeyId !== options.providerKeyId) {
      await store.setVersionProviderKeyId(credential.id, version.number, options.providerKeyId);
      changed.push('provider key id');
      detail['providerKeyId'] = { version: version.number, from: version.providerKeyId, to: options.providerKeyId };
    }
  }
  const updated = Object.keys(patch).length > 0 ? await store.updateCredential(name, patch) : credential;
  if (changed.length > 0) {
    await audit.record({ event: 'credential-edit', actor, credential: name, fingerprint: version?.fingerprint ?? null, outcome: 'ok', detail: { changed, ...detail } });
  }
  return { credential: updated, changed };
}
