/**
 * Where the master key comes from (DESIGN.md §6), in this order:
 * 1. `REKEY_MASTER_KEY`: base64 of 32 bytes;
 * 2. the key file `<home>/master.key` (refused when its mode is wider than 0600);
 * 3. a passphrase (`REKEY_PASSPHRASE` or a prompt) stretched with scrypt; the salt and
 *    parameters live in `<home>/master.passphrase.json`. New material uses OWASP's current
 *    scrypt guidance, N=2^17, r=8, p=1 (about 128 MiB and a few tenths of a second per
 *    derivation). Older installs were written with N=2^15: their file keeps its own
 *    parameters, so it still opens, and `master-key rotate` writes the new ones.
 *    (argon2id is not in Node 20's crypto, and the argon2 packages need a native build.)
 *
 * `master-key rotate` writes the new key material beside the old one with a `.next`
 * suffix before re-wrapping, so a crash at any point leaves a loadable key: the loader
 * returns both and the caller picks the one the stored data is wrapped under.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, CryptoError } from '../core/errors.js';
import { masterKeyIdOf } from './envelope.js';
import { assertPrivateFile, replaceFileAtomically, syncDirectory } from './secure-file.js';

export type MasterKeySourceKind = 'env' | 'file' | 'passphrase';

export interface MasterKeyMaterial {
  kind: MasterKeySourceKind;
  /** Where it came from, for messages (never the key). */
  origin: string;
  key: Buffer;
  id: string;
  /** For a passphrase: the KDF parameters it was derived with, and whether they are the current ones. */
  kdf?: { name: 'scrypt'; cost: number; blockSize: number; parallelization: number; current: boolean } | undefined;
}

export interface MasterKeyCandidates {
  primary: MasterKeyMaterial;
  /** Key material of an interrupted rotation, if any. */
  next?: MasterKeyMaterial | undefined;
}

export const KEY_FILE = 'master.key';
export const PASSPHRASE_FILE = 'master.passphrase.json';
const NEXT = '.next';

interface PassphraseParameters {
  kdf: 'scrypt';
  salt: string;
  cost: number;
  blockSize: number;
  parallelization: number;
  keyId: string;
}

/** OWASP Password Storage Cheat Sheet: scrypt with N=2^17, r=8, p=1. What new passphrase material is written with. */
export const SCRYPT_CURRENT = { cost: 2 ** 17, blockSize: 8, parallelization: 1 } as const;
/** The parameters rekey wrote before; files with them still open. */
export const SCRYPT_LEGACY = { cost: 2 ** 15, blockSize: 8, parallelization: 1 } as const;
/** Bounds on parameters read from a file: below is too weak to accept, above would exhaust memory. */
const SCRYPT_BOUNDS = { minCost: 2 ** 14, maxCost: 2 ** 20, maxBlockSize: 32, maxParallelization: 16 };

export function isCurrentKdf(parameters: { cost: number; blockSize: number; parallelization: number }): boolean {
  return parameters.cost >= SCRYPT_CURRENT.cost && parameters.blockSize >= SCRYPT_CURRENT.blockSize && parameters.parallelization >= SCRYPT_CURRENT.parallelization;
}

export interface MasterKeyEnvironment {
  masterKey?: string | undefined;
  passphrase?: string | undefined;
  /** Asked only when a passphrase file exists and no passphrase is in the environment. */
  promptPassphrase?: (() => Promise<string>) | undefined;
}

export function decodeMasterKey(text: string, origin: string): Buffer {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9+/=_-]+$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) {
    throw new ConfigError(`${origin} is not a base64-encoded 32-byte key`, { hint: 'generate one with: openssl rand -base64 32' });
  }
  return key;
}

function material(kind: MasterKeySourceKind, origin: string, key: Buffer): MasterKeyMaterial {
  return { kind, origin, key, id: masterKeyIdOf(key) };
}

function readKeyFile(path: string): MasterKeyMaterial {
  assertPrivateFile(path, 'master key file');
  return material('file', path, decodeMasterKey(readFileSync(path, 'utf8'), `master key file ${path}`));
}

function readPassphraseParameters(path: string): PassphraseParameters {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new ConfigError(`passphrase parameters file ${path} is not valid JSON`);
  }
  const candidate = parsed as Partial<PassphraseParameters>;
  if (candidate.kdf !== 'scrypt' || typeof candidate.salt !== 'string' || typeof candidate.keyId !== 'string'
    || !Number.isInteger(candidate.cost) || !Number.isInteger(candidate.blockSize) || !Number.isInteger(candidate.parallelization)) {
    throw new ConfigError(`passphrase parameters file ${path} is missing kdf, salt, cost, blockSize, parallelization or keyId`);
  }
  const { cost = 0, blockSize = 0, parallelization = 0 } = candidate;
  // A power of two within bounds: a file cannot make rekey accept a trivial KDF or allocate gigabytes.
  if (cost < SCRYPT_BOUNDS.minCost || cost > SCRYPT_BOUNDS.maxCost || (cost & (cost - 1)) !== 0) {
    throw new ConfigError(`passphrase parameters file ${path}: cost ${cost} must be a power of two from 2^14 to 2^20`);
  }
  if (blockSize < 1 || blockSize > SCRYPT_BOUNDS.maxBlockSize || parallelization < 1 || parallelization > SCRYPT_BOUNDS.maxParallelization) {
    throw new ConfigError(`passphrase parameters file ${path}: blockSize must be 1 to 32 and parallelization 1 to 16`);
  }
  if (Buffer.from(candidate.salt, 'base64').length < 16) {
    throw new ConfigError(`passphrase parameters file ${path}: the salt must be at least 16 bytes of base64`);
  }
  return candidate as PassphraseParameters;
}

