/**
 * What a rekey.yaml asks the store to hold: each credential's metadata and consumers in the
 * store's own shape (paths made absolute against the main file's directory, durations in
 * seconds, defaults applied), plus the governance document — every section that is not a
 * credential, and per-credential fields the store has no column for (service, valueFrom) —
 * kept as one canonical JSON setting so `rekey export` can write the file back.
 */
import { isAbsolute, resolve } from 'node:path';
import { canonicalJson } from '../audit/audit-chain.js';
import type { CredentialMetadata, CredentialPolicy } from '../core/types.js';
import { durationSeconds, effectiveCadenceDays, environmentOf } from './policy-model.js';
import type { LoadedPolicyFile } from './policy-loader.js';
import type { ConsumerSpec, RekeyFile } from './policy-schema.js';

export const GOVERNANCE_SETTING = 'governance.document';

export interface DesiredConsumer {
  name: string;
  kind: string;
  config: Record<string, unknown>;
  reload: Record<string, unknown> | null;
}

export interface DesiredCredential {
  name: string;
  metadata: CredentialMetadata;
  consumers: DesiredConsumer[];
  valueFrom: string | undefined;
}

export interface GovernanceDocument {
  sections: Omit<RekeyFile, 'credentials' | 'include' | 'defaults' | '$schema' | 'version'>;
  credentials: Record<string, { service?: string; valueFrom?: string }>;
}

export interface DesiredState {
  credentials: DesiredCredential[];
  governance: GovernanceDocument;
  governanceJson: string;
}

const FILE_PATH_KEYS = ['path'];

export function consumerToStore(name: string, spec: ConsumerSpec, baseDirectory: string): DesiredConsumer {
  const config: Record<string, unknown> = { ...spec.config };
  for (const key of FILE_PATH_KEYS) {
    const value = config[key];
    if (typeof value === 'string' && !isAbsolute(value)) config[key] = resolve(baseDirectory, value);
  }
  let reload: Record<string, unknown> | null = spec.reload === undefined ? null : { ...spec.reload };
  if (spec.app !== undefined) reload = { ...(reload ?? {}), app: spec.app };
  if (spec.healthCheck !== undefined) reload = { ...(reload ?? {}), healthCheck: spec.healthCheck };
  return { name, kind: spec.kind, config, reload };
}

function policyToStore(file: RekeyFile, name: string, spec: RekeyFile['credentials'][string]): CredentialPolicy {
  const policy: CredentialPolicy = {};
  const cadence = effectiveCadenceDays(file, name, spec);
  if (cadence !== undefined) policy.rotateEveryDays = cadence;
  if (spec.policy.maxAgeDays !== undefined) policy.maxAgeDays = spec.policy.maxAgeDays;
  const quiet = durationSeconds(spec.policy.graceQuiet);
  const max = durationSeconds(spec.policy.graceMax);
  if (quiet !== undefined) policy.graceQuietSeconds = quiet;
  if (max !== undefined) policy.graceMaxSeconds = max;
  if (spec.policy.onLeak !== undefined) policy.onLeak = spec.policy.onLeak;
  return policy;
}

export function desiredState(loaded: Pick<LoadedPolicyFile, 'file' | 'baseDirectory'>): DesiredState {
  const { file } = loaded;
  const credentials: DesiredCredential[] = [];
  const extras: GovernanceDocument['credentials'] = {};
  for (const [name, spec] of Object.entries(file.credentials).sort(([left], [right]) => left.localeCompare(right))) {
    const metadata: CredentialMetadata = {
      provider: spec.provider,
      scope: spec.scope,
      environment: environmentOf(name, spec),
      owner: spec.owner ?? file.defaults?.owner ?? null,
      purpose: spec.purpose ?? null,
      allowedModels: spec.allowedModels,
      tags: { ...(file.defaults?.tags ?? {}), ...spec.tags },
      policy: policyToStore(file, name, spec),
    };
    const consumers = Object.entries(spec.consumers).sort(([left], [right]) => left.localeCompare(right)).map(([consumerName, consumer]) => consumerToStore(consumerName, consumer, loaded.baseDirectory));
    credentials.push({ name, metadata, consumers, valueFrom: spec.valueFrom });
    const extra: { service?: string; valueFrom?: string } = {};
    if (spec.service !== undefined) extra.service = spec.service;
    if (spec.valueFrom !== undefined) extra.valueFrom = spec.valueFrom;
    if (Object.keys(extra).length > 0) extras[name] = extra;
  }
  const { credentials: _credentials, include: _include, defaults: _defaults, $schema: _schema, version: _version, ...sections } = file;
  const governance: GovernanceDocument = { sections, credentials: extras };
  return { credentials, governance, governanceJson: canonicalJson(governance) };
}

/** Store values compared as canonical JSON, so key order never shows as a change. */
export const sameJson = (left: unknown, right: unknown): boolean => canonicalJson(left ?? null) === canonicalJson(right ?? null);
