/**
 * `rekey export`: today's store as a rekey.yaml, so an existing install can move to code.
 * Deterministic (sorted names, canonical field order, defaults omitted), so export →
 * apply on an empty store → export gives the same file. Never a value: a credential's
 * value appears only as the reference it was applied from (valueFrom), when there was one.
 */
import { stringify } from 'yaml';
import type { Consumer, Credential } from '../core/types.js';
import type { Store } from '../store/store.js';
import { GOVERNANCE_SETTING, type GovernanceDocument } from './desired-state.js';
import { REKEY_FILE_VERSION } from './policy-schema.js';

function durationText(seconds: number): string {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

function policyOf(credential: Credential): Record<string, unknown> | undefined {
  const { policy } = credential;
  const out: Record<string, unknown> = {};
  if (policy.rotateEveryDays !== undefined) out['rotateEveryDays'] = policy.rotateEveryDays;
  if (policy.maxAgeDays !== undefined) out['maxAgeDays'] = policy.maxAgeDays;
  if (policy.graceQuietSeconds !== undefined) out['graceQuiet'] = durationText(policy.graceQuietSeconds);
  if (policy.graceMaxSeconds !== undefined) out['graceMax'] = durationText(policy.graceMaxSeconds);
  if (policy.onLeak !== undefined) out['onLeak'] = policy.onLeak;
  return Object.keys(out).length === 0 ? undefined : out;
}

function consumerOf(consumer: Consumer): Record<string, unknown> {
  const out: Record<string, unknown> = { kind: consumer.kind };
  const { app, healthCheck, ...reload } = consumer.reload ?? {};
  if (typeof app === 'string') out['app'] = app;
  if (Object.keys(consumer.config).length > 0) out['config'] = consumer.config;
  if (Object.keys(reload).length > 0) out['reload'] = reload;
  if (healthCheck !== undefined) out['healthCheck'] = healthCheck;
  return out;
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([left], [right]) => left.localeCompare(right)));
}

export async function exportPolicyFile(store: Pick<Store, 'listCredentials' | 'listConsumers' | 'getSetting'>): Promise<string> {
  const stored = await store.getSetting(GOVERNANCE_SETTING);
  const governance: GovernanceDocument = stored === undefined ? { sections: {} as GovernanceDocument['sections'], credentials: {} } : (JSON.parse(stored) as GovernanceDocument);
  const credentials: Record<string, Record<string, unknown>> = {};
  for (const credential of (await store.listCredentials()).sort((left, right) => left.name.localeCompare(right.name))) {
    const out: Record<string, unknown> = { provider: credential.provider };
    if (credential.environment !== credential.name.split('/').at(-1)) out['environment'] = credential.environment;
    const extra = governance.credentials[credential.name];
    if (extra?.service !== undefined) out['service'] = extra.service;
    if (Object.keys(credential.scope).length > 0) out['scope'] = sortKeys(credential.scope);
    if (credential.owner !== null) out['owner'] = credential.owner;
    if (credential.purpose !== null) out['purpose'] = credential.purpose;
    if (credential.allowedModels.length > 0) out['allowedModels'] = credential.allowedModels;
    if (Object.keys(credential.tags).length > 0) out['tags'] = sortKeys(credential.tags);
    const policy = policyOf(credential);
    if (policy !== undefined) out['policy'] = policy;
    if (extra?.valueFrom !== undefined) out['valueFrom'] = extra.valueFrom;
    const consumers = (await store.listConsumers(credential.id)).sort((left, right) => left.name.localeCompare(right.name));
    if (consumers.length > 0) out['consumers'] = Object.fromEntries(consumers.map((consumer) => [consumer.name, consumerOf(consumer)]));
    credentials[credential.name] = out;
  }
  const sections = governance.sections as Record<string, unknown>;
  const document: Record<string, unknown> = { version: REKEY_FILE_VERSION };
  for (const section of ['providers', 'schedules', 'policies', 'notifications', 'roles', 'bindings']) {
    if (sections[section] !== undefined) document[section] = sections[section];
  }
  document['credentials'] = credentials;
  const header =
    "# Written by `rekey export`: the store as code. Values are never exported, only the references they were applied from.\n# Editor completion: rekey schema > rekey.schema.json\n# yaml-language-server: $schema=./rekey.schema.json\n";
  return header + stringify(document, { lineWidth: 0, sortMapEntries: false });
}
