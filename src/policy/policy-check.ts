/**
 * `rekey check` as a service: load the file (a load problem becomes a `schema` finding at
 * its location, so CI annotates it like any other), evaluate every rule, and optionally
 * read live facts from the store (key ages, fingerprints) and the provider.
 */
import type { Store } from '../store/store.js';
import { evaluatePolicies, type CheckResult } from './policy-engine.js';
import { loadPolicyFile, PolicyFileError, type LoadedPolicyFile } from './policy-loader.js';
import type { LiveState } from './policy-model.js';

export interface CheckRun {
  result: CheckResult;
  loaded: LoadedPolicyFile | undefined;
}

export function schemaFailure(error: PolicyFileError, file: string): CheckResult {
  const findings = error.problems.map((problem) => ({
    rule: 'schema' as const,
    severity: 'error' as const,
    message: problem.field === '' ? problem.message : `${problem.field}: ${problem.message}`,
    subject: problem.file,
    field: problem.field,
    location: { file: problem.file, line: problem.line, column: problem.column },
  }));
  return { findings, counted: findings, errors: findings.length, warnings: 0, files: [file], rulesRun: [] };
}

export async function runCheck(options: { path: string; cwd?: string; now: Date; live?: () => Promise<LiveState> }): Promise<CheckRun> {
  let loaded: LoadedPolicyFile;
  try {
    loaded = loadPolicyFile(options.path, { cwd: options.cwd });
  } catch (error) {
    if (error instanceof PolicyFileError) return { result: schemaFailure(error, options.path), loaded: undefined };
    throw error;
  }
  const live = options.live === undefined ? undefined : await options.live();
  return { result: evaluatePolicies(loaded, { now: options.now, live }), loaded };
}

/** Key ages and live fingerprints of every credential the file names, from the store. */
export async function readStoreLiveState(store: Pick<Store, 'getCredential' | 'listVersions'>, names: readonly string[]): Promise<LiveState> {
  const credentials: LiveState['credentials'] = new Map();
  for (const name of names) {
    const credential = await store.getCredential(name);
    if (credential === undefined) continue;
    const versions = await store.listVersions(credential.id);
    const live = versions.filter((version) => version.stage === 'current' || version.stage === 'previous' || version.stage === 'pending');
    credentials.set(name, {
      currentCreatedAt: versions.find((version) => version.stage === 'current')?.createdAt ?? null,
      liveFingerprints: live.map((version) => version.fingerprint),
    });
  }
  return { credentials };
}
