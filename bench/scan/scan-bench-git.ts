/**
 * bench:scan cases beyond directory throughput: git history (a repository of 10,000
 * commits, `rekey scan --git` vs a plain `git log -p --all | rg` pipeline), the pre-commit
 * hook (`rekey scan --staged` on a one-file staged change, cold start included, vs
 * `git diff --cached | rg`) and CLI cold start (`rekey --version` vs Node's own start).
 * Also: ripgrep is installed with apt when missing, or the benchmark refuses clearly.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeKey, keyGenerators, keywordOf, seededRandom } from './fake-key-generator.js';

/** ripgrep on PATH, installed with apt-get when missing; otherwise a clear refusal (exit 2). */
export function ensureRipgrep(): string {
  const probe = (): string | undefined => {
    const result = spawnSync('rg', ['--version'], { encoding: 'utf8' });
    return result.status === 0 ? (result.stdout.split('\n')[0] ?? 'ripgrep') : undefined;
  };
  let version = probe();
  if (version === undefined) {
    console.log('ripgrep is not installed: trying `apt-get install -y ripgrep`…');
    const asRoot = process.getuid?.() === 0 ? ['apt-get'] : ['sudo', '-n', 'apt-get'];
    spawnSync(asRoot[0] as string, [...asRoot.slice(1), 'install', '-y', 'ripgrep'], { stdio: 'inherit' });
    version = probe();
  }
  if (version === undefined) {
    console.error('bench:scan needs ripgrep (the practical-limit baseline) and could not install it.\nInstall it with `apt-get install -y ripgrep` and run again. Nothing was measured.');
    process.exit(2);
  }
  return version;
}

export interface Timing {
  medianSeconds: number;
  runs: number[];
}

