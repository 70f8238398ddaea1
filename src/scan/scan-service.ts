/**
 * The scan service: runs targets (paths, git history, staged changes, a stream), turns
 * matches into findings, drops baselined ones, marks our own keys, verifies on request,
 * and calls `onOwnKeyFound` for each own key — the hook the CLI wires to an emergency
 * rotation (`--rotate`, policy `onLeak: rotate`). Findings are delivered as they are found
 * (`onFinding`) so a log stream is reported line by line, and also returned.
 */
import type { Readable } from 'node:stream';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { Baseline } from './baseline.js';
import { isBaselined } from './baseline.js';
import type { PositionedMatch } from './chunk-scanner.js';
import { createChunkScanner, sniffEncoding } from './chunk-scanner.js';
import type { CompiledDetectors } from './detectors/detector-registry.js';
import { defaultDetectors } from './detectors/detector-registry.js';
import type { Finding, FindingLocation, Verification } from './finding.js';
import { createFinding } from './finding.js';
import type { OwnKeyLookup, OwnKeyMatch } from './own-keys.js';
import { matchFindings } from './own-keys.js';
import type { ListedFile } from './targets/file-targets.js';
import { listFiles } from './targets/file-targets.js';
import { scanFilesInParallel } from './targets/parallel-file-scan.js';
import { scanGitHistory } from './targets/git-history.js';
import { scanStagedChanges } from './targets/staged-changes.js';

export interface KeyVerifier {
  verify(finding: Finding): Promise<Verification>;
  /** The verdict with, for `unknown`, why (optional; used instead of `verify` when present). */
  check?(finding: Finding): Promise<{ verdict: Verification; reason?: string | undefined }>;
}

/** What the `onOwnKeyFound` hook receives. `foundAt` starts the leak-to-dead clock. */
export interface OwnKeyFoundEvent {
  finding: Finding;
  ownership: OwnKeyMatch;
  /** The vault fingerprint of the leaked value (the store's version fingerprint). */
  fingerprint: string;
  foundAt: Date;
}

export type OwnKeys = { lookup: OwnKeyLookup; salt: Buffer } | { lookup: OwnKeyLookup; fingerprintOf: (value: string) => string };

export interface ScanServiceDependencies {
  compiled?: CompiledDetectors | undefined;
  /**
   * Recognises our own keys: a store-backed fingerprint lookup, and either the vault's salt
   * or the vault's `fingerprintOf` (the same HMAC either way).
   */
  ownKeys?: OwnKeys | undefined;
  /**
   * The same, loaded only when the scan has a finding to match (at most once): a clean
   * `scan --staged` then never opens the store. Ignored when `ownKeys` is given.
   */
  loadOwnKeys?: (() => Promise<OwnKeys | undefined>) | undefined;
  baseline?: Baseline | undefined;
  verifier?: KeyVerifier | undefined;
  /**
   * Called once per finding that is one of our keys, after it is reported. The CLI wires
   * this to the rotation engine's emergency rotation; awaited, so a scan ends only once
   * the hook has. A hook error is collected in `report.hookErrors`, the scan goes on.
   */
  onOwnKeyFound?: ((event: OwnKeyFoundEvent) => Promise<void> | void) | undefined;
  clock?: Clock | undefined;
  /**
   * Worker threads for directory targets (the CLI passes the core count). 1 or unset:
   * scan on the calling thread. Ignored when `compiled` is custom (workers use the
   * default detectors).
   */
  parallelism?: number | undefined;
}

export interface ScanRequest {
  /** Files and directories to scan (their current content). */
  paths?: readonly string[] | undefined;
  /** Scan the full history of the repository containing this directory. */
  gitHistory?: string | undefined;
  /** Scan only the lines added by the staged changes of this repository. */
  staged?: string | undefined;
  /** A byte stream: stdin, a log being tailed. */
  stream?: Readable | undefined;
  streamName?: string | undefined;
  noIgnore?: boolean | undefined;
}

export interface ScanStats {
  files: number;
  blobs: number;
  bytes: number;
  binaries: number;
  unreadable: number;
}

export interface ScanReport {
  findings: Finding[];
  /** Findings accepted by the baseline and left out. */
  suppressed: number;
  stats: ScanStats;
  hookErrors: Array<{ hint: string; message: string }>;
  /** The first 20 files that could not be read, with the reason (`EACCES`…): not clean, unknown. */
  unreadable: Array<{ path: string; reason: string }>;
}

export interface ScanCallbacks {
  onFinding?: ((finding: Finding) => void) | undefined;
}

export interface ScanService {
  scan(request: ScanRequest, callbacks?: ScanCallbacks): Promise<ScanReport>;
}

