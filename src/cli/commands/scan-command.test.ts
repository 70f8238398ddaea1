import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { fakeKey, seededRandom } from '../../../bench/scan/fake-key-generator.js';
import { fingerprint } from '../../crypto/fingerprint.js';
import { createMemoryLookup } from '../../scan/own-keys.js';
import { register, type ScanCommandWiring } from './scan-command.js';

const directory = mkdtempSync(join(tmpdir(), 'rekey-scan-command-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let wiring: ScanCommandWiring = {};
afterEach(() => {
  wiring = {};
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function run(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const program = new Command('rekey').exitOverride();
  register(program, wiring);
  await program.parseAsync(['node', 'rekey', 'scan', '--workers', '1', ...args]);
  const exitCode = process.exitCode === undefined ? undefined : Number(process.exitCode);
  vi.restoreAllMocks();
  return { stdout, stderr, exitCode };
}

describe('rekey scan: own keys and the leak response wiring', () => {
  const salt = randomBytes(32);
  const key = fakeKey('openai-project-key', seededRandom(81));
  const file = join(directory, 'app.env');
  writeFileSync(file, `OPENAI_API_KEY=${key}\n`);
  const ownKeys = async () => ({ salt, lookup: createMemoryLookup([[fingerprint(salt, key), { credential: 'openai/app/prod', stage: 'current' }]]) });

  it('marks our key; without --rotate only the policy response runs (here: nothing to do)', async () => {
    const calls: string[] = [];
    wiring = {
      ownKeys,
      rotate: async () => {
        calls.push('rotate');
      },
      respondByPolicy: async (event) => (calls.push(`policy:${event.ownership.credential}`), undefined),
    };
    const result = await run([file]);
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toContain('ours: openai/app/prod (current)');
    expect(calls).toEqual(['policy:openai/app/prod']);
    expect(result.stderr).not.toContain('leak of');
    expect(result.stdout + result.stderr).not.toContain(key);
  });

  it('with --rotate, rotates each own key and prints the time from finding to old key dead', async () => {
    const calls: string[] = [];
    wiring = {
      ownKeys,
      rotate: async (event) => (calls.push(event.ownership.stage), { oldKeyDeadAt: new Date(event.foundAt.getTime() + 1500) }),
      respondByPolicy: async () => (calls.push('policy'), undefined),
    };
    const result = await run(['--rotate', file]);
    expect(calls).toEqual(['current']);
    expect(result.stderr).toContain('leak of openai/app/prod (current when found): emergency-rotation, old key dead 1.5 s after the finding');
    expect(result.exitCode).toBe(3);
  });

  it('one key found in several places is responded to once, in one line', async () => {
    writeFileSync(file, `OPENAI_API_KEY=${key}\nOPENAI_API_KEY_V3=${key}\n`);
    const calls: string[] = [];
    wiring = { ownKeys, rotate: async (event) => (calls.push(event.ownership.stage), { version: 3, oldKeyDeadAt: new Date(event.foundAt.getTime() + 800) }) };
    const result = await run(['--rotate', file]);
    expect(calls).toEqual(['current']);
    expect(result.stderr.match(/leak of /g)).toHaveLength(1);
    expect(result.stderr).toContain('leak of openai/app/prod (v3, current when found): emergency-rotation, old key dead 0.8 s after the finding');
  });

  it('without --rotate, a live key of ours not rotated by policy says why and the command that makes it dead', async () => {
    wiring = { ownKeys, rotate: async () => undefined, respondByPolicy: async () => ({ action: 'alert-only', version: 3 }) };
    const result = await run([file]);
    expect(result.stderr).toContain('leak of openai/app/prod (v3, current when found): not rotated (its policy says onLeak: alert); make it dead now with `rekey rotate openai/app/prod --emergency` or `rekey scan --rotate`');
  });

  it('a rotation that fails is reported, and the scan still reports its findings', async () => {
    wiring = { ownKeys, rotate: async () => { throw new Error('provider down'); } };
    const result = await run(['--rotate', file]);
    expect(result.stderr).toContain('rotation for sk-proj-…');
    expect(result.stderr).toContain('failed: provider down');
    expect(result.exitCode).toBe(3);
  });

  it('--rotate without a wired rotation engine is a usage error', async () => {
    wiring = { ownKeys };
    await expect(run(['--rotate', file])).rejects.toThrow(/--rotate needs the rotation engine/);
  });
});
