import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeKey, seededRandom } from '../../bench/scan/fake-key-generator.js';
import { spawnRekey } from '../helpers/cli-runner.js';
import { cliEnvironment, cliUnavailableReason, runCli } from './cli-harness.js';
import { createTempRepository } from './git-repo-helper.js';

const unavailable = cliUnavailableReason();
const random = seededRandom(51);
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function repository() {
  const created = createTempRepository('rekey-cli-repo-');
  roots.push(created.root);
  return created;
}

describe.skipIf(unavailable !== undefined)(`rekey scan / redact / hook (CLI)${unavailable === undefined ? '' : ` — skipped: ${unavailable}`}`, () => {
  it('exits 3 with findings (hint only), 0 when clean, 2 on bad input', async () => {
    const { root, write } = repository();
    const key = fakeKey('openai-service-account-key', random);
    write('clean.txt', 'nothing here\n');
    const clean = await runCli(['scan', 'clean.txt'], { cwd: root });
    expect(clean.code).toBe(0);
    write('app/.env', `OPENAI_API_KEY=${key}\n`);
    const dirty = await runCli(['scan', '.'], { cwd: root });
    expect(dirty.code).toBe(3);
    expect(dirty.stdout).toContain('app/.env:1:16  openai-service-account-key  sk-svcacct-…');
    expect(dirty.stdout + dirty.stderr).not.toContain(key);
    const bad = await runCli(['scan', '--format', 'xml'], { cwd: root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format must be text, json or sarif');
  });

  it('a directory scanned on worker threads reports every file, in listing order', async () => {
    const { root, write } = repository();
    const expected: string[] = [];
    for (let index = 0; index < 700; index += 1) {
      const path = `tree/${String(index % 7)}/file-${String(index).padStart(4, '0')}.txt`;
      if (index % 9 === 0) {
        write(path, `line one\nKEY=${fakeKey('groq-api-key', random)}\n`);
        expected.push(path);
      } else write(path, 'nothing\n'.repeat(index % 50));
    }
    const sequential = await runCli(['scan', '--json', '--workers', '1', '.'], { cwd: root });
    const parallel = await runCli(['scan', '--json', '--workers', '2', '.'], { cwd: root });
    const paths = (result: { stdout: string }) => (JSON.parse(result.stdout) as { findings: Array<{ path: string; line: number }> }).findings.map((finding) => `${finding.path}:${finding.line}`);
    expect(paths(parallel)).toEqual(expected.sort().map((path) => `${path}:2`));
    expect(paths(parallel)).toEqual(paths(sequential));
    expect((JSON.parse(parallel.stdout) as { stats: { files: number } }).stats.files).toBe(700);
  });

  it('writes SARIF and JSON, and a baseline accepts known findings', async () => {
    const { root, write } = repository();
    const key = fakeKey('groq-api-key', random);
    write('config.yaml', `groq:\n  api_key: "${key}"\n`);
    const sarif = await runCli(['scan', '--format', 'sarif', '.'], { cwd: root });
    expect(sarif.code).toBe(3);
    const log = JSON.parse(sarif.stdout) as { version: string; runs: Array<{ results: Array<{ ruleId: string }> }> };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]?.results.map((result) => result.ruleId)).toEqual(['groq-api-key']);
    const json = await runCli(['scan', '--json', '.'], { cwd: root });
    expect((JSON.parse(json.stdout) as { findings: Array<{ line: number }> }).findings.map((finding) => finding.line)).toEqual([2]);
    expect(sarif.stdout + json.stdout).not.toContain(key);

    const written = await runCli(['scan', '--write-baseline', '.rekey-baseline.json', '.'], { cwd: root });
    expect(written.code).toBe(0);
    expect(readFileSync(join(root, '.rekey-baseline.json'), 'utf8')).not.toContain(key);
    const accepted = await runCli(['scan', '.'], { cwd: root });
    expect(accepted.code).toBe(0);
    expect(accepted.stderr).toContain('1 accepted by the baseline');
  });

  it('scans standard input and git history', async () => {
    const { root, git, write } = repository();
    const key = fakeKey('xai-api-key', random);
    const piped = await runCli(['scan', '--stdin'], { cwd: root, input: `line\nXAI_API_KEY=${key}\n` });
    expect(piped.code).toBe(3);
    expect(piped.stdout).toContain('stdin:2:13  xai-api-key');
    write('leak.txt', `${key}\n`);
    git('add', '.');
    git('commit', '-q', '-m', 'leak');
    git('rm', '-q', 'leak.txt');
    git('commit', '-q', '-m', 'unleak');
    expect((await runCli(['scan', '.'], { cwd: root })).code).toBe(0);
    const history = await runCli(['scan', '--git'], { cwd: root });
    expect(history.code).toBe(3);
    expect(history.stdout).toMatch(/leak\.txt:1:1 {2}xai-api-key[\s\S]*by Ada Tester <ada@example\.test>/);
  });

  it('redact replaces keys line by line without waiting for the end of input', async () => {
    const key = fakeKey('anthropic-api-key', random);
    const child = spawnRekey(['redact'], { env: cliEnvironment() });
    let output = '';
    const firstLine = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('\n')) resolve();
      });
    });
    child.stdin.write(`{"msg":"calling claude","key":"${key}"} é\n`);
    await firstLine; // stdin is still open: the line came out on its own
    child.stdin.end('bye\n');
    await new Promise((resolve) => child.on('close', resolve));
    expect(output).toBe(`{"msg":"calling claude","key":"[REDACTED sk-ant-api03-…${key.slice(-4)}]"} é\nbye\n`);
  });

  it('the installed pre-commit hook blocks a commit adding a key and passes a clean one', async () => {
    const { root, git, write } = repository();
    const installed = await runCli(['hook', 'install'], { cwd: root });
    expect(installed.code).toBe(0);
    const script = readFileSync(join(root, '.git', 'hooks', 'pre-commit'), 'utf8');
    expect(script).toContain(`'${process.execPath}'`);
    expect(script).toContain('scan --staged');

    write('README.md', 'clean\n');
    git('add', '.');
    git('commit', '-q', '-m', 'clean commit');

    const key = fakeKey('openrouter-api-key', random);
    write('src/llm.ts', `const client = new OpenRouter({ apiKey: "${key}" });\n`);
    git('add', '.');
    const blocked = spawnSync('git', ['commit', '-q', '-m', 'add key'], { cwd: root, encoding: 'utf8', env: cliEnvironment() });
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain('openrouter-api-key');
    expect(blocked.stdout + blocked.stderr).not.toContain(key);
    expect(git('log', '--format=%s')).toBe('clean commit\n');

    const again = await runCli(['hook', 'install'], { cwd: root });
    expect(again.code).toBe(0);
    write('.git/hooks/pre-commit', '#!/bin/sh\nexit 0\n');
    const refused = await runCli(['hook', 'install'], { cwd: root });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('not written by rekey');
    expect(refused.stderr).toContain('hint:');
  });
});
