/**
 * `rekey apply`: carries out a plan. Everything that can fail without changing anything
 * is done first — value references resolved, consumer configs validated — so a bad
 * reference or sink option leaves the store as it was. Then store changes, the governance
 * document, and provider settings, each audited (`credential-add`, `credential-update`,
 * `consumer-add`, `consumer-remove`, `credential-remove`, `provider-settings-update`,
 * `governance-apply`). Applying the same file twice changes nothing the second time.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, NotFoundError } from '../core/errors.js';
import { SecretValue } from '../core/secret-value.js';
import type { AuditRecordInput } from '../audit/audit-log.js';
import type { Store } from '../store/store.js';
import type { OpenAIProjectSettingsClient } from '../providers/openai/openai-project-settings.js';
import { addCredential } from '../vault/credential-service.js';
import type { Vault } from '../vault/vault.js';
import { GOVERNANCE_SETTING, type DesiredConsumer } from './desired-state.js';
import type { Plan, PlanChange } from './plan-model.js';

export interface ApplyDependencies {
  store: Store;
  vault: Vault;
  audit: { record(input: AuditRecordInput): Promise<unknown> };
  actor: string;
  fingerprintSalt: Buffer;
  environment: Readonly<Record<string, string | undefined>>;
  /** Needed only when the plan has provider changes. */
  openai?: OpenAIProjectSettingsClient | undefined;
}

export interface ApplyResult {
  applied: number;
  byKind: Record<string, number>;
}

const MAX_VALUE_BYTES = 64 * 1024;

/** Reads the value a `valueFrom` reference points at; errors name the credential and the reference, never a value. */
export function resolveValueReference(reference: string, credential: string, baseDirectory: string, environment: Readonly<Record<string, string | undefined>>): SecretValue {
  const separator = reference.indexOf(':');
  const scheme = reference.slice(0, separator);
  const target = reference.slice(separator + 1);
  if (scheme === 'env') {
    const value = environment[target];
    if (value === undefined || value.trim() === '') throw new ConfigError(`credential ${credential}: valueFrom ${reference}: the environment variable ${target} is not set`, { hint: `export ${target}=… (or remove valueFrom and add the value later with \`rekey credential set-value\`)` });
    return new SecretValue(value.trim());
  }
  if (scheme === 'file') {
    const path = resolve(baseDirectory, target);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      throw new ConfigError(`credential ${credential}: valueFrom ${reference}: the file cannot be read`);
    }
    if (size > MAX_VALUE_BYTES) throw new ConfigError(`credential ${credential}: valueFrom ${reference}: the file is larger than a key (${size} bytes)`);
    const value = readFileSync(path, 'utf8').trim();
    if (value === '') throw new ConfigError(`credential ${credential}: valueFrom ${reference}: the file is empty`);
    return new SecretValue(value);
  }
  throw new ConfigError(`credential ${credential}: valueFrom ${reference.slice(0, 60)} is not env:NAME or file:path`);
}

async function validateConsumer(consumer: DesiredConsumer, salt: Buffer, environment: Readonly<Record<string, string | undefined>>): Promise<void> {
  const { createSink } = await import('../sinks/sink-registry.js');
  const { createReloadAction } = await import('../sinks/reload-registry.js');
  await createSink({ name: consumer.name, kind: consumer.kind, config: consumer.config }, salt, environment);
  if (consumer.reload !== null && consumer.reload['kind'] !== undefined) await createReloadAction(consumer.name, consumer.reload, environment);
}

