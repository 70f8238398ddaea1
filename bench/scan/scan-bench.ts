/**
 * `bench:scan` — throughput and peak memory of `rekey scan` against secretlint (preset
 * recommend, installed into a temporary directory) and ripgrep (union regex), side by side
 * on one generated corpus of 25, 50 and 100 MB, and on the project's own node_modules (a
 * real tree without planted keys). Writes bench/scan/results.json.
 *
 * The corpus (in a temporary directory, deleted afterwards) is real source text — the
 * project's own node_modules files — with fake keys of every format planted every ~100 KB,
 * plus a few 8 MB log files (streamed in chunks). Each tool runs `BENCH_RUNS` times per
 * size (default 3); figures are medians. Wall time and peak RSS come from /usr/bin/time.
 *
 * Plus (scan-bench-git.ts) git history of 10,000 commits vs `git log -p | rg`, the
 * pre-commit hook and cold start, and a CPU profile of one 100 MB scan (cpu-profile.ts).
 *
 * Usage: node dist/bench/scan/scan-bench.js [--keep] [--skip-secretlint]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { profileScan } from './cpu-profile.js';
import { companionLine, fakeKey, keyGenerators, keywordOf, seededRandom, structuredOnly, type Random } from './fake-key-generator.js';
import { ensureRipgrep, measureGitAndHook } from './scan-bench-git.js';

const repositoryRoot = resolve(import.meta.dirname, '..', '..', '..');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const PARTS = [
  { name: 'part-1', megabytes: 25 },
  { name: 'part-2', megabytes: 25 },
  { name: 'part-3', megabytes: 50 },
];
const SIZES = [
  { megabytes: 25, parts: ['part-1'] },
  { megabytes: 50, parts: ['part-1', 'part-2'] },
  { megabytes: 100, parts: ['part-1', 'part-2', 'part-3'] },
];
const SECRETLINT_PACKAGES = ['secretlint@13.0.6', '@secretlint/secretlint-rule-preset-recommend@13.0.7'];
const TEXT_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.md', '.json', '.yml', '.yaml', '.txt']);

/** ripgrep baseline: the union of the prefixed formats (Rust regex: no lookaround) plus keyword forms on one line. */
export const RIPGREP_UNION = [
  'sk-[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200}',
  'sk-None-[A-Za-z0-9_-]{32,200}',
  'sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,140}AA',
  'AIza[A-Za-z0-9_-]{33,37}',
  'gsk_[A-Za-z0-9]{44,60}',
  'sk-or-v[0-9]-[0-9a-f]{56,72}',
  'xai-[A-Za-z0-9_]{60,100}',
  'hf_[A-Za-z0-9]{30,40}',
  'api_org_[A-Za-z0-9]{30,40}',
  'r8_[A-Za-z0-9_-]{32,42}',
  'pplx-[A-Za-z0-9]{40,56}',
  'lsv2_(?:pt|sk)_[0-9a-f]{28,36}_[0-9a-f]{8,12}',
  '(?i:deepseek)[^\\n]{0,60}?sk-[0-9a-f]{30,36}',
  '(?i:cohere|co_api_key)[^\\n]{0,60}?[A-Za-z0-9]{38,42}',
  '(?i:mistral)[^\\n]{0,60}?[A-Za-z0-9]{30,34}',
  '(?i:together)[^\\n]{0,60}?(?:tgp_v1_[A-Za-z0-9_-]{36,60}|[0-9a-f]{64})',
  '(?i:fireworks)[^\\n]{0,60}?(?:fw_[A-Za-z0-9]{16,60}|[A-Za-z0-9]{40,56})',
  '(?i:key)[^\\n]{0,30}?[0-9a-fA-F]{32}',
  // The AI-platform prefixes (issue #19).
  'sk_[0-9a-f]{48}', 'nvapi-[A-Za-z0-9_-]{60,70}', 'csk-[a-z0-9]{44,52}', 'pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{50,80}',
  'pa-[A-Za-z0-9_-]{40,48}', 'jina_[A-Za-z0-9_-]{56,66}', 'key_[0-9a-f]{128}', 'luma-[0-9a-f-]{73}', 'sk-lf-[0-9a-f-]{36}',
  'sgp_[0-9a-f_]{40,60}', 'ABSKQmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{40,300}',
  '(?i:deepgram|wandb|elevenlabs|assemblyai|clarifai)[^\\n]{0,60}?[0-9a-f]{32,40}',
].join('|');

interface Measurement {
  seconds: number;
  /** User + system CPU time of the process and its threads: less sensitive than wall time to a busy machine. */
  cpuSeconds: number;
  peakRssMegabytes: number;
  findings: number;
}