export function deriveFromPassphrase(passphrase: string, parameters: Omit<PassphraseParameters, 'keyId'>): Buffer {
  if (passphrase.length < 12) throw new ConfigError('the passphrase must be at least 12 characters');
  return scryptSync(passphrase.normalize('NFKC'), Buffer.from(parameters.salt, 'base64'), 32, {
    N: parameters.cost,
    r: parameters.blockSize,
    p: parameters.parallelization,
    maxmem: 256 * parameters.cost * parameters.blockSize,
  });
}

function passphraseMaterial(path: string, passphrase: string): MasterKeyMaterial {
  const parameters = readPassphraseParameters(path);
  const key = deriveFromPassphrase(passphrase, parameters);
  const found = material('passphrase', `passphrase (${path})`, key);
  if (found.id !== parameters.keyId) {
    throw new CryptoError('wrong passphrase: it does not derive the master key this data directory was set up with');
  }
  const { cost, blockSize, parallelization } = parameters;
  return { ...found, kdf: { name: 'scrypt', cost, blockSize, parallelization, current: isCurrentKdf(parameters) } };
}

export async function loadMasterKey(home: string, environment: MasterKeyEnvironment): Promise<MasterKeyCandidates> {
  if (environment.masterKey !== undefined && environment.masterKey !== '') {
    return { primary: material('env', 'REKEY_MASTER_KEY', decodeMasterKey(environment.masterKey, 'REKEY_MASTER_KEY')) };
  }
  const keyFile = join(home, KEY_FILE);
  if (existsSync(keyFile) || existsSync(keyFile + NEXT)) {
    const primary = existsSync(keyFile) ? readKeyFile(keyFile) : readKeyFile(keyFile + NEXT);
    const next = existsSync(keyFile) && existsSync(keyFile + NEXT) ? readKeyFile(keyFile + NEXT) : undefined;
    return { primary, next };
  }
  const passphraseFile = join(home, PASSPHRASE_FILE);
  if (existsSync(passphraseFile) || existsSync(passphraseFile + NEXT)) {
    const passphrase = environment.passphrase ?? (await environment.promptPassphrase?.());
    if (passphrase === undefined || passphrase === '') {
      throw new ConfigError('this data directory uses a passphrase, and none was given', {
        hint: 'set REKEY_PASSPHRASE or run on a terminal to be asked',
      });
    }
    const primaryPath = existsSync(passphraseFile) ? passphraseFile : passphraseFile + NEXT;
    const primary = passphraseMaterial(primaryPath, passphrase);
    const next = primaryPath === passphraseFile && existsSync(passphraseFile + NEXT)
      ? tryPassphrase(passphraseFile + NEXT, environment.passphrase)
      : undefined;
    return { primary, next };
  }
  throw new ConfigError(`no master key: REKEY_MASTER_KEY is unset and ${home} holds neither ${KEY_FILE} nor ${PASSPHRASE_FILE}`, {
    hint: 'run `rekey init` first, or set REKEY_MASTER_KEY / REKEY_HOME',
  });
}

function tryPassphrase(path: string, passphrase: string | undefined): MasterKeyMaterial | undefined {
  if (passphrase === undefined) return undefined;
  try {
    return passphraseMaterial(path, passphrase);
  } catch {
    return undefined;
  }
}

export function generateMasterKey(): Buffer {
  return randomBytes(32);
}

/** Writes new key material: a key file, or passphrase parameters. `asNext` stages it for a rotation. */
export async function writeMasterKeyMaterial(
  home: string,
  source: { kind: 'file'; key: Buffer } | { kind: 'passphrase'; passphrase: string },
  options: { asNext: boolean },
): Promise<MasterKeyMaterial> {
  const suffix = options.asNext ? NEXT : '';
  if (source.kind === 'file') {
    const path = join(home, KEY_FILE + suffix);
    await replaceFileAtomically(path, source.key.toString('base64') + '\n', { mode: 0o600 });
    return material('file', path, source.key);
  }
  const base = { kdf: 'scrypt' as const, salt: randomBytes(16).toString('base64'), ...SCRYPT_CURRENT };
  const key = deriveFromPassphrase(source.passphrase, base);
  const path = join(home, PASSPHRASE_FILE + suffix);
  const parameters: PassphraseParameters = { ...base, keyId: masterKeyIdOf(key) };
  await replaceFileAtomically(path, JSON.stringify(parameters, null, 2) + '\n', { mode: 0o600 });
  return { ...material('passphrase', path, key), kdf: { name: 'scrypt', ...SCRYPT_CURRENT, current: true } };
}

/** Makes staged `.next` material the primary one (end of a master-key rotation). */
export async function commitNextMasterKey(home: string, kind: 'file' | 'passphrase'): Promise<void> {
  const name = kind === 'file' ? KEY_FILE : PASSPHRASE_FILE;
  const path = join(home, name);
  if (existsSync(path + NEXT)) {
    await rename(path + NEXT, path);
    await syncDirectory(home);
  }
}

/** Drops staged `.next` material that was never used (a rotation that failed before re-wrapping). */
export async function discardNextMasterKey(home: string, kind: 'file' | 'passphrase'): Promise<void> {
  await rm(join(home, (kind === 'file' ? KEY_FILE : PASSPHRASE_FILE) + NEXT), { force: true });
}
