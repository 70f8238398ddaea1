/**
 * The built binary loads only what the command needs: `--version` loads no command and not
 * even the argument parser; `scan --staged` (the pre-commit hook) loads no database driver,
 * cloud SDK, server framework or schema library, and does not open the store when clean.
 * Timing is measured in bench/scan, not here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REKEY_BIN } from '../helpers/cli-runner.js';
import { cliEnvironment, cliUnavailableReason } from '../scan/cli-harness.js';
import { createTempRepository } from '../scan/git-repo-helper.js';

const hook = resolve(import.meta.dirname, 'module-hook.mjs');
const logs = mkdtempSync(join(tmpdir(), 'rekey-modules-'));
afterAll(() => rmSync(logs, { recursive: true, force: true }));

function modulesLoadedBy(args: string[], cwd: string): { code: number | null; stdout: string; modules: string[] } {
  const log = join(logs, `${args.join('_').replace(/\W/g, '')}.log`);
  const result = spawnSync(process.execPath, ['--import', hook, REKEY_BIN, ...args], {
    cwd, env: { ...cliEnvironment(), REKEY_MODULE_LOG: log }, encoding: 'utf8',
  });
  const modules = readFileSync(log, 'utf8').split('\n').filter((line) => line.length > 0);
  return { code: result.status, stdout: result.stdout, modules };
}

const heavy = /node_modules\/(better-sqlite3|pg|pg-[a-z]+|@aws-sdk|@smithy|@kubernetes|hono|@hono|libsodium[^/]*|zod|yaml)\//;
const serverSide = /dist\/src\/(store|server|proxy|rotation|providers|sinks|emulator|vault|audit)\//;

describe.skipIf(cliUnavailableReason() !== undefined)('lazy command loading (built binary)', () => {
  it('--version loads only the entry and the version module', () => {
    const { code, stdout, modules } = modulesLoadedBy(['--version'], logs);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(modules.map((url) => url.replace(/.*\/dist\/src\//, ''))).toEqual(expect.arrayContaining(['cli/bin.js', 'cli/version.js']));
    expect(modules).toHaveLength(2);
  });

  it('scan --staged loads no driver, SDK, server framework or schema library and no server-side layer', () => {
    const repository = createTempRepository('rekey-lazy-');
    repository.write('app.ts', 'export const answer = 42;\n');
    repository.git('add', 'app.ts');
    const { code, modules } = modulesLoadedBy(['scan', '--staged'], repository.root);
    expect(code).toBe(0);
    expect(modules.some((url) => url.endsWith('/scan/targets/staged-changes.js'))).toBe(true);
    expect(modules.filter((url) => heavy.test(url))).toEqual([]);
    expect(modules.filter((url) => serverSide.test(url))).toEqual([]);
    expect(modules.filter((url) => /dist\/src\/cli\/commands\//.test(url)).map((url) => url.replace(/.*\//, ''))).toEqual(['scan-command.js']);
    rmSync(repository.root, { recursive: true, force: true });
  });

  it('rekey --help still lists every command (from the registry data)', () => {
    const result = spawnSync(process.execPath, [REKEY_BIN, '--help'], { env: cliEnvironment(), encoding: 'utf8' });
    expect(result.status).toBe(0);
    for (const name of ['init', 'credential', 'scan', 'hook', 'serve', 'emulator', 'scheduler', 'drill']) expect(result.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });
});