function treeBytes(directory: string): number {
  let total = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) total += treeBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

function collectSourceFiles(directory: string, into: string[]): void {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) collectSourceFiles(path, into);
    else if (entry.isFile() && TEXT_EXTENSIONS.has(extname(entry.name))) into.push(path);
  }
}

function keyLine(random: Random, index: number): { line: string; value: string } {
  const detectors = Object.keys(keyGenerators).filter((id) => !structuredOnly.has(id));
  const detector = detectors[index % detectors.length] as string;
  const value = fakeKey(detector, random, index);
  const name = keywordOf[detector] ?? 'LLM_API_KEY';
  const companion = companionLine(detector, 0);
  const host = companion === undefined ? '' : `${companion}\n`;
  return { line: `${host}${name}="${value}"\n`, value };
}

interface Corpus {
  root: string;
  bytes: Record<string, number>;
  files: Record<string, number>;
  planted: Record<string, number>;
}

function generateCorpus(): Corpus {
  const root = mkdtempSync(join(tmpdir(), 'rekey-scan-bench-'));
  const sources: string[] = [];
  collectSourceFiles(join(repositoryRoot, 'node_modules'), sources);
  sources.sort();
  const random = seededRandom(100);
  const corpus: Corpus = { root, bytes: {}, files: {}, planted: {} };
  let sourceIndex = 0;
  let keyIndex = 0;
  for (const part of PARTS) {
    const directory = join(root, part.name);
    mkdirSync(directory, { recursive: true });
    const target = part.megabytes * 1e6;
    let bytes = 0;
    let files = 0;
    let planted = 0;
    const plant = (text: string): string => {
      const lines = text.split('\n');
      const count = Math.max(0, Math.round(text.length / 100_000));
      for (let index = 0; index < count; index += 1) {
        const at = Math.floor(random() * lines.length);
        lines.splice(at, 0, keyLine(random, keyIndex).line.replace(/\n$/, ''));
        keyIndex += 1;
        planted += 1;
      }
      return lines.join('\n');
    };
    if (part.name === 'part-3') {
      // Four 8 MB logs: streamed by the scanner in chunks.
      for (let log = 0; log < 4; log += 1) {
        const lines: string[] = [];
        let size = 0;
        while (size < 8e6) {
          const line = `2026-04-02T09:${String(log).padStart(2, '0')}:00Z INFO request id=${Math.floor(random() * 1e9)} path=/v1/chat/completions status=200 ms=${Math.floor(random() * 900)}`;
          lines.push(line);
          size += line.length + 1;
        }
        const text = plant(lines.join('\n') + '\n');
        writeFileSync(join(directory, `service-${log}.log`), text);
        bytes += Buffer.byteLength(text);
        files += 1;
      }
    }
    while (bytes < target) {
      const source = sources[sourceIndex % sources.length] as string;
      sourceIndex += 1;
      const size = statSync(source).size;
      if (size === 0 || size > 2e6) continue;
      const text = plant(readFileSync(source, 'latin1'));
      const subdirectory = join(directory, String(files % 50));
      mkdirSync(subdirectory, { recursive: true });
      writeFileSync(join(subdirectory, `${files}${extname(source)}`), text, 'latin1');
      bytes += Buffer.byteLength(text, 'latin1');
      files += 1;
    }
    corpus.bytes[part.name] = bytes;
    corpus.files[part.name] = files;
    corpus.planted[part.name] = planted;
  }
  return corpus;
}