function wallSeconds(command: string, args: readonly string[], options: { cwd?: string; shell?: boolean } = {}): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: options.cwd, encoding: 'utf8', maxBuffer: 1 << 30, shell: options.shell });
  if (result.error !== undefined) throw new Error(`could not run ${command}: ${result.error.message}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function timing(runs: number, measure: () => number): Timing {
  const values = Array.from({ length: runs }, measure);
  const sorted = [...values].sort((left, right) => left - right);
  return { medianSeconds: Number((sorted[Math.floor(sorted.length / 2)] as number).toFixed(4)), runs: values.map((value) => Number(value.toFixed(4))) };
}

const gitEnvironment = { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.test', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.test', GIT_CONFIG_NOSYSTEM: '1' };

/**
 * A repository of `commits` commits built with `git fast-import` (seconds, not minutes):
 * each commit rewrites one of 200 source files (~1.5 KB), and every 100th adds a fake key.
 */
export function createHistoryRepository(commits: number): { root: string; planted: number } {
  const root = mkdtempSync(join(tmpdir(), 'rekey-scan-bench-git-'));
  execFileSync('git', ['init', '-q', '-b', 'main', root], { env: gitEnvironment });
  const random = seededRandom(4242);
  const detectors = Object.keys(keyGenerators).filter((id) => id !== 'google-service-account-key');
  const chunks: string[] = [];
  let planted = 0;
  for (let commit = 1; commit <= commits; commit += 1) {
    const lines: string[] = [];
    for (let line = 0; line < 40; line += 1) lines.push(`export const value${commit}_${line} = compute(${Math.floor(random() * 1e9)}, "${commit}-${line}");`);
    if (commit % 100 === 0) {
      const detector = detectors[planted % detectors.length] as string;
      const host = detector.startsWith('azure-') ? 'endpoint = "https://bench.openai.azure.com/ https://bench.services.ai.azure.com/"\n' : '';
      lines.push(`${host}${keywordOf[detector] ?? 'LLM_API_KEY'}="${fakeKey(detector, random)}"`);
      planted += 1;
    }
    const content = lines.join('\n') + '\n';
    const message = `change ${commit}\n`;
    chunks.push(
      `commit refs/heads/main\nmark :${commit}\ncommitter Bench <bench@example.test> ${1_700_000_000 + commit * 60} +0000\ndata ${Buffer.byteLength(message)}\n${message}`
      + (commit > 1 ? `from :${commit - 1}\n` : '')
      + `M 100644 inline src/module-${commit % 200}.ts\ndata ${Buffer.byteLength(content)}\n${content}\n`,
    );
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: root, input: chunks.join(''), env: gitEnvironment, maxBuffer: 1 << 30 });
  execFileSync('git', ['checkout', '-q', 'main'], { cwd: root, env: gitEnvironment });
  return { root, planted };
}

export interface GitAndHookResults {
  gitHistory: Record<string, unknown>;
  stagedHook: Record<string, unknown>;
  coldStart: Record<string, unknown>;
}

export function measureGitAndHook(options: { cli: string; ripgrepRegex: string; runs: number; commits: number }): GitAndHookResults {
  const { cli, ripgrepRegex, runs, commits } = options;
  const repository = createHistoryRepository(commits);
  try {
    const rekeyGit = timing(runs, () => wallSeconds(process.execPath, [cli, 'scan', '--git', '--format', 'json', '--out-file', join(repository.root, '.git', 'report.json'), repository.root]));
    const report = JSON.parse(readFileSync(join(repository.root, '.git', 'report.json'), 'utf8')) as { findings: unknown[] };
    const pipeline = `git -C '${repository.root}' log -p --all | rg -c -e '${ripgrepRegex.replace(/'/g, `'\\''`)}'`;
    const ripgrepGit = timing(runs, () => wallSeconds('sh', ['-c', pipeline]));
    const rgCount = Number(spawnSync('sh', ['-c', pipeline], { encoding: 'utf8' }).stdout.trim() || '0');
    const historyBytes = Number(spawnSync('sh', ['-c', `git -C '${repository.root}' log -p --all | wc -c`], { encoding: 'utf8' }).stdout.trim());

    // The hook: one staged file of ~50 lines with no key (the usual commit), then one with a key.
    writeFileSync(join(repository.root, 'src', 'feature.ts'), Array.from({ length: 50 }, (_value, line) => `export const feature${line} = ${line};`).join('\n') + '\n');
    execFileSync('git', ['add', 'src/feature.ts'], { cwd: repository.root, env: gitEnvironment });
    const home = join(repository.root, '.git', 'no-rekey-home');
    const hookEnvironment = `REKEY_HOME='${home}'`;
    const stagedClean = timing(runs * 5, () => wallSeconds('sh', ['-c', `${hookEnvironment} '${process.execPath}' '${cli}' scan --staged`], { cwd: repository.root }));
    const stagedPipeline = timing(runs * 5, () => wallSeconds('sh', ['-c', `git diff --cached -U0 | rg -c -e '${ripgrepRegex.replace(/'/g, `'\\''`)}'; true`], { cwd: repository.root }));
    const version = timing(runs * 5, () => wallSeconds(process.execPath, [cli, '--version']));
    const nodeAlone = timing(runs * 5, () => wallSeconds(process.execPath, ['-e', '0']));
    const files = readdirSync(join(repository.root, 'src')).length;
    return {
      gitHistory: {
        commits, files, plantedKeys: repository.planted, historyPatchBytes: historyBytes,
        rekey: { ...rekeyGit, findings: report.findings.length, command: 'rekey scan --git (cold start included)' },
        ripgrepPipeline: { ...ripgrepGit, matchingLines: rgCount, command: 'git log -p --all | rg -c -e <union>' },
        ratioRekeyToPipeline: Number((rekeyGit.medianSeconds / ripgrepGit.medianSeconds).toFixed(2)),
      },
      stagedHook: {
        change: 'one new 50-line file staged, no key', rekey: { ...stagedClean, command: 'rekey scan --staged (cold start included)' },
        ripgrepPipeline: { ...stagedPipeline, command: 'git diff --cached -U0 | rg -c -e <union>' },
      },
      coldStart: { rekeyVersion: version, nodeEmptyScript: nodeAlone },
    };
  } finally {
    rmSync(repository.root, { recursive: true, force: true });
  }
}
