import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, SinkError } from '../../src/core/errors.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { createExecReload } from '../../src/sinks/exec-reload.js';

const key = new SecretValue('sk-proj-RELOADvalue1234567890abcdefghijklmnop');
const node = process.execPath;

describe('exec reload', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rekey-exec-'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  const request = { consumerName: 'app', credential: 'openai/app/prod', version: 8, fingerprint: 'ab12', value: key };

  /** A script that records its argv, the key it got through env and stdin. */
  const recorder = (out: string) => `
    const fs = require('node:fs');
    let input = '';
    process.stdin.on('data', (chunk) => { input += chunk; });
    process.stdin.on('end', () => finish());
    process.stdin.on('error', () => finish());
    if (process.stdin.isTTY || process.stdin.readableEnded) finish();
    function finish() {
      fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify({ argv: process.argv.slice(1), env: process.env.APP_KEY ?? process.env.REKEY_KEY ?? null, stdin: input.trim() || null, version: process.env.REKEY_VERSION }));
      process.exit(0);
    }`;

  it("a failed reload shows the redacted tail of the command's own stderr", async () => {
    const script = `process.stderr.write('starting\\n' + 'key was ' + process.env.REKEY_KEY + '\\n' + 'token ghp_' + 'A'.repeat(36) + '\\n' + 'System has not been booted with systemd as init system (PID 1). Can\\'t operate.\\n'); process.exit(1);`;
    const reload = createExecReload({ kind: 'exec', command: [node, '-e', script] }, 'app');
    const error = (await reload.run(request).catch((caught: unknown) => caught)) as SinkError;
    expect(error).toBeInstanceOf(SinkError);
    expect(error.message).toContain("exited with code 1; its stderr ends: key was [redacted] | token [redacted] | System has not been booted with systemd as init system (PID 1). Can't operate.");
    expect(error.message).not.toContain(key.reveal());
  });

  it('passes the key through an environment variable, never through argv', async () => {
    const out = join(directory, 'env.json');
    const reload = createExecReload({ kind: 'exec', command: [node, '-e', recorder(out)], keyVia: 'env', envName: 'APP_KEY' }, 'app');
    await expect(reload.run(request)).resolves.toMatchObject({ exitCode: 0 });
    const seen = JSON.parse(await readFile(out, 'utf8')) as { argv: string[]; env: string; stdin: string | null; version: string };
    expect(seen.env).toBe(key.reveal());
    expect(seen.stdin).toBeNull();
    expect(seen.version).toBe('8');
    expect(JSON.stringify(seen.argv)).not.toContain(key.reveal());
  });

  it("gives the command an allow-listed environment, never rekey's own secrets", async () => {
    const out = join(directory, 'environment.json');
    const planted = { REKEY_MASTER_KEY: 'bWFzdGVyLWtleS1wbGFudGVk', OPENAI_ADMIN_KEY: 'sk-admin-PLANTEDadmin0123456789', APP_SETTING: 'kept-when-passed' };
    const saved = { ...process.env };
    Object.assign(process.env, planted);
    try {
      const script = `require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.env))`;
      const reload = createExecReload({ kind: 'exec', command: [node, '-e', script], keyVia: 'none', passEnv: ['APP_SETTING'], env: { EXTRA: 'yes' } }, 'app');
      await expect(reload.run(request)).resolves.toMatchObject({ exitCode: 0 });
    } finally {
      for (const name of Object.keys(planted)) delete process.env[name];
      Object.assign(process.env, saved);
    }
    const seen = JSON.parse(await readFile(out, 'utf8')) as Record<string, string>;
    expect(seen['REKEY_MASTER_KEY']).toBeUndefined();
    expect(seen['OPENAI_ADMIN_KEY']).toBeUndefined();
    expect(seen['APP_SETTING']).toBe('kept-when-passed');
    expect(seen['EXTRA']).toBe('yes');
    expect(seen['PATH']).toBe(process.env.PATH);
    expect(seen['REKEY_CREDENTIAL']).toBe('openai/app/prod');
    expect(() => createExecReload({ kind: 'exec', command: ['true'], passEnv: ['REKEY_MASTER_KEY'] }, 'app')).toThrow(/may not pass rekey's own secrets/);
  });

  it('passes the key on stdin when asked, and not in the environment', async () => {
    const out = join(directory, 'stdin.json');
    const reload = createExecReload({ kind: 'exec', command: [node, '-e', recorder(out)], keyVia: 'stdin' }, 'app');
    await reload.run(request);
    const seen = JSON.parse(await readFile(out, 'utf8')) as { env: string | null; stdin: string };
    expect(seen.stdin).toBe(key.reveal());
    expect(seen.env).toBeNull();
  });

  it('fails with a retryable SinkError on a non-zero exit, without the key in the message', async () => {
    const reload = createExecReload({ kind: 'exec', command: [node, '-e', 'console.error(process.env.REKEY_KEY); process.exit(3)'] }, 'app');
    const error = await reload.run(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SinkError);
    expect((error as SinkError).message).toMatch(/exited with code 3/);
    expect((error as SinkError).isRetryable).toBe(true);
    expect((error as SinkError).message).not.toContain(key.reveal());
  });

  it('kills a command that runs past its timeout', async () => {
    const reload = createExecReload({ kind: 'exec', command: [node, '-e', 'setTimeout(() => {}, 60000)'], timeoutSeconds: 0.3 }, 'app');
    await expect(reload.run(request)).rejects.toThrow(/timed out after 0.3s/);
  });

  it('reports a missing program as a non-retryable error', async () => {
    const reload = createExecReload({ kind: 'exec', command: [join(directory, 'no-such-program')] }, 'app');
    await expect(reload.run(request)).rejects.toMatchObject({ code: 'sink', isRetryable: false });
  });

  it('runs through a shell only when configured', async () => {
    const out = join(directory, 'shell.txt');
    const reload = createExecReload({ kind: 'exec', command: `printf %s "$REKEY_VERSION" > '${out}'`, shell: true }, 'app');
    await reload.run(request);
    expect(await readFile(out, 'utf8')).toBe('8');
    expect(() => createExecReload({ kind: 'exec', command: 'echo hi' }, 'app')).toThrow(/array of program and arguments/);
  });

  it('refuses an argument list that contains the key', async () => {
    const reload = createExecReload({ kind: 'exec', command: ['echo', key.reveal()] }, 'app');
    await expect(reload.run(request)).rejects.toBeInstanceOf(ConfigError);
  });
});
