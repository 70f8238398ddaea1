/**
 * The rotation commands in process (the lead wires them into `rekey`): init, a
 * credential on the emulator, a consumer, a dry run, a rotation, list/show, due, and an
 * emergency rotation with its time to old-key-dead.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { register as registerConsumer } from '../../src/cli/commands/consumer-command.js';
import { register as registerInit } from '../../src/cli/commands/init-command.js';
import { register as registerRotate } from '../../src/cli/commands/rotate-command.js';
import { register as registerRotations } from '../../src/cli/commands/rotations-command.js';
import { withCliContext } from '../../src/cli/cli-context.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { seedCredential } from '../helpers/credential-seed.js';

describe('rotation CLI commands', () => {
  let emulator: RunningEmulator;
  let home: string;
  let envPath: string;
  let seededKey = '';

  async function rekey(...args: string[]): Promise<{ stdout: string; exitCode: number }> {
    const program = new Command('rekey').exitOverride();
    for (const register of [registerInit, registerRotate, registerRotations, registerConsumer]) register(program);
    let stdout = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return true;
    });
    const errorWrite = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    process.exitCode = undefined;
    try {
      await program.parseAsync(['node', 'rekey', ...args]);
    } finally {
      write.mockRestore();
      errorWrite.mockRestore();
    }
    const exitCode = Number(process.exitCode ?? 0);
    process.exitCode = undefined;
    return { stdout, exitCode };
  }

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: 9 });
    home = await mkdtemp(join(tmpdir(), 'rekey-cli-rotation-'));
    envPath = join(home, 'app.env');
    process.env.REKEY_HOME = join(home, 'data');
    process.env.OPENAI_ADMIN_KEY = emulator.adminKeys.openai.reveal();
    process.env.OPENAI_BASE_URL = emulator.openaiBaseUrl;
    await rekey('init');
    const seeded = await emulator.seedOpenAIProject('cli');
    seededKey = seeded.key.reveal();
    await withCliContext((context) =>
      seedCredential(context, { name: 'openai/cli/dev', value: seeded.key, providerKeyId: seeded.keyId, scope: { project: seeded.projectId }, allowedModels: ['gpt-4o-mini'], policy: { rotateEveryDays: 30 } }),
    );
  });
  afterAll(async () => {
    await emulator.close();
    await rm(home, { recursive: true, force: true });
  });

  it('adds and lists a consumer, validating its options first', async () => {
    const added = await rekey('consumer', 'add', 'openai/cli/dev', 'app-env', '--path', envPath, '--var', 'OPENAI_API_KEY', '--json');
    expect(JSON.parse(added.stdout)).toMatchObject({ name: 'app-env', kind: 'env-file', config: { path: envPath, name: 'OPENAI_API_KEY' } });
    await expect(rekey('consumer', 'add', 'openai/cli/dev', 'bad', '--path', envPath, '--var', 'not a name')).rejects.toThrow(/env-file option "name"/);
    const listed = await rekey('consumer', 'list', 'openai/cli/dev', '--json');
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((consumer) => consumer.name)).toEqual(['app-env']);
  });

  it('prints a dry-run plan and changes nothing', async () => {
    const { stdout, exitCode } = await rekey('rotate', 'openai/cli/dev', '--dry-run', '--json');
    expect(exitCode).toBe(0);
    const plan = JSON.parse(stdout) as { nextVersion: number; consumers: Array<{ diff: string[] }>; problems: string[] };
    expect(plan.nextVersion).toBe(2);
    expect(plan.problems).toEqual([]);
    expect(plan.consumers[0]?.diff).toContain('+ OPENAI_API_KEY_V2=rekey-…-key');
    await expect(readFile(envPath, 'utf8')).rejects.toThrow();
  });

  it('rotates, then lists and shows the rotation', async () => {
    const { stdout, exitCode } = await rekey('rotate', 'openai/cli/dev', '--grace-quiet', '1s', '--json');
    expect(exitCode).toBe(0);
    const outcome = JSON.parse(stdout) as { rotation: string; state: string; from: number; to: number };
    expect(outcome).toMatchObject({ state: 'done', from: 1, to: 2 });
    expect(emulator.isKeyLive(seededKey)).toBe(false);
    expect(await readFile(envPath, 'utf8')).toMatch(/^OPENAI_API_KEY=sk-.*\nOPENAI_API_KEY_V2=sk-/);

    const list = JSON.parse((await rekey('rotations', 'list', '--json')).stdout) as Array<{ rotation: string; state: string }>;
    expect(list).toEqual([expect.objectContaining({ rotation: outcome.rotation, state: 'done' })]);
    const shown = await rekey('rotations', 'show', outcome.rotation);
    expect(shown.stdout).toContain('state: done');
    expect(shown.stdout).toContain('revoke-old end → old-revoked');
    await expect(rekey('rotations', 'rollback', outcome.rotation, '--yes')).rejects.toThrow(/has ended/);
  });

  it('reports nothing due right after a rotation; the scheduler checks once', async () => {
    expect((await rekey('rotate', '--due', '--dry-run')).stdout).toBe('nothing is due\n');
    const tick = JSON.parse((await rekey('scheduler', '--once', '--json')).stdout) as { leader: boolean; resumed: unknown[]; due: unknown[] };
    expect(tick).toMatchObject({ leader: true, resumed: [], due: [] });
  });

  it('runs an emergency rotation and reports the time to old key dead', async () => {
    const { stdout } = await rekey('rotate', 'openai/cli/dev', '--emergency', '--json');
    const outcome = JSON.parse(stdout) as { state: string; kind: string; secondsToOldKeyDead: number };
    expect(outcome).toMatchObject({ state: 'done', kind: 'emergency' });
    expect(outcome.secondsToOldKeyDead).toBeGreaterThan(0);
    expect(outcome.secondsToOldKeyDead).toBeLessThan(60);
  });

  it('makes a leaked key dead for scan --rotate and says when', async () => {
    const { rotateLeakedKey } = await import('../../src/cli/cli-services.js');
    const { current, value } = await withCliContext(async ({ store, vault }) => {
      const credential = await store.getCredential('openai/cli/dev');
      const version = credential === undefined ? undefined : await store.getVersionByStage(credential.id, 'current');
      if (credential === undefined || version === undefined) throw new Error('no current version');
      return { current: version, value: await vault.reveal(credential, version.number) };
    });
    const foundAt = new Date();
    const result = await rotateLeakedKey({ fingerprint: current.fingerprint, foundAt, where: 'logs/app.log:12' });
    expect(result.oldKeyDeadAt?.getTime()).toBeGreaterThanOrEqual(foundAt.getTime());
    expect(emulator.isKeyLive(value.reveal())).toBe(false);
  });

  it('rejects bad usage with a usage error', async () => {
    await expect(rekey('rotate')).rejects.toThrow(/name the credential to rotate, or pass --due/);
    await expect(rekey('rotate', 'openai/cli/dev', '--grace-quiet', 'soon')).rejects.toThrow(/not a duration/);
    await expect(rekey('rotate', 'openai/cli/dev', '--emergency-path', 'mint-first')).rejects.toThrow(/needs --emergency/);
  });
});
