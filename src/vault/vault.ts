/**
 * The vault joins the store and envelope encryption: it seals a value into a new version
 * (fingerprinted with the install's salt) and opens a stored version. It is the only place
 * that turns ciphertext back into a `SecretValue`.
 */
import { redactHint, type SecretValue } from '../core/secret-value.js';
import type { Credential, Stage, VersionRecord } from '../core/types.js';
import type { Envelope } from '../crypto/envelope.js';
import { fingerprint } from '../crypto/fingerprint.js';
import type { Store } from '../store/store.js';
import { NotFoundError } from '../core/errors.js';

export interface VaultDependencies {
  store: Store;
  envelope: Envelope;
  fingerprintSalt: Buffer;
}

export interface PutVersionInput {
  credential: Pick<Credential, 'id' | 'name'>;
  value: SecretValue;
  stage: 'pending' | 'current';
  providerKeyId: string | null;
  /** Further provider-side ids of the key, as the provider's mint returned them (default none). */
  providerData?: Record<string, string> | undefined;
  mintedBy: string;
}

export interface Vault {
  putVersion(input: PutVersionInput): Promise<VersionRecord>;
  reveal(credential: Pick<Credential, 'id' | 'name'>, number: number): Promise<SecretValue>;
  revealStage(credential: Pick<Credential, 'id' | 'name'>, stage: Extract<Stage, 'pending' | 'current' | 'previous'>): Promise<{ version: VersionRecord; value: SecretValue } | undefined>;
  fingerprintOf(value: SecretValue | string): string;
}

export function createVault({ store, envelope, fingerprintSalt }: VaultDependencies): Vault {
  const fingerprintOf = (value: SecretValue | string): string =>
    fingerprint(fingerprintSalt, typeof value === 'string' ? value : value.reveal());

  const open = (credential: Pick<Credential, 'id' | 'name'>, version: VersionRecord): SecretValue => {
    if (version.shreddedAt !== null) {
      throw new NotFoundError(
        `version ${version.number} of ${credential.name} was shredded on ${version.shreddedAt.toISOString()} by the retention policy: its data key is destroyed and the value cannot be recovered`,
        { hint: `its metadata and fingerprint remain: rekey credential versions ${credential.name}` },
      );
    }
    return envelope.open(version.sealed, { credentialId: credential.id, version: version.number });
  };

  return {
    fingerprintOf,

    putVersion({ credential, value, stage, providerKeyId, providerData, mintedBy }) {
      return store.addVersion({
        credentialId: credential.id,
        stage,
        providerKeyId,
        providerData: providerData ?? {},
        fingerprint: fingerprintOf(value),
        hint: redactHint(value.reveal()),
        mintedBy,
        seal: (versionNumber) => envelope.seal(value, { credentialId: credential.id, version: versionNumber }),
      });
    },

    async reveal(credential, number) {
      const version = await store.getVersion(credential.id, number);
      if (version === undefined) throw new NotFoundError(`credential ${credential.name} has no version ${number}`);
      return open(credential, version);
    },

    async revealStage(credential, stage) {
      const version = await store.getVersionByStage(credential.id, stage);
      return version === undefined ? undefined : { version, value: open(credential, version) };
    },
  };
}
