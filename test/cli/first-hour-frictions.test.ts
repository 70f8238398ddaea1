/**
 * Issue #12's first-hour frictions that landed, one named test each, through the built
 * binary against one emulator and one scratch home (the SDK's error classes with the
 * official `openai` client are in test/sdk/sdk-errors.test.ts; the provider helper's hints
 * and the reload stderr tail have unit tests beside their code).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { REKEY_BIN, runRekey, temporaryHome } from '../helpers/cli-runner.js';

let emulator: RunningEmulator;
let home: string;
let env: Record<string, string>;
let project: { projectId: string; keyId: string; key: string };
const rekey = (args: string[], input?: string, extra: Record<string, string> = {}) => runRekey(args, { env: { ...env, ...extra }, input });

/** Runs rekey with its standard output closed at once, as `rekey … | head -0` does. */
function runIntoClosedPipe(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [REKEY_BIN, ...args], { env: { PATH: process.env.PATH, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

beforeAll(async () => {
  emulator = await startEmulator({ seed: 1212 });
  const seeded = await emulator.seedOpenAIProject('frictions');
  project = { projectId: seeded.projectId, keyId: seeded.keyId, key: seeded.key.reveal() };
  home = temporaryHome();
  env = { REKEY_HOME: home, OPENAI_BASE_URL: emulator.openaiBaseUrl, OPENAI_ADMIN_KEY: emulator.adminKeys.openai.reveal() };
  expect((await rekey(['init'])).code).toBe(0);
  const added = await rekey(['credential', 'add', 'openai/app/dev', '--provider', 'openai', '--scope', `project=${project.projectId}`, '--read-value'], `${project.key}\n`);
  expect(added.code, added.stderr).toBe(0);
});
afterAll(async () => {
  await emulator.close();
  rmSync(home, { recursive: true, force: true });
});

describe('first-hour frictions (issue #12)', () => {
  it('an sk-ant- key is refused for --provider openai (exit 2, says whose key it looks like)', async () => {
    const result = await rekey(['credential', 'add', 'openai/ant/dev', '--provider', 'openai', '--scope', 'project=proj_x', '--read-value'], `sk-ant-api03-${'a'.repeat(93)}AA\n`);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/does not look like a key for --provider openai .*looks like an Anthropic key/);
  });

  it('a credential without the scope its provider needs is refused at add', async () => {
    const result = await rekey(['credential', 'add', 'openai/noscope/dev', '--provider', 'openai']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('openai needs --scope project=proj_…');
  });

  it("the README's literal project=proj_abc does not pass silently: the preflight at add says the project was not found", async () => {
    const result = await rekey(['credential', 'add', 'openai/abc/dev', '--provider', 'openai', '--scope', 'project=proj_abc', '--read-value'], `${project.key}\n`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/warning: preflight project: proj_abc was not found at openai/);
    expect(result.stderr).toContain('GET http://127.0.0.1:');
  });

  it('credential edit mends the scope in place, audited, and the preflight then passes', async () => {
    const edited = await rekey(['credential', 'edit', 'openai/abc/dev', '--scope', `project=${project.projectId}`, '--owner', 'team-a']);
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).toContain('edited openai/abc/dev: scope, owner');
    expect(edited.stderr).toMatch(/checked at openai: .*project.*ok/);
    const audit = await rekey(['audit', 'list', '--json']);
    expect(audit.stdout).toContain('credential-edit');
  });

  it('rotate --dry-run runs the preflight; a base URL without /v1 names the URL and the fix', async () => {
    const good = await rekey(['rotate', 'openai/app/dev', '--dry-run']);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect(good.stdout).toMatch(/✓ stored key +its provider key id|✓ stored key +it matches key/);
    const base = emulator.openaiBaseUrl.replace(/\/v1$/, '');
    const bad = await rekey(['rotate', 'openai/app/dev', '--dry-run'], undefined, { OPENAI_BASE_URL: base });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`hint: the base URL lacks /v1: set OPENAI_BASE_URL to ${base}/v1`);
  });

  it('doctor --provider with a wrong admin key names OPENAI_ADMIN_KEY, the method, the URL and the code', async () => {
    const result = await rekey(['doctor', '--provider', 'openai', '--credential', 'openai/app/dev'], undefined, { OPENAI_ADMIN_KEY: 'sk-admin-wrong' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/v1\/organization\/projects\/proj_\w+\/api_keys\S* → HTTP 401 \(invalid_api_key\); hint: .*OPENAI_ADMIN_KEY/);
    expect(result.stdout).not.toContain('sk-admin-wrong');
  });

  it('consumer update mends a consumer in place; a vault-kv path stays a vault path', async () => {
    const added = await rekey(['consumer', 'add', 'openai/app/dev', 'vault', '--kind', 'vault-kv', '--path', 'apps/app/openai', '--config', 'address=http://127.0.0.1:8200', '--config', 'mount=secret', '--var', 'OPENAI_API_KEY']);
    expect(added.code, added.stderr).toBe(0);
    const updated = await rekey(['consumer', 'update', 'openai/app/dev', 'vault', '--path', 'apps/app/openai2', '--json']);
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ config: { path: 'apps/app/openai2' }, changed: ['sink options'] });
  });

  it('an unknown sink kind is a usage error (exit 2)', async () => {
    const result = await rekey(['consumer', 'add', 'openai/app/dev', 'odd', '--kind', 'carrier-pigeon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown sink kind "carrier-pigeon"/);
  });

  it('an empty policy is printed readably, saying it is never due', async () => {
    const result = await rekey(['credential', 'show', 'openai/app/dev']);
    expect(result.stdout).toMatch(/policy +\(none: no cadence, so never due/);
    expect(result.stdout).not.toContain('{}');
  });

  it('rotate --help names the admin key and base URL variables, and says what --due skips', async () => {
    const result = await rekey(['rotate', '--help']);
    expect(result.stdout).toMatch(/OPENAI_ADMIN_KEY, OPENAI_BASE_URL/);
    expect(result.stdout).toContain('Credentials without a cadence (--rotate-every-days) are never due');
  });

  it('every command --help ends with examples (credential add, rotations end-grace, the top of a group)', async () => {
    for (const args of [['credential', 'add'], ['rotations', 'end-grace'], ['credential']]) {
      expect((await rekey([...args, '--help'])).stdout).toMatch(/\nExamples:\n {2}\$ .*rekey /);
    }
  });

  it('rekey completion bash prints a script that completes the commands', async () => {
    const result = await rekey(['completion', 'bash']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('complete -o filenames -F _rekey rekey');
    expect((await rekey(['completion', 'tcsh'])).code).toBe(2);
  });

  it('audit list --newest-first puts the newest event first', async () => {
    const events = JSON.parse((await rekey(['audit', 'list', '--newest-first', '--json'])).stdout) as Array<{ seq: number }>;
    expect(events.length).toBeGreaterThan(1);
    expect(events[0]?.seq).toBeGreaterThan(events[1]?.seq ?? Infinity);
  });

  it('rotate --due says that credentials without a cadence are never due, and how to give one', async () => {
    const result = await rekey(['rotate', '--due', '--dry-run']);
    expect(result.stdout).toMatch(/nothing is due; \d+ credential\(s\) without a cadence are never due \(.*openai\/app\/dev.*\): set one with `rekey credential edit <name> --rotate-every-days 90`/);
  });

  it('the emulator refuses a non-ASCII admin key (the README placeholder typed in) with a clear message', async () => {
    const result = await rekey(['emulator'], undefined, { REKEY_EMULATOR_ADMIN_KEY: 'sk-admin-…' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('REKEY_EMULATOR_ADMIN_KEY holds a character that is not printable ASCII');
  });

  it("the dry-run diff shows that the env file's mode will change (0640 → 0600) and how to keep it", async () => {
    const envFile = join(home, '..', 'mode.env');
    writeFileSync(envFile, `OPENAI_API_KEY=${project.key}\n`);
    chmodSync(envFile, 0o640);
    expect((await rekey(['consumer', 'add', 'openai/abc/dev', 'mode-env', '--path', envFile, '--var', 'OPENAI_API_KEY'])).code).toBe(0);
    const result = await rekey(['rotate', 'openai/abc/dev', '--dry-run']);
    expect(result.stdout).toContain('mode 0640 → 0600 (to keep it: rekey consumer update <credential> <consumer> --mode 0640)');
  });

  describe('scan', () => {
    let seeded: { projectId: string; key: string };
    let repository: string;
    beforeAll(async () => {
      const scanProject = await emulator.seedOpenAIProject('scan');
      seeded = { projectId: scanProject.projectId, key: scanProject.key.reveal() };
      const added = await rekey(['credential', 'add', 'openai/scan/dev', '--provider', 'openai', '--scope', `project=${seeded.projectId}`, '--read-value'], `${seeded.key}\n`);
      expect(added.code, added.stderr).toBe(0);
      repository = join(home, '..', 'repository');
      mkdirSync(repository);
      // The same key in two places of one commit.
      writeFileSync(join(repository, 'app.env'), `OPENAI_API_KEY=${seeded.key}\nOPENAI_API_KEY_V1=${seeded.key}\n`);
      const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: repository, encoding: 'utf8' });
      git('init', '-q');
      git('add', '.');
      expect(git('commit', '-qm', 'leak').status).toBe(0);
    });

    it('plain scan of our current key says it was not rotated and the command that makes it dead', async () => {
      const result = await rekey(['scan', join(repository, 'app.env')]);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('leak of openai/scan/dev (v1, current when found): not rotated (its policy says onLeak: alert); make it dead now with `rekey rotate openai/scan/dev --emergency`');
    });

    it('--verify asks OPENAI_BASE_URL, and an unknown says why', async () => {
      const live = await rekey(['scan', join(repository, 'app.env'), '--verify']);
      expect(live.stdout).toMatch(/ours: openai\/scan\/dev \(current\) {2}live/);
      // A port nobody listens on: a server opened and closed again.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));
      const unreachable = await rekey(['scan', join(repository, 'app.env'), '--verify'], undefined, { OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` });
      expect(unreachable.stdout).toContain(`unknown (could not reach 127.0.0.1:${port} (ECONNREFUSED))`);
    });

    it('scan --git --rotate prints one consistent line for the one rotation of a key found twice', async () => {
      const result = await rekey(['scan', '--git', '--rotate', repository]);
      expect(result.code).toBe(3);
      const lines = result.stderr.split('\n').filter((line) => line.startsWith('leak of'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^leak of openai\/scan\/dev \(v1, current when found\): emergency-rotation, old key dead \d+\.\d s after the finding$/);
    });
  });

  it('a closed pipe (rotations show <id> | head, audit list | head) ends quietly, without an EPIPE stack', async () => {
    // Held at deliver (the vault consumer above has no token): still a rotation with a journal to show.
    const rotated = await rekey(['rotate', 'openai/app/dev', '--grace-quiet', '1s', '--json']);
    const id = (JSON.parse(rotated.stdout) as { rotation: string }).rotation;
    for (const args of [['rotations', 'show', id], ['audit', 'list']]) {
      const result = await runIntoClosedPipe(args);
      expect(result.stderr).not.toMatch(/EPIPE|node:events/);
      expect(result.code).toBe(0);
    }
  });

  it('rekey status shows the held rotation and why, and puts it first with the command to go on', async () => {
    const result = await rekey(['status', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { credentials: Array<{ credential: string; rotation: { id: string; stage: string; why: string } | null }>; attention: Array<{ severity: string; what: string; command: string }> };
    const held = report.credentials.find((status) => status.credential === 'openai/app/dev')?.rotation;
    expect(held).toMatchObject({ stage: 'held', why: expect.stringContaining('VAULT_TOKEN is not set') });
    expect(report.attention[0]).toMatchObject({ severity: 'high', command: expect.stringContaining(`rekey rotations resume ${held?.id ?? ''}`) });
    const text = await rekey(['status']);
    expect(text.stdout).toMatch(/openai\/app\/dev +v\d+ sk-svcacct-…\S+ +today +never \(no cadence\) +held \(hold\)/);
    expect(text.stdout).toContain('Needs attention, first things first:');
  });

  it('rotations rollback of a held rotation is not refused "in state hold": it runs (here the vault consumer still has no token, and it says so)', async () => {
    const listed = JSON.parse((await rekey(['rotations', 'list', '--active', '--json', '--credential', 'openai/app/dev'])).stdout) as Array<{ rotation: string; state: string }>;
    const held = listed.find((rotation) => rotation.state === 'hold');
    expect(held).toBeDefined();
    const result = await rekey(['rotations', 'rollback', held?.rotation ?? '', '--yes']);
    expect(result.stdout + result.stderr).not.toMatch(/not allowed while a rotation is in state "hold"/);
    expect(result.stdout + result.stderr).toContain('rollback → rollback-failed');
    expect(result.stdout + result.stderr).toContain('could not put the old key back: vault: consumer vault: the Vault token variable VAULT_TOKEN is not set');
  });
});

