/**
 * The store half of `rekey plan`: the difference between what rekey.yaml declares and
 * what the store holds — credentials (metadata), their consumers, and the governance
 * document. Credentials the file does not name are drift, removed only with `prune`.
 * A provider cannot change in place (its versions belong to that provider): an error.
 */
import { ConfigError } from '../core/errors.js';
import type { Consumer, Credential } from '../core/types.js';
import type { Store } from '../store/store.js';
import { GOVERNANCE_SETTING, sameJson, type DesiredState } from './desired-state.js';
import type { FieldChange, PlanChange, PlanDrift } from './plan-model.js';

const METADATA_FIELDS = ['environment', 'scope', 'owner', 'purpose', 'allowedModels', 'tags', 'policy'] as const;

function credentialFields(stored: Credential, desired: DesiredState['credentials'][number]): FieldChange[] {
  return METADATA_FIELDS.filter((field) => !sameJson(stored[field], desired.metadata[field])).map((field) => ({ field, from: stored[field], to: desired.metadata[field] }));
}

function consumerFields(stored: Consumer, desired: DesiredState['credentials'][number]['consumers'][number]): FieldChange[] {
  const fields: FieldChange[] = [];
  if (stored.kind !== desired.kind) fields.push({ field: 'kind', from: stored.kind, to: desired.kind });
  if (!sameJson(stored.config, desired.config)) fields.push({ field: 'config', from: stored.config, to: desired.config });
  if (!sameJson(stored.reload, desired.reload)) fields.push({ field: 'reload', from: stored.reload, to: desired.reload });
  return fields;
}

export async function planStore(
  store: Pick<Store, 'listCredentials' | 'listConsumers' | 'listVersions' | 'getSetting'>,
  desired: DesiredState,
  options: { prune: boolean },
): Promise<{ changes: PlanChange[]; drift: PlanDrift[] }> {
  const changes: PlanChange[] = [];
  const drift: PlanDrift[] = [];
  const stored = new Map((await store.listCredentials()).map((credential) => [credential.name, credential]));
  for (const want of desired.credentials) {
    const have = stored.get(want.name);
    if (have === undefined) {
      changes.push({ kind: 'credential-create', subject: want.name, desired: want });
      continue;
    }
    if (have.provider !== want.metadata.provider) {
      throw new ConfigError(`credential ${want.name} is ${have.provider} in the store but ${want.metadata.provider} in the file; a provider cannot change in place`, { hint: 'give the new credential another name, or remove the old one first' });
    }
    const fields = credentialFields(have, want);
    if (fields.length > 0) changes.push({ kind: 'credential-update', subject: want.name, desired: want, fields });
    const consumers = new Map((await store.listConsumers(have.id)).map((consumer) => [consumer.name, consumer]));
    for (const consumer of want.consumers) {
      const current = consumers.get(consumer.name);
      if (current === undefined) changes.push({ kind: 'consumer-add', subject: `${want.name} ${consumer.name}`, credential: want.name, consumer });
      else {
        const consumerChanges = consumerFields(current, consumer);
        if (consumerChanges.length > 0) changes.push({ kind: 'consumer-replace', subject: `${want.name} ${consumer.name}`, credential: want.name, consumer, fields: consumerChanges });
      }
      consumers.delete(consumer.name);
    }
    for (const extra of consumers.keys()) changes.push({ kind: 'consumer-remove', subject: `${want.name} ${extra}`, credential: want.name, consumer: extra });
  }
  const named = new Set(desired.credentials.map((credential) => credential.name));
  for (const [name, credential] of stored) {
    if (named.has(name)) continue;
    if (options.prune) {
      const live = (await store.listVersions(credential.id)).filter((version) => ['pending', 'current', 'previous'].includes(version.stage)).length;
      changes.push({ kind: 'credential-remove', subject: name, liveVersions: live });
    } else {
      drift.push({ kind: 'unmanaged-credential', subject: name, message: `credential ${name} is in the store but not in the file (apply --prune removes it)` });
    }
  }
  const governance = await store.getSetting(GOVERNANCE_SETTING);
  if (governance !== desired.governanceJson) {
    const before = governance === undefined ? { sections: {}, credentials: {} } : (JSON.parse(governance) as { sections: Record<string, unknown>; credentials: Record<string, unknown> });
    const fields: FieldChange[] = [];
    const sectionNames = new Set([...Object.keys(before.sections), ...Object.keys(desired.governance.sections)]);
    for (const section of [...sectionNames].sort()) {
      const from = before.sections[section];
      const to = (desired.governance.sections as Record<string, unknown>)[section];
      if (!sameJson(from, to)) fields.push({ field: section, from: from ?? null, to: to ?? null });
    }
    if (!sameJson(before.credentials, desired.governance.credentials)) fields.push({ field: 'credential references', from: before.credentials, to: desired.governance.credentials });
    changes.push({ kind: 'governance-update', subject: 'policies', json: desired.governanceJson, fields });
  }
  return { changes, drift };
}