export function createScanService(dependencies: ScanServiceDependencies = {}): ScanService {
  const compiled = dependencies.compiled ?? defaultDetectors();
  const clock = dependencies.clock ?? systemClock;
  let ownKeys: Promise<OwnKeys | undefined> | undefined;
  const loadOwnKeys = (): Promise<OwnKeys | undefined> =>
    (ownKeys ??= dependencies.ownKeys !== undefined ? Promise.resolve(dependencies.ownKeys) : dependencies.loadOwnKeys?.() ?? Promise.resolve(undefined));

  return {
    async scan(request, callbacks = {}) {
      const report: ScanReport = {
        findings: [],
        suppressed: 0,
        stats: { files: 0, blobs: 0, bytes: 0, binaries: 0, unreadable: 0 },
        hookErrors: [],
        unreadable: [],
      };

      async function accept(found: Finding[]): Promise<void> {
        const kept = dependencies.baseline === undefined
          ? found
          : found.filter((finding) => !isBaselined(dependencies.baseline as Baseline, finding));
        report.suppressed += found.length - kept.length;
        if (kept.length === 0) return;
        const own = await loadOwnKeys();
        const owned = own === undefined ? [] : await matchFindings(kept, own.lookup, 'salt' in own ? own.salt : own.fingerprintOf);
        if (dependencies.verifier !== undefined) {
          const verifier = dependencies.verifier;
          for (const finding of kept) {
            if (verifier.check === undefined) finding.verification = await verifier.verify(finding);
            else {
              const checked = await verifier.check(finding);
              finding.verification = checked.verdict;
              if (checked.reason !== undefined) finding.verificationReason = checked.reason;
            }
          }
        }
        for (const finding of kept) {
          report.findings.push(finding);
          callbacks.onFinding?.(finding);
        }
        for (const own of owned) {
          if (dependencies.onOwnKeyFound === undefined) continue;
          try {
            await dependencies.onOwnKeyFound({ ...own, foundAt: clock.now() });
          } catch (error) {
            report.hookErrors.push({ hint: own.finding.hint, message: error instanceof Error ? error.message : String(error) });
          }
        }
      }

      const toFinding = (match: PositionedMatch, location: Omit<FindingLocation, 'line' | 'column' | 'byteOffset' | 'byteLength'>): Finding =>
        createFinding(match.detector, match.value, {
          ...location,
          line: match.line,
          column: match.column,
          byteOffset: match.byteOffset,
          byteLength: match.byteLength,
          ...(match.encoding === undefined ? {} : { encoding: match.encoding }),
        }, match.host);

      const workers = dependencies.compiled === undefined ? dependencies.parallelism ?? 1 : 1;
      const paths = request.paths ?? [];
      async function* everyFile(): AsyncGenerator<ListedFile> {
        for (const path of paths) yield* listFiles(path, { noIgnore: request.noIgnore });
      }
      // One pool for every path; small scans never start it (see scanFilesInParallel).
      await scanFilesInParallel(everyFile(), workers, async (file, result) => {
        if (result.kind === 'unreadable') {
          report.stats.unreadable += 1;
          if (report.unreadable.length < 20) report.unreadable.push({ path: file.relative, reason: result.reason });
          return;
        }
        report.stats.files += 1;
        report.stats.bytes += result.bytes;
        if (result.kind === 'binary') {
          report.stats.binaries += 1;
          return;
        }
        if (result.matches.length > 0) {
          await accept(result.matches.map((match) => toFinding(match, { source: 'file', path: file.relative })));
        }
      }, compiled);

      if (request.gitHistory !== undefined) {
        const pending: Finding[] = [];
        const summary = await scanGitHistory(request.gitHistory, ({ origin, match }) => {
          pending.push(toFinding(match, {
            source: 'git', path: origin.path, commit: origin.commit, author: origin.author, committedAt: origin.committedAt,
          }));
        }, compiled);
        report.stats.blobs += summary.blobs;
        report.stats.bytes += summary.bytes;
        report.stats.binaries += summary.binaries;
        await accept(pending);
      }

      if (request.staged !== undefined) {
        const staged = await scanStagedChanges(request.staged, compiled);
        await accept(staged.map(({ path, match }) => toFinding(match, { source: 'staged', path })));
      }

      if (request.stream !== undefined) {
        await scanStream(request.stream, compiled, async (matches) => {
          await accept(matches.map((match) => toFinding(match, { source: 'stdin', path: request.streamName ?? null })));
        }, report.stats);
      }
      return report;
    },
  };
}

/** Scans a byte stream chunk by chunk, reporting matches as soon as their line is complete. */
async function scanStream(
  stream: Readable,
  compiled: CompiledDetectors,
  onMatches: (matches: PositionedMatch[]) => Promise<void>,
  stats: ScanStats,
): Promise<void> {
  let scanner: ReturnType<typeof createChunkScanner> | undefined;
  let binary = false;
  stats.files += 1;
  for await (const chunk of stream) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'utf8');
    stats.bytes += bytes.length;
    if (binary) continue;
    if (scanner === undefined) {
      const sniff = sniffEncoding(bytes);
      if (sniff.encoding === 'binary') {
        binary = true;
        stats.binaries += 1;
        continue;
      }
      scanner = createChunkScanner({ encoding: sniff.encoding, bomLength: sniff.bomLength, compiled, acceptUpToLastLine: true });
    }
    const matches = scanner.push(bytes);
    if (matches.length > 0) await onMatches(matches);
  }
  if (scanner !== undefined) {
    const matches = scanner.finish();
    if (matches.length > 0) await onMatches(matches);
  }
}
