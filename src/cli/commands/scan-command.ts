/**
 * `rekey scan [paths...]`: find LLM API keys in files, git history, staged changes or a
 * stream. Exit 3 when there are findings (after the baseline), 0 when clean.
 * The scanner is imported lazily; this file's top level stays light.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { collect } from '../cli-options.js';
import { VERSION } from '../version.js';
import { UsageError } from '../../core/errors.js';
import type { OwnKeyLookup } from '../../scan/own-keys.js';
import type { OwnKeyFoundEvent } from '../../scan/scan-service.js';

const TOOL_VERSION = VERSION;
export const DEFAULT_BASELINE_FILE = '.rekey-baseline.json';

/** What the leak response did for one own key. */
export interface LeakRotationOutcome {
  /** `emergency-rotation`, `grace-ended`, `pending-discarded`, `already-dead`, `alert-only`… (default: emergency-rotation). */
  action?: string | undefined;
  /** The version of the credential the leaked value is. */
  version?: number | undefined;
  /** When the leaked key was confirmed dead, if it was. */
  oldKeyDeadAt?: Date | null | undefined;
}

/**
 * What the CLI's composition root (`cli-services.ts`) passes in (the scanner does not reach into the store or the rotation
 * engine itself): the vault's salt (or `fingerprintOf`) with a store-backed fingerprint
 * lookup, and the leak response.
 * - `rotate` runs under `--rotate`, once per own key found: make the leaked key dead now,
 *   whatever the policy says; resolve when it is dead (throw when it could not be).
 * - `respondByPolicy` (optional) runs without `--rotate`, once per own key found: act only
 *   where the credential's policy says `onLeak: rotate`; resolve undefined to do nothing.
 */
export interface ScanCommandWiring {
  ownKeys?: (() => Promise<{ lookup: OwnKeyLookup; salt: Buffer } | { lookup: OwnKeyLookup; fingerprintOf: (value: string) => string } | undefined>) | undefined;
  rotate?: ((event: OwnKeyFoundEvent) => Promise<LeakRotationOutcome | void>) | undefined;
  respondByPolicy?: ((event: OwnKeyFoundEvent) => Promise<LeakRotationOutcome | undefined>) | undefined;
}


type Format = 'text' | 'json' | 'sarif';

interface ScanOptions {
  git?: boolean;
  staged?: boolean;
  stdin?: boolean;
  format?: string;
  json?: boolean;
  outFile?: string;
  ignore: boolean;
  baseline?: string;
  writeBaseline?: string;
  verify?: boolean;
  verifyBaseUrl: string[];
  verifyTimeout?: string;
  rotate?: boolean;
  workers?: string;
}

/**
 * One worker per idle core, at most 4: workers cost start-up CPU and only pay when a core
 * is free to run them (measured in bench/scan on a shared 2-core machine).
 */
function defaultWorkers(): number {
  const idleCores = availableParallelism() - Math.round(loadavg()[0] ?? 0);
  return Math.max(1, Math.min(4, idleCores));
}

function parseFormat(options: ScanOptions): Format {
  if (options.json === true) return 'json';
  const format = options.format ?? 'text';
  if (format !== 'text' && format !== 'json' && format !== 'sarif') {
    throw new UsageError(`--format must be text, json or sarif, not "${format}"`);
  }
  return format;
}

function parseBaseUrls(entries: readonly string[]): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const entry of entries) {
    const match = /^([a-z-]+)=(https?:\/\/\S+)$/.exec(entry);
    if (match === null) {
      throw new UsageError(`--verify-base-url must look like provider=http(s)://host/path, not "${entry}"`, {
        hint: 'e.g. --verify-base-url openai=http://127.0.0.1:8080/v1',
      });
    }
    urls[match[1] as string] = match[2] as string;
  }
  return urls;
}

/** The base URLs rekey's provider adapters read (OPENAI_BASE_URL…), so --verify asks the same endpoint a rotation would. */
const BASE_URL_VARIABLES: Readonly<Record<string, string>> = { openai: 'OPENAI_BASE_URL', anthropic: 'ANTHROPIC_BASE_URL', openrouter: 'OPENROUTER_BASE_URL' };

