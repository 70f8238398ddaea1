/**
 * A real SQLite store and vault in a temporary directory, with helpers to add a
 * credential and to rotate it by hand (put pending → promote, revoking an old previous),
 * as the rotation engine will.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretValue } from '../../src/core/secret-value.js';
import type { Credential, ProviderKind } from '../../src/core/types.js';
import { createEnvelope } from '../../src/crypto/envelope.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createVault, type Vault } from '../../src/vault/vault.js';
import { seedCredential } from './credential-seed.js';

export interface KeyFixture {
  directory: string;
  store: Store;
  vault: Vault;
  addCredential(name: string, value: string, options?: { provider?: ProviderKind; allowedModels?: string[] }): Promise<Credential>;
  /** Puts `value` as pending and promotes it; an existing previous is first marked revoked. Returns the new version number. */
  rotate(name: string, value: string): Promise<number>;
  /** Revokes the previous version (end of grace). */
  endGrace(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function createKeyFixture(options: { databaseUrl?: string } = {}): Promise<KeyFixture> {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-keys-'));
  const store = await openStore({ databaseUrl: options.databaseUrl, sqlitePath: join(directory, 'rekey.db') });
  await store.migrate();
  const vault = createVault({ store, envelope: createEnvelope(randomBytes(32)), fingerprintSalt: randomBytes(32) });

  async function credentialOf(name: string): Promise<Credential> {
    const credential = await store.getCredential(name);
    if (credential === undefined) throw new Error(`no credential ${name}`);
    return credential;
  }

  return {
    directory,
    store,
    vault,
    async addCredential(name, value, extra = {}) {
      const seeded = await seedCredential({ store, vault }, { name, value, provider: extra.provider ?? 'openai', environment: 'prod', allowedModels: extra.allowedModels ?? [], mintedBy: 'test' });
      return seeded.credential;
    },
    async rotate(name, value) {
      const credential = await credentialOf(name);
      const previous = await store.getVersionByStage(credential.id, 'previous');
      if (previous !== undefined) await store.setVersionStage(credential.id, previous.number, 'previous', 'revoked');
      const current = await store.getVersionByStage(credential.id, 'current');
      const pending = await vault.putVersion({ credential, value: new SecretValue(value), stage: 'pending', providerKeyId: null, mintedBy: 'test' });
      await store.promote(credential.id, pending.number, { expectedCurrent: current?.number ?? null });
      return pending.number;
    },
    async endGrace(name) {
      const credential = await credentialOf(name);
      const previous = await store.getVersionByStage(credential.id, 'previous');
      if (previous !== undefined) await store.setVersionStage(credential.id, previous.number, 'previous', 'revoked');
    },
    async close() {
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
