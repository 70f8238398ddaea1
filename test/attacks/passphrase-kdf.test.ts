/**
 * Issue #17, item 8: the passphrase KDF was scrypt at N=2^15, below OWASP's current
 * guidance (N=2^17, r=8, p=1), so a stolen `master.passphrase.json` plus the database
 * cost an attacker a quarter of the work per guess. New passphrase material is now
 * written at N=2^17; the parameters live beside the salt, so an install made with the old
 * ones still opens, and `rekey master-key rotate` rewrites them at the new cost. A file
 * cannot talk rekey down to a trivial cost either. Few derivations on purpose: each one
 * at N=2^17 takes ~128 MiB and a few tenths of a second.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { masterKeyIdOf } from '../../src/crypto/envelope.js';
import { deriveFromPassphrase, loadMasterKey, PASSPHRASE_FILE, SCRYPT_LEGACY } from '../../src/crypto/master-key.js';
import { openStore } from '../../src/store/open-store.js';
import { initializeVaultKeys } from '../../src/vault/vault-keys.js';
import { runRekey, temporaryHome } from '../helpers/cli-runner.js';

const OLD_PASSPHRASE = `old passphrase ${randomBytes(8).toString('hex')}`;
const NEW_PASSPHRASE = `new passphrase ${randomBytes(8).toString('hex')}`;
const VALUE = `sk-kdf-${randomBytes(20).toString('hex')}`;

interface StoredParameters {
  kdf: string;
  salt: string;
  cost: number;
  blockSize: number;
  parallelization: number;
  keyId: string;
}

const readParameters = (home: string): StoredParameters => JSON.parse(readFileSync(join(home, PASSPHRASE_FILE), 'utf8')) as StoredParameters;

/** What `rekey init --passphrase` wrote before this change: the same file, at N=2^15. */
async function oldFormatInstall(home: string): Promise<void> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const base = { kdf: 'scrypt' as const, salt: randomBytes(16).toString('base64'), ...SCRYPT_LEGACY };
  const key = deriveFromPassphrase(OLD_PASSPHRASE, base);
  writeFileSync(join(home, PASSPHRASE_FILE), JSON.stringify({ ...base, keyId: masterKeyIdOf(key) }, null, 2) + '\n', { mode: 0o600 });
  closeSync(openSync(join(home, 'rekey.db'), 'wx', 0o600));
  const store = await openStore({ sqlitePath: join(home, 'rekey.db') });
  try {
    await store.migrate();
    await initializeVaultKeys(store, (await loadMasterKey(home, { passphrase: OLD_PASSPHRASE })).primary);
  } finally {
    await store.close();
  }
}

describe('passphrase KDF at current OWASP parameters, old installs upgraded on master-key rotation', () => {
  const homes: string[] = [];
  const home = (): string => {
    const path = temporaryHome('rekey-kdf-');
    homes.push(dirname(path));
    return path;
  };
  afterAll(async () => {
    for (const path of homes) await rm(path, { recursive: true, force: true });
  });

  it('a new passphrase install stores scrypt N=2^17, r=8, p=1 beside its salt', async () => {
    const fresh = home();
    const init = await runRekey(['init', '--passphrase'], { env: { REKEY_HOME: fresh, REKEY_PASSPHRASE: NEW_PASSPHRASE } });
    expect(init.code, init.stderr).toBe(0);
    expect(readParameters(fresh)).toMatchObject({ kdf: 'scrypt', cost: 2 ** 17, blockSize: 8, parallelization: 1 });
  });

  it('an old-format install (N=2^15) still opens, and master-key rotate rewrites the parameters at N=2^17', async () => {
    const old = home();
    await oldFormatInstall(old);
    const withOld = { REKEY_HOME: old, REKEY_PASSPHRASE: OLD_PASSPHRASE };
    expect(readParameters(old).cost).toBe(2 ** 15);

    const added = await runRekey(['credential', 'add', 'manual/kdf/prod', '--provider', 'manual', '--read-value'], { env: withOld, input: `${VALUE}\n` });
    expect(added.code, added.stderr).toBe(0);
    const doctor = await runRekey(['doctor', '--json'], { env: withOld });
    expect(doctor.stdout).toMatch(/scrypt N=2\^15 r=8 p=1, below the current N=2\^17 r=8 p=1: `rekey master-key rotate` upgrades it/);

    const rotated = await runRekey(['master-key', 'rotate', '--yes'], { env: { ...withOld, REKEY_NEW_PASSPHRASE: NEW_PASSPHRASE } });
    expect(rotated.code, rotated.stderr).toBe(0);
    const after = readParameters(old);
    expect(after).toMatchObject({ kdf: 'scrypt', cost: 2 ** 17, blockSize: 8, parallelization: 1 });

    const revealed = await runRekey(['credential', 'reveal', 'manual/kdf/prod', '--yes'], { env: { REKEY_HOME: old, REKEY_PASSPHRASE: NEW_PASSPHRASE } });
    expect(revealed.code, revealed.stderr).toBe(0);
    expect(revealed.stdout).toContain(VALUE);
    const refused = await runRekey(['credential', 'list'], { env: withOld });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/wrong passphrase/);
  });

  it('a parameters file cannot lower the cost below 2^14 or raise it past 2^20', async () => {
    const tampered = home();
    mkdirSync(tampered, { recursive: true, mode: 0o700 });
    const file = join(tampered, PASSPHRASE_FILE);
    const write = (cost: number) =>
      writeFileSync(file, JSON.stringify({ kdf: 'scrypt', salt: randomBytes(16).toString('base64'), cost, blockSize: 8, parallelization: 1, keyId: 'x' }), { mode: 0o600 });
    for (const cost of [2 ** 4, 2 ** 13, 2 ** 21, 3 * 2 ** 15]) {
      write(cost);
      await expect(loadMasterKey(tampered, { passphrase: OLD_PASSPHRASE })).rejects.toThrow(new RegExp(`cost ${cost} must be a power of two from 2\\^14 to 2\\^20`));
    }
  });
});