function baseUrlsFromEnvironment(): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const [provider, variable] of Object.entries(BASE_URL_VARIABLES)) {
    const value = process.env[variable]?.trim();
    if (value !== undefined && value !== '') urls[provider] = value;
  }
  return urls;
}

async function runScan(paths: string[], options: ScanOptions, wiring: ScanCommandWiring): Promise<void> {
  const format = parseFormat(options);
  const useStdin = options.stdin === true || paths.includes('-');
  const filePaths = paths.filter((path) => path !== '-');
  const modes = [options.git === true, options.staged === true, useStdin].filter(Boolean).length;
  if (modes > 1) throw new UsageError('choose one of --git, --staged and --stdin');
  if (options.rotate === true && wiring.rotate === undefined) {
    throw new UsageError('--rotate needs the rotation engine, which this build has not wired in', { hint: 'scan without --rotate and run `rekey rotate` for the credential' });
  }
  const cwd = process.cwd();

  const { createScanService } = await import('../../scan/scan-service.js');
  const { readBaseline, buildBaseline, writeBaseline } = await import('../../scan/baseline.js');
  const { formatFindingLine, formatSummary, reportToJson } = await import('../../scan/report-format.js');

  const baselinePath = options.baseline ?? (existsSync(join(cwd, DEFAULT_BASELINE_FILE)) ? join(cwd, DEFAULT_BASELINE_FILE) : undefined);
  const baseline = baselinePath === undefined || options.writeBaseline !== undefined ? undefined : await readBaseline(baselinePath);
  let verifier;
  if (options.verify === true) {
    const { createKeyVerifier } = await import('../../scan/key-verifier.js');
    const timeout = options.verifyTimeout === undefined ? undefined : Number(options.verifyTimeout);
    if (timeout !== undefined && !(timeout > 0)) throw new UsageError('--verify-timeout must be a positive number of milliseconds');
    verifier = createKeyVerifier({ baseUrls: { ...baseUrlsFromEnvironment(), ...parseBaseUrls(options.verifyBaseUrl) }, timeoutMs: timeout });
  }
  const workers = options.workers === undefined ? defaultWorkers() : Number(options.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError('--workers must be a whole number from 1 to 64');
  const rotations: Array<{ credential: string; key: string; action: string; seconds: number | undefined }> = [];
  const respond = options.rotate === true ? wiring.rotate : wiring.respondByPolicy;
  // One response per leaked key, however many places it was found in: the second finding of a
  // key just rotated would otherwise find it already gone and report a second, contradictory line.
  const responded = new Set<string>();
  const service = createScanService({
    parallelism: workers,
    baseline,
    verifier,
    // Opened only once there is a finding: a clean `scan --staged` never touches the store.
    loadOwnKeys: wiring.ownKeys,
    onOwnKeyFound: respond === undefined
      ? undefined
      : async (event) => {
        if (responded.has(event.fingerprint)) return;
        responded.add(event.fingerprint);
        const outcome = await respond(event);
        if (outcome === undefined) return;
        const deadAt = outcome.oldKeyDeadAt ?? undefined;
        rotations.push({
          credential: event.ownership.credential,
          key: `${outcome.version === undefined ? '' : `v${outcome.version}, `}${event.ownership.stage} when found`,
          action: outcome.action ?? 'emergency-rotation',
          seconds: deadAt === undefined ? undefined : (deadAt.getTime() - event.foundAt.getTime()) / 1000,
        });
      },
  });

  const streamText = format === 'text' && options.outFile === undefined;
  const report = await service.scan(
    {
      paths: modes === 0 ? (filePaths.length === 0 ? ['.'] : filePaths) : [],
      gitHistory: options.git === true ? (filePaths[0] ?? cwd) : undefined,
      staged: options.staged === true ? (filePaths[0] ?? cwd) : undefined,
      stream: useStdin ? process.stdin : undefined,
      streamName: useStdin ? 'stdin' : undefined,
      noIgnore: !options.ignore,
    },
    { onFinding: streamText ? (finding) => process.stdout.write(formatFindingLine(finding) + '\n') : undefined },
  );

  if (options.writeBaseline !== undefined) {
    const previous = existsSync(options.writeBaseline) ? await readBaseline(options.writeBaseline) : undefined;
    await writeBaseline(options.writeBaseline, buildBaseline(report.findings, previous));
    process.stderr.write(`wrote ${options.writeBaseline}: ${report.findings.length} finding(s) accepted (fingerprints only)\n`);
    return;
  }

  let rendered: string | undefined;
  if (format === 'json') rendered = JSON.stringify(reportToJson(report), null, 2) + '\n';
  else if (format === 'sarif') {
    const { toSarif } = await import('../../scan/sarif-report.js');
    rendered = JSON.stringify(toSarif(report.findings, { toolVersion: TOOL_VERSION }), null, 2) + '\n';
  } else if (!streamText) rendered = report.findings.map((finding) => formatFindingLine(finding) + '\n').join('');
  if (rendered !== undefined) {
    if (options.outFile === undefined) process.stdout.write(rendered);
    else await writeFile(options.outFile, rendered);
  }
  process.stderr.write(formatSummary(report) + '\n');
  for (const file of report.unreadable) process.stderr.write(`could not read ${file.path} (${file.reason}): not scanned\n`);
  // One line per leaked key of ours: what was done about it.
  for (const rotation of rotations) {
    const subject = `leak of ${rotation.credential} (${rotation.key})`;
    if (rotation.action === 'alert-only') {
      process.stderr.write(`${subject}: not rotated (its policy says onLeak: alert); make it dead now with \`rekey rotate ${rotation.credential} --emergency\` or \`rekey scan --rotate\`\n`);
    } else if (rotation.action === 'already-dead') {
      process.stderr.write(`${subject}: that key was already revoked; nothing to do\n`);
    } else {
      const dead = rotation.seconds === undefined ? 'old key not confirmed dead' : `old key dead ${rotation.seconds.toFixed(1)} s after the finding`;
      process.stderr.write(`${subject}: ${rotation.action}, ${dead}\n`);
    }
  }
  for (const failure of report.hookErrors) {
    process.stderr.write(`rotation for ${failure.hint} failed: ${failure.message}\n`);
  }
  if (options.staged === true && report.findings.length > 0) {
    process.stderr.write('commit blocked: the staged changes add an API key. Remove it, or accept it with `rekey scan --write-baseline .rekey-baseline.json`.\n');
  }
  if (report.findings.length > 0) process.exitCode = 3;
}

/** Registers `rekey scan` with the services it is given (the CLI's come from `cli-services.ts`; none: scan only). */
export function register(program: Command, wiring: ScanCommandWiring = {}): void {
  program
    .command('scan')
    .description('Find LLM API keys in files, git history, staged changes or standard input (exit 3 on findings)')
    .argument('[paths...]', 'files or directories (default: .); "-" reads standard input')
    .option('--git', 'scan the whole git history (every commit and branch) of the repository')
    .option('--staged', 'scan only the lines added by the staged changes (what the pre-commit hook runs)')
    .option('--stdin', 'scan standard input (a log stream); findings print as their line arrives')
    .option('--format <format>', 'text, json or sarif', 'text')
    .option('--json', 'same as --format json')
    .option('--out-file <file>', 'write the report to a file instead of standard output')
    .option('--no-ignore', 'scan files that .gitignore excludes')
    .option('--baseline <file>', `accept the findings listed in this baseline (default: ./${DEFAULT_BASELINE_FILE} if present)`)
    .option('--write-baseline <file>', 'write a baseline accepting every current finding, then exit 0')
    .option('--verify', 'check each finding with one authenticated request: live, dead or unknown')
    .option('--verify-base-url <provider=url>', 'override a provider base URL for --verify (repeatable; default: OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OPENROUTER_BASE_URL, else the public API)', collect, [])
    .option('--verify-timeout <ms>', 'timeout of each verification request')
    .option('--rotate', 'rotate every leaked key of ours at once (without it, only where the policy says onLeak: rotate)')
    .option('--workers <count>', 'worker threads for large directory scans (default: one per idle core, at most 4)')
    .action(async (paths: string[], options: ScanOptions) => {
      await runScan(paths, options, wiring);
    });
}
