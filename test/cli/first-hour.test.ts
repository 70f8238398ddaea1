/**
 * The README's "first rotation in five minutes", step by step through the built binary on
 * a fresh scratch home: `rekey quickstart` → `rekey rotate` (done in seconds with the
 * rehearsal grace) → Ctrl+C (SIGINT) during a second rotation → the command it printed
 * finishes it → the old key gets 401 at the emulator. Then the first-hour frictions of
 * issue #12 that need a live rotation, against the same quickstart world (one fixture).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRekey, startRekey, type RunningRekey } from '../helpers/cli-runner.js';

const CREDENTIAL = 'openai/quickstart/dev';

function start(args: string[], env: Record<string, string>): RunningRekey {
  return startRekey(args, { env });
}

function currentKey(envFile: string): string {
  const match = /^OPENAI_API_KEY=(.+)$/m.exec(readFileSync(envFile, 'utf8'));
  if (match?.[1] === undefined) throw new Error('app.env has no OPENAI_API_KEY');
  return match[1];
}

describe('first rotation in five minutes (README walk-through)', () => {
  let directory: string;
  let quickstart: RunningRekey;
  let env: Record<string, string>;

  beforeAll(async () => {
    directory = join(mkdtempSync(join(tmpdir(), 'rekey-first-hour-')), 'qs');
    quickstart = start(['quickstart', '--dir', directory], {});
    await quickstart.waitFor(/Press Ctrl\+C/);
    env = {};
    for (const match of readFileSync(join(directory, 'env.sh'), 'utf8').matchAll(/^export (\w+)='(.*)'$/gm)) env[match[1] ?? ''] = match[2] ?? '';
  });

  afterAll(async () => {
    quickstart.child.kill('SIGINT');
    await quickstart.exited;
    rmSync(join(directory, '..'), { recursive: true, force: true });
  });

  it('quickstart prints the next commands and keeps the admin key off the terminal', () => {
    expect(quickstart.stdout()).toContain(`rekey rotate ${CREDENTIAL}`);
    expect(env['OPENAI_BASE_URL']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(quickstart.stdout()).not.toContain(env['OPENAI_ADMIN_KEY'] ?? '(none)');
  });

  it('rotate → SIGINT during a second rotation → the printed command finishes it → old key 401', async () => {
    const first = await runRekey(['rotate', CREDENTIAL], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/rotated openai\/quickstart\/dev .*v1 → v2, old key revoked/);

    const oldKey = currentKey(join(directory, 'app.env'));
    const second = start(['rotate', CREDENTIAL, '--grace-quiet', '4s'], env);
    await second.waitFor(/waiting: the old key must stay quiet/);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(130);
    expect(second.stderr()).toMatch(/stopped in state "grace"/);
    const printed = /^ {2}(rekey rotations resume \S+)$/m.exec(second.stderr())?.[1];
    expect(printed).toBeDefined();

    // The old key still works while the rotation is stopped in grace.
    const models = (key: string) => fetch(`${env['OPENAI_BASE_URL']}/models`, { headers: { authorization: `Bearer ${key}` } });
    expect((await models(oldKey)).status).toBe(200);

    // rekey status puts the stopped rotation first, with the same command.
    expect((await runRekey(['status'], { env })).stdout).toContain(`\n      ${printed ?? '(none)'}\n`);

    const resumed = await runRekey((printed ?? '').split(' ').slice(1), { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/rotated .*v2 → v3, old key revoked/);
    expect((await models(oldKey)).status).toBe(401);
    expect((await models(currentKey(join(directory, 'app.env')))).status).toBe(200);
  });

  it('a killed worker: its lock is freed at once, status says so, end-grace says no worker runs and offers resume, off-TTY progress is one line per change', async () => {
    const killed = start(['rotate', CREDENTIAL, '--grace-quiet', '30s'], env);
    await killed.waitFor(/waiting: the old key must stay quiet/);
    killed.child.kill('SIGKILL');
    await killed.exited;
    // One wait line per state change, not one per poll.
    expect(killed.stderr().match(/waiting:/g)?.length).toBe(1);
    expect(killed.stderr()).toMatch(/to skip: rekey rotations end-grace \S+ --yes/);

    const status = await runRekey(['status'], { env });
    expect(status.stdout).toMatch(/! openai\/quickstart\/dev rotation \S+ is stopped in state "grace": no process is running it\n +rekey rotations resume \S+/);

    const again = await runRekey(['rotate', CREDENTIAL], { env });
    expect(again.stderr).not.toMatch(/running in another process/);
    expect(again.stderr).toMatch(/still active \(grace\); continue it with `rekey rotations resume \S+`/);

    const listed = await runRekey(['rotations', 'list', '--active', '--json'], { env });
    const id = (JSON.parse(listed.stdout) as Array<{ rotation: string }>)[0]?.rotation ?? '';
    const ended = await runRekey(['rotations', 'end-grace', id, '--yes'], { env });
    expect(ended.code, ended.stderr).toBe(0);
    expect(ended.stderr).toContain(`no worker is running rotation ${id}`);
    expect(ended.stderr).toContain(`rekey rotations resume ${id}`);
    expect(ended.stdout).toMatch(/old key revoked/);
  });
});

