/** JSON shapes the CLI prints for domain objects: never a ciphertext, never a value. */
import type { Consumer, Credential, VersionRecord } from '../core/types.js';

export function credentialJson(credential: Credential): Record<string, unknown> {
  return {
    name: credential.name,
    id: credential.id,
    provider: credential.provider,
    environment: credential.environment,
    scope: credential.scope,
    owner: credential.owner,
    purpose: credential.purpose,
    allowedModels: credential.allowedModels,
    tags: credential.tags,
    policy: credential.policy,
    createdAt: credential.createdAt.toISOString(),
    updatedAt: credential.updatedAt.toISOString(),
  };
}

export function versionJson(version: VersionRecord): Record<string, unknown> {
  return {
    number: version.number,
    stage: version.stage,
    hint: version.hint,
    fingerprint: version.fingerprint,
    providerKeyId: version.providerKeyId,
    mintedBy: version.mintedBy,
    createdAt: version.createdAt.toISOString(),
    stageChangedAt: version.stageChangedAt.toISOString(),
    shreddedAt: version.shreddedAt?.toISOString() ?? null,
  };
}

export function consumerJson(consumer: Consumer): Record<string, unknown> {
  return { name: consumer.name, kind: consumer.kind, config: consumer.config, reload: consumer.reload, createdAt: consumer.createdAt.toISOString() };
}

export function ageDays(since: Date, now: Date): number {
  return Math.floor((now.getTime() - since.getTime()) / 86_400_000);
}