/** Runs a command under /usr/bin/time; returns wall seconds, peak RSS and stdout. */
function timed(command: string, args: readonly string[]): { seconds: number; cpuSeconds: number; peakRssMegabytes: number; stdout: string; status: number | null } {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const lines = result.stderr.trim().split('\n');
  const [seconds = 'NaN', user = 'NaN', system = 'NaN', kilobytes = 'NaN'] = (lines[lines.length - 1] ?? '').split(' ');
  if (!(Number(seconds) > 0)) throw new Error(`${command} did not run (exit ${result.status ?? 'signal'}): no time measured`);
  return {
    seconds: Number(seconds),
    cpuSeconds: Number((Number(user) + Number(system)).toFixed(2)),
    peakRssMegabytes: Number(kilobytes) / 1024,
    stdout: result.stdout,
    status: result.status,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function installSecretlint(): string {
  const prefix = mkdtempSync(join(tmpdir(), 'rekey-secretlint-'));
  execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', ...SECRETLINT_PACKAGES], { stdio: 'inherit' });
  return prefix;
}

function runRekey(directories: string[], workers: number): Measurement {
  const result = timed('env', [`REKEY_SCAN_WORKERS=${workers}`, process.execPath, join(repositoryRoot, 'dist', 'bench', 'scan', 'scan-bench-rekey.js'), ...directories]);
  const parsed = JSON.parse(result.stdout) as { findings: number };
  return { seconds: result.seconds, cpuSeconds: result.cpuSeconds, peakRssMegabytes: result.peakRssMegabytes, findings: parsed.findings };
}

type Tool = { name: string; run: (directories: string[]) => Measurement };

function tools(secretlintPrefix: string | undefined): Tool[] {
  const list: Tool[] = [
    {
      name: 'rekey (1 thread)',
      run: (directories) => runRekey(directories, 1),
    },
    {
      name: `rekey (${availableParallelism()} workers)`,
      run: (directories) => runRekey(directories, availableParallelism()),
    },
    {
      name: 'ripgrep (2 threads)',
      run: (directories) => {
        const result = timed('rg', ['-c', '--no-ignore', '--no-messages', '-e', RIPGREP_UNION, ...directories]);
        const findings = result.stdout.split('\n').filter(Boolean).reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(':') + 1)), 0);
        return { seconds: result.seconds, cpuSeconds: result.cpuSeconds, peakRssMegabytes: result.peakRssMegabytes, findings };
      },
    },
    {
      name: 'ripgrep (1 thread)',
      run: (directories) => {
        const result = timed('rg', ['-j1', '-c', '--no-ignore', '--no-messages', '-e', RIPGREP_UNION, ...directories]);
        const findings = result.stdout.split('\n').filter(Boolean).reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(':') + 1)), 0);
        return { seconds: result.seconds, cpuSeconds: result.cpuSeconds, peakRssMegabytes: result.peakRssMegabytes, findings };
      },
    },
  ];
  if (secretlintPrefix !== undefined) {
    const binary = join(secretlintPrefix, 'node_modules', 'secretlint', 'bin', 'secretlint.js');
    list.push({
      name: 'secretlint (preset recommend)',
      run: (directories) => {
        const output = join(secretlintPrefix, 'report.json');
        rmSync(output, { force: true });
        const result = timed(process.execPath, [
          binary, '--secretlintrcJSON', '{"rules":[{"id":"@secretlint/secretlint-rule-preset-recommend"}]}',
          '--format', 'json', '--no-gitignore', '--output', output, ...directories.map((directory) => `${directory}/**/*`),
        ]);
        let findings = 0;
        try {
          const report = JSON.parse(readFileSync(output, 'utf8')) as Array<{ messages: unknown[] }>;
          findings = report.reduce((sum, file) => sum + file.messages.length, 0);
        } catch {
          findings = -1;
        }
        return { seconds: result.seconds, cpuSeconds: result.cpuSeconds, peakRssMegabytes: result.peakRssMegabytes, findings };
      },
    });
  }
  return list;
}

