/**
 * A baseline accepts known findings so that a scan reports only new ones. Entries are
 * fingerprints (HMAC-SHA-256 of the value under the baseline's own random salt), never
 * values, plus what a reviewer needs: the detector, the hint and where it was first seen.
 * The file's schema is in baseline-schema.ts, imported only when a baseline is read.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { ConfigError } from '../core/errors.js';
import { fingerprint } from '../crypto/fingerprint.js';
import type { BaselineFile } from './baseline-schema.js';
import type { Finding } from './finding.js';
import { findingPlace } from './finding.js';

export type { BaselineFile } from './baseline-schema.js';

export interface Baseline {
  salt: Buffer;
  fingerprints: ReadonlySet<string>;
  file: BaselineFile;
}

export function fingerprintFor(baseline: Pick<Baseline, 'salt'>, finding: Finding): string {
  return fingerprint(baseline.salt, finding.secret.reveal());
}

export function isBaselined(baseline: Baseline, finding: Finding): boolean {
  return baseline.fingerprints.has(fingerprintFor(baseline, finding));
}

export async function readBaseline(path: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`could not read the baseline file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      hint: 'create one with `rekey scan --write-baseline <file>`',
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ConfigError(`the baseline file ${path} is not valid JSON`);
  }
  // zod costs ~50 ms to load: only a scan that has a baseline file pays it.
  const { baselineSchema } = await import('./baseline-schema.js');
  const parsed = baselineSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`the baseline file ${path} is invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'bad shape'}`);
  }
  const salt = Buffer.from(parsed.data.salt, 'base64');
  if (salt.length < 16) throw new ConfigError(`the baseline file ${path} has a salt shorter than 16 bytes`);
  return { salt, fingerprints: new Set(parsed.data.entries.map((entry) => entry.fingerprint)), file: parsed.data };
}

/** A baseline accepting `findings`, keeping the salt and entries of `previous` if given. */
export function buildBaseline(findings: readonly Finding[], previous?: Baseline): BaselineFile {
  const salt = previous?.salt ?? randomBytes(32);
  const entries = new Map((previous?.file.entries ?? []).map((entry) => [entry.fingerprint, entry]));
  for (const finding of findings) {
    const print = fingerprint(salt, finding.secret.reveal());
    if (!entries.has(print)) {
      entries.set(print, { fingerprint: print, detector: finding.detectorId, hint: finding.hint, firstSeen: findingPlace(finding) });
    }
  }
  return { version: 1, tool: 'rekey', salt: salt.toString('base64'), entries: [...entries.values()] };
}

export async function writeBaseline(path: string, file: BaselineFile): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  await rename(temporary, path);
}