export async function applyPlan(deps: ApplyDependencies, plan: Plan, options: { baseDirectory: string }): Promise<ApplyResult> {
  const { store, audit, actor } = deps;
  // 1. Everything that can fail without a change.
  const values = new Map<string, SecretValue>();
  for (const change of plan.changes) {
    if (change.kind === 'credential-create' && change.desired.valueFrom !== undefined) {
      values.set(change.subject, resolveValueReference(change.desired.valueFrom, change.subject, options.baseDirectory, deps.environment));
    }
    const consumers = change.kind === 'credential-create' ? change.desired.consumers : change.kind === 'consumer-add' || change.kind === 'consumer-replace' ? [change.consumer] : [];
    for (const consumer of consumers) await validateConsumer(consumer, deps.fingerprintSalt, deps.environment);
  }
  if (plan.changes.some((change) => change.kind.startsWith('openai-')) && deps.openai === undefined) {
    throw new ConfigError('the plan changes OpenAI project settings but no OpenAI admin key is configured', { hint: 'set OPENAI_ADMIN_KEY (and OPENAI_BASE_URL), or run with --store-only' });
  }
  // 2. Changes, in an order where each finds what it needs.
  const byKind: Record<string, number> = {};
  const order: Array<PlanChange['kind']> = ['credential-create', 'credential-update', 'consumer-remove', 'consumer-replace', 'consumer-add', 'credential-remove', 'openai-model-permissions', 'openai-spend-limit', 'openai-rate-limit', 'governance-update'];
  for (const kind of order) {
    for (const change of plan.changes.filter((item) => item.kind === kind)) {
      await applyChange(deps, change, values);
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    }
  }
  const applied = plan.changes.length;
  if (applied > 0) {
    const governance = await store.getSetting(GOVERNANCE_SETTING);
    await audit.record({ event: 'governance-apply', actor, credential: null, fingerprint: null, outcome: 'ok', detail: { changes: byKind, document: governance === undefined ? null : createHash('sha256').update(governance).digest('hex') } });
  }
  return { applied, byKind };
}

async function credentialId(store: Store, name: string): Promise<string> {
  const credential = await store.getCredential(name);
  if (credential === undefined) throw new NotFoundError(`credential ${name} disappeared while applying`);
  return credential.id;
}

async function addConsumer(deps: ApplyDependencies, credential: string, consumer: DesiredConsumer): Promise<void> {
  await deps.store.addConsumer({ credentialId: await credentialId(deps.store, credential), name: consumer.name, kind: consumer.kind, config: consumer.config, reload: consumer.reload });
  await deps.audit.record({ event: 'consumer-add', actor: deps.actor, credential, fingerprint: null, outcome: 'ok', detail: { consumer: consumer.name, kind: consumer.kind, source: 'rekey.yaml' } });
}

async function removeConsumer(deps: ApplyDependencies, credential: string, consumer: string): Promise<void> {
  await deps.store.removeConsumer(await credentialId(deps.store, credential), consumer);
  await deps.audit.record({ event: 'consumer-remove', actor: deps.actor, credential, fingerprint: null, outcome: 'ok', detail: { consumer, source: 'rekey.yaml' } });
}

async function providerAudit(deps: ApplyDependencies, project: string, setting: string): Promise<void> {
  await deps.audit.record({ event: 'provider-settings-update', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { provider: 'openai', project, setting } });
}

async function applyChange(deps: ApplyDependencies, change: PlanChange, values: Map<string, SecretValue>): Promise<void> {
  const { store, audit, actor } = deps;
  switch (change.kind) {
    case 'credential-create': {
      await addCredential(deps, { name: change.subject, ...change.desired.metadata }, values.get(change.subject));
      for (const consumer of change.desired.consumers) await addConsumer(deps, change.subject, consumer);
      return;
    }
    case 'credential-update': {
      const patch = Object.fromEntries(change.fields.map((field) => [field.field, field.to]));
      await store.updateCredential(change.subject, patch);
      await audit.record({ event: 'credential-update', actor, credential: change.subject, fingerprint: null, outcome: 'ok', detail: { fields: change.fields.map((field) => field.field), source: 'rekey.yaml' } });
      return;
    }
    case 'credential-remove': {
      const { removeCredential } = await import('../vault/credential-service.js');
      await removeCredential(deps, change.subject);
      return;
    }
    case 'consumer-add': return addConsumer(deps, change.credential, change.consumer);
    case 'consumer-replace': {
      await removeConsumer(deps, change.credential, change.consumer.name);
      return addConsumer(deps, change.credential, change.consumer);
    }
    case 'consumer-remove': return removeConsumer(deps, change.credential, change.consumer);
    case 'governance-update': {
      await store.setSetting(GOVERNANCE_SETTING, change.json);
      return;
    }
    case 'openai-model-permissions': {
      await deps.openai?.setModelPermissions(change.projectId, change.to);
      return providerAudit(deps, change.projectId, 'model_permissions');
    }
    case 'openai-spend-limit': {
      await deps.openai?.setSpendLimit(change.projectId, change.to);
      return providerAudit(deps, change.projectId, 'spend_limit');
    }
    case 'openai-rate-limit': {
      await deps.openai?.setRateLimit(change.projectId, change.rateLimitId, change.to);
      return providerAudit(deps, change.projectId, `rate_limit ${change.model}`);
    }
  }
}