function main(): void {
  const ripgrepVersion = ensureRipgrep();
  const keep = process.argv.includes('--keep');
  const skipSecretlint = process.argv.includes('--skip-secretlint');
  const loadBefore = loadavg();
  console.log('generating the corpus…');
  const corpus = generateCorpus();
  const secretlintPrefix = skipSecretlint ? undefined : installSecretlint();
  const results: Array<Record<string, unknown>> = [];
  let profile: ReturnType<typeof profileScan> | undefined;
  try {
    const realTree = join(corpus.root, 'real-tree');
    cpSync(join(repositoryRoot, 'node_modules'), realTree, { recursive: true, dereference: false, verbatimSymlinks: true });
    const scenarios = [
      ...SIZES.map((size) => ({
        label: `generated ${size.megabytes} MB`,
        sizeMegabytes: size.megabytes as number | null,
        directories: size.parts.map((part) => join(corpus.root, part)),
        bytes: size.parts.reduce((sum, part) => sum + (corpus.bytes[part] ?? 0), 0),
        planted: size.parts.reduce((sum, part) => sum + (corpus.planted[part] ?? 0), 0) as number | null,
      })),
      // A real tree with no planted key: a copy of the project's own node_modules (copied,
      // because secretlint skips any path under a directory named node_modules).
      { label: 'node_modules copy', sizeMegabytes: null, directories: [realTree], bytes: treeBytes(realTree), planted: null },
    ];
    for (const scenario of scenarios) {
      for (const tool of tools(secretlintPrefix)) {
        const runs: Measurement[] = [];
        for (let run = 0; run < RUNS; run += 1) runs.push(tool.run(scenario.directories));
        const seconds = median(runs.map((measurement) => measurement.seconds));
        const cpuSeconds = median(runs.map((measurement) => measurement.cpuSeconds));
        const entry = {
          tool: tool.name,
          scenario: scenario.label,
          sizeMegabytes: scenario.sizeMegabytes,
          bytes: scenario.bytes,
          plantedKeys: scenario.planted,
          runs,
          medianSeconds: seconds,
          medianMegabytesPerSecond: Number((scenario.bytes / 1e6 / seconds).toFixed(1)),
          medianCpuSeconds: cpuSeconds,
          megabytesPerCpuSecond: Number((scenario.bytes / 1e6 / cpuSeconds).toFixed(1)),
          medianPeakRssMegabytes: Number(median(runs.map((measurement) => measurement.peakRssMegabytes)).toFixed(1)),
          findings: runs[0]?.findings,
        };
        results.push(entry);
        console.log(`${scenario.label.padEnd(18)} ${tool.name.padEnd(30)} ${entry.medianMegabytesPerSecond.toFixed(1).padStart(8)} MB/s  ${entry.megabytesPerCpuSecond.toFixed(1).padStart(8)} MB/cpu-s  peak ${entry.medianPeakRssMegabytes.toFixed(0).padStart(5)} MB  findings ${entry.findings} (planted ${scenario.planted ?? '-'})`);
      }
    }
    profile = profileScan(join(repositoryRoot, 'dist', 'bench', 'scan', 'scan-bench-rekey.js'), SIZES[2]?.parts.map((part) => join(corpus.root, part)) ?? []);
    console.log('profile (100 MB, 1 thread):', JSON.stringify(profile.topSelfTime.slice(0, 6)));
  } finally {
    if (!keep) rmSync(corpus.root, { recursive: true, force: true });
    if (secretlintPrefix !== undefined) rmSync(secretlintPrefix, { recursive: true, force: true });
  }
  const figure = (tool: string, scenario: string, field: string): number =>
    Number(results.find((entry) => entry.tool === tool && entry['scenario'] === scenario)?.[field] ?? NaN);
  const ratio = (numerator: number, denominator: number): number => Number((numerator / denominator).toFixed(2));
  const workersTool = `rekey (${availableParallelism()} workers)`;
  const ratios: Record<string, number> = {};
  for (const scenario of ['generated 100 MB', 'node_modules copy']) {
    for (const field of ['medianMegabytesPerSecond', 'megabytesPerCpuSecond']) {
      const rekeyBest = Math.max(figure('rekey (1 thread)', scenario, field), figure(workersTool, scenario, field));
      ratios[`${scenario}, ${field}: rekey best / secretlint`] = ratio(rekeyBest, figure('secretlint (preset recommend)', scenario, field));
      ratios[`${scenario}, ${field}: ripgrep 2 threads / rekey best`] = ratio(figure('ripgrep (2 threads)', scenario, field), rekeyBest);
      ratios[`${scenario}, ${field}: ripgrep 1 thread / rekey 1 thread`] = ratio(figure('ripgrep (1 thread)', scenario, field), figure('rekey (1 thread)', scenario, field));
    }
  }
  console.log('git history, staged hook and cold start…');
  const gitAndHook = measureGitAndHook({
    cli: join(repositoryRoot, 'dist', 'src', 'cli', 'bin.js'), ripgrepRegex: RIPGREP_UNION, runs: RUNS, commits: Number(process.env['BENCH_GIT_COMMITS'] ?? 10_000),
  });
  console.log(JSON.stringify(gitAndHook, null, 1));
  const output = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGigabytes: Number((totalmem() / 2 ** 30).toFixed(1)),
      platform: `${platform()} ${release()}`,
      node: process.version,
      loadAverageBefore: loadBefore.map((value) => Number(value.toFixed(2))),
      loadAverageAfter: loadavg().map((value) => Number(value.toFixed(2))),
    },
    runsPerFigure: RUNS,
    corpus: { files: corpus.files, bytes: corpus.bytes, plantedKeys: corpus.planted, source: 'node_modules text files + 8 MB generated logs, fake keys planted every ~100 KB' },
    tools: { secretlint: skipSecretlint ? 'skipped' : SECRETLINT_PACKAGES.join(' '), ripgrep: ripgrepVersion, ripgrepRegex: RIPGREP_UNION },
    results,
    ratios,
    ...gitAndHook,
    profile,
  };
  writeFileSync(join(repositoryRoot, 'bench', 'scan', 'results.json'), JSON.stringify(output, null, 2) + '\n');
  console.log('ratios', ratios);
  console.log('wrote bench/scan/results.json');
}

main();
