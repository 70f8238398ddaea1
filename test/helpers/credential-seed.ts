/**
 * The credential most tests start from: created in the store with its first key as the
 * current version, as `rekey credential add` leaves it. Everything not given takes the
 * plainest value (no owner, purpose, tags or policy).
 */
import { SecretValue } from '../../src/core/secret-value.js';
import type { Credential, CredentialMetadata, VersionRecord } from '../../src/core/types.js';
import type { Store } from '../../src/store/store.js';
import type { Vault } from '../../src/vault/vault.js';

export interface CredentialSeed extends Partial<CredentialMetadata> {
  name: string;
  /** The first key, current from the start. */
  value: SecretValue | string;
  /** The provider's id of that key (default none: a key imported by value). */
  providerKeyId?: string | null;
  mintedBy?: string;
}

export async function seedCredential(
  { store, vault }: { store: Pick<Store, 'createCredential'>; vault: Pick<Vault, 'putVersion'> },
  { name, value, providerKeyId = null, mintedBy = 'cli:test', ...metadata }: CredentialSeed,
): Promise<{ credential: Credential; version: VersionRecord }> {
  const credential = await store.createCredential({
    name,
    provider: 'openai',
    scope: {},
    environment: 'dev',
    owner: null,
    purpose: null,
    allowedModels: [],
    tags: {},
    policy: {},
    ...metadata,
  });
  const secret = typeof value === 'string' ? new SecretValue(value) : value;
  const version = await vault.putVersion({ credential, value: secret, stage: 'current', providerKeyId, mintedBy });
  return { credential, version };
}
