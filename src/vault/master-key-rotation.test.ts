/**
 * Master-key rotation on a real SQLite store: values survive, and a crash at any point
 * (staged key written, rows re-wrapped, setting recorded) leaves a store that opens.
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CryptoError } from '../core/errors.js';
import { SecretValue } from '../core/secret-value.js';
import { createEnvelope } from '../crypto/envelope.js';
import { openText, sealText, totpSealContext } from '../crypto/sealed-text.js';
import { generateMasterKey, loadMasterKey, writeMasterKeyMaterial } from '../crypto/master-key.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { rotateMasterKey } from './master-key-rotation.js';
import { createVault } from './vault.js';
import { initializeVaultKeys, MASTER_KEY_ID_SETTING, openVaultKeys } from './vault-keys.js';

const VALUES = ['sk-proj-MKROTATEone0123456789abcdefghij', 'sk-proj-MKROTATEtwo0123456789abcdefghij'];

describe('master-key rotation', () => {
  let home: string;
  let store: Store;

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'rekey-mk-'));
    store = await openStore({ sqlitePath: join(home, 'rekey.db') });
    await store.migrate();
    const material = await writeMasterKeyMaterial(home, { kind: 'file', key: generateMasterKey() }, { asNext: false });
    await initializeVaultKeys(store, material);
    const keys = await openVaultKeys(store, home, await loadMasterKey(home, {}));
    const vault = createVault({ store, envelope: keys.envelope, fingerprintSalt: keys.fingerprintSalt });
    const credential = await store.createCredential({ name: 'openai/mk/prod', provider: 'openai', scope: {}, environment: 'prod', owner: null, purpose: null, allowedModels: [], tags: {}, policy: {} });
    await vault.putVersion({ credential, value: new SecretValue(VALUES[0] ?? ''), stage: 'current', providerKeyId: null, mintedBy: 'test' });
    await vault.putVersion({ credential, value: new SecretValue(VALUES[1] ?? ''), stage: 'pending', providerKeyId: null, mintedBy: 'test' });
  });
  afterEach(async () => store.close());

  async function reveal(): Promise<string[]> {
    const keys = await openVaultKeys(store, home, await loadMasterKey(home, {}));
    const vault = createVault({ store, envelope: keys.envelope, fingerprintSalt: keys.fingerprintSalt });
    const credential = await store.getCredential('openai/mk/prod');
    if (credential === undefined) throw new Error('credential missing');
    return [(await vault.reveal(credential, 1)).reveal(), (await vault.reveal(credential, 2)).reveal()];
  }

  it("re-wraps people's sealed TOTP secrets too, so their codes still verify", async () => {
    const current = await openVaultKeys(store, home, await loadMasterKey(home, {}));
    const user = await store.createUser({ id: 'usr_alice', name: 'alice', displayName: null, passwordHash: null, groups: [], createdAt: new Date(), createdBy: 'test', mac: null });
    await store.updateUser(user.id, { totpSealed: sealText(current.envelope, 'JBSWY3DPEHPK3PXPJBSWY3DP', totpSealContext(user.id)), totpConfirmed: true });
    const result = await rotateMasterKey({ store, home, envelope: current.envelope, current: current.material }, { kind: 'file', key: generateMasterKey() });
    expect(result.totpSecrets).toBe(1);
    const next = await openVaultKeys(store, home, await loadMasterKey(home, {}));
    const sealed = (await store.getUser('alice'))?.totpSealed ?? '';
    expect(openText(next.envelope, sealed, totpSealContext(user.id), 'totp')).toBe('JBSWY3DPEHPK3PXPJBSWY3DP');
    expect(() => openText(current.envelope, sealed, totpSealContext(user.id), 'totp')).toThrow(CryptoError);
  });

  it('re-wraps every data key and leaves values and ciphertexts unchanged', async () => {
    const before = await store.listSealed();
    const current = await openVaultKeys(store, home, await loadMasterKey(home, {}));
    const result = await rotateMasterKey({ store, home, envelope: current.envelope, current: current.material }, { kind: 'file', key: generateMasterKey() });
    expect(result).toMatchObject({ oldKeyId: current.material.id, rewrapped: 2 });
    expect(result.newKeyId).not.toBe(result.oldKeyId);
    const after = await store.listSealed();
    expect(after.map((item) => item.sealed.ciphertext.toString('hex'))).toEqual(before.map((item) => item.sealed.ciphertext.toString('hex')));
    expect(after.every((item) => item.sealed.masterKeyId === result.newKeyId)).toBe(true);
    expect(existsSync(join(home, 'master.key.next'))).toBe(false);
    expect(statSync(join(home, 'master.key')).mode & 0o777).toBe(0o600);
    expect(await reveal()).toEqual(VALUES);
  });

  it('recovers from a crash after the new key was staged but before re-wrapping: the staged key is dropped', async () => {
    const oldKey = readFileSync(join(home, 'master.key'), 'utf8');
    await writeMasterKeyMaterial(home, { kind: 'file', key: generateMasterKey() }, { asNext: true });
    expect(await reveal()).toEqual(VALUES);
    expect(existsSync(join(home, 'master.key.next'))).toBe(false);
    expect(readFileSync(join(home, 'master.key'), 'utf8')).toBe(oldKey);
  });

  it('recovers from a crash after re-wrapping but before the key id and file were switched: the rotation is finished', async () => {
    const current = await openVaultKeys(store, home, await loadMasterKey(home, {}));
    const staged = await writeMasterKeyMaterial(home, { kind: 'file', key: generateMasterKey() }, { asNext: true });
    const next = createEnvelope(staged.key);
    const items = (await store.listSealed()).map(({ credentialId, number, sealed }) => ({ credentialId, number, ...next.rewrap(sealed, { credentialId, version: number }, current.envelope) }));
    await store.rewrap(items);
    // Crash here: the setting still names the old key and master.key is the old file.
    expect(await reveal()).toEqual(VALUES);
    expect(await store.getSetting(MASTER_KEY_ID_SETTING)).toBe(staged.id);
    expect(existsSync(join(home, 'master.key.next'))).toBe(false);
    expect((await loadMasterKey(home, {})).primary.id).toBe(staged.id);
  });

  it('refuses a master key the store was not initialised with', async () => {
    const stranger = { masterKey: generateMasterKey().toString('base64') };
    await expect(openVaultKeys(store, home, await loadMasterKey(home, stranger))).rejects.toThrow(CryptoError);
  });

  it('derives the same key from a passphrase and refuses a wrong one', async () => {
    const other = mkdtempSync(join(tmpdir(), 'rekey-mk-pass-'));
    const material = await writeMasterKeyMaterial(other, { kind: 'passphrase', passphrase: 'correct horse battery staple' }, { asNext: false });
    const loaded = await loadMasterKey(other, { passphrase: 'correct horse battery staple' });
    expect(loaded.primary.id).toBe(material.id);
    expect(loaded.primary.kind).toBe('passphrase');
    await expect(loadMasterKey(other, { passphrase: 'wrong horse battery staple' })).rejects.toThrow(/wrong passphrase/);
    await expect(loadMasterKey(other, {})).rejects.toThrow(/uses a passphrase, and none was given/);
  });
});
