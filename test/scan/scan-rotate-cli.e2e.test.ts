/**
 * `rekey scan --git --rotate` through the real binary: one of our keys (the current
 * version of a credential, minted at the emulator) sits in a repository's history; the
 * scan names the credential, the wired leak response rotates it as an emergency, and the
 * CLI prints the time from finding to old key dead. Afterwards the old key is dead at the
 * emulator and the consumer's env file holds the new, live key.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCliContext } from '../../src/cli/cli-context.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { cliUnavailableReason, runCli } from './cli-harness.js';
import { createTempRepository } from './git-repo-helper.js';
import { seedCredential } from '../helpers/credential-seed.js';

const unavailable = cliUnavailableReason();

describe.skipIf(unavailable !== undefined)(`rekey scan --rotate (binary, emulator)${unavailable === undefined ? '' : ` — skipped: ${unavailable}`}`, () => {
  let emulator: RunningEmulator;
  let home: string;
  let repositoryRoot: string | undefined;
  const previousHome = process.env['REKEY_HOME'];
  let environment: Record<string, string>;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: 12 });
    home = await mkdtemp(join(tmpdir(), 'rekey-scan-rotate-'));
    environment = {
      REKEY_HOME: join(home, 'data'),
      OPENAI_ADMIN_KEY: emulator.adminKeys.openai.reveal(),
      OPENAI_BASE_URL: emulator.openaiBaseUrl,
    };
  });
  afterAll(async () => {
    if (previousHome === undefined) delete process.env['REKEY_HOME'];
    else process.env['REKEY_HOME'] = previousHome;
    await emulator.close();
    await rm(home, { recursive: true, force: true });
    if (repositoryRoot !== undefined) await rm(repositoryRoot, { recursive: true, force: true });
  });

  it('rotates a leaked current key found in git history and reports the time to old key dead', async () => {
    const init = await runCli(['init'], { cwd: home, env: environment });
    expect(init.code).toBe(0);
    const seeded = await emulator.seedOpenAIProject('helpdesk');
    process.env['REKEY_HOME'] = environment['REKEY_HOME'];
    await withCliContext((context) =>
      seedCredential(context, { name: 'openai/helpdesk/prod', value: seeded.key, providerKeyId: seeded.keyId, scope: { project: seeded.projectId }, environment: 'prod', allowedModels: ['gpt-4o-mini'] }),
    );
    const envPath = join(home, 'helpdesk.env');
    const consumer = await runCli(['consumer', 'add', 'openai/helpdesk/prod', 'helpdesk-env', '--path', envPath, '--var', 'OPENAI_API_KEY'], { cwd: home, env: environment });
    expect(consumer.code).toBe(0);

    const repository = createTempRepository('rekey-scan-rotate-repo-');
    repositoryRoot = repository.root;
    repository.write('deploy/helpdesk.env', `OPENAI_API_KEY=${seeded.key.reveal()}\n`);
    repository.git('add', '.');
    repository.git('commit', '-q', '-m', 'oops');

    const scan = await runCli(['scan', '--git', '--rotate'], { cwd: repository.root, env: environment });
    expect(scan.stdout).toContain('deploy/helpdesk.env:1:16  openai-service-account-key');
    expect(scan.stdout).toContain('ours: openai/helpdesk/prod (current)');
    expect(scan.stderr).toMatch(/leak of openai\/helpdesk\/prod \(v1, current when found\): emergency-rotation, old key dead \d+\.\d s after the finding/);
    expect(scan.code).toBe(3);
    expect(scan.stdout + scan.stderr).not.toContain(seeded.key.reveal());

    expect(emulator.isKeyLive(seeded.key.reveal())).toBe(false);
    const written = /^OPENAI_API_KEY=(.+)$/m.exec(await readFile(envPath, 'utf8'))?.[1];
    expect(written).toBeDefined();
    expect(written === seeded.key.reveal()).toBe(false);
    expect(emulator.isKeyLive(written ?? '')).toBe(true);
  }, 120_000);

  it('without --rotate, rotates only a credential whose policy says onLeak: rotate', async () => {
    const byPolicy = await emulator.seedOpenAIProject('billing');
    const alertOnly = await emulator.seedOpenAIProject('reports');
    process.env['REKEY_HOME'] = environment['REKEY_HOME'];
    await withCliContext(async (context) => {
      for (const [name, seeded, policy] of [
        ['openai/billing/prod', byPolicy, { onLeak: 'rotate' as const }],
        ['openai/reports/prod', alertOnly, {}],
      ] as const) {
        await seedCredential(context, { name, value: seeded.key, providerKeyId: seeded.keyId, scope: { project: seeded.projectId }, environment: 'prod', policy });
      }
    });
    const directory = await mkdtemp(join(home, 'logs-'));
    await writeFile(join(directory, 'app.log'), `billing key=${byPolicy.key.reveal()}\nreports key=${alertOnly.key.reveal()}\n`);
    const scan = await runCli(['scan', directory], { cwd: home, env: environment });
    expect(scan.code).toBe(3);
    expect(scan.stdout).toContain('ours: openai/billing/prod (current)');
    expect(scan.stdout).toContain('ours: openai/reports/prod (current)');
    expect(scan.stdout + scan.stderr).not.toContain(byPolicy.key.reveal());
    expect(emulator.isKeyLive(byPolicy.key.reveal())).toBe(false);
    expect(emulator.isKeyLive(alertOnly.key.reveal())).toBe(true);
  }, 120_000);
});
