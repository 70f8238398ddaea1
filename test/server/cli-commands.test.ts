/**
 * `rekey token …`, `rekey serve` and `rekey proxy` in-process, as registered commands on a
 * real data directory (the lead wires them into the command registry).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashAccessToken } from '../../src/access/access-tokens.js';
import { register as registerInit } from '../../src/cli/commands/init-command.js';
import { register as registerProxy } from '../../src/cli/commands/proxy-command.js';
import { register as registerServe } from '../../src/cli/commands/serve-command.js';
import { register as registerToken } from '../../src/cli/commands/token-command.js';
import { openCliContext } from '../../src/cli/cli-context.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { createKeySource } from '../../src/sdk/index.js';
import { seedCredential } from '../helpers/credential-seed.js';

let root: string;
let emulator: RunningEmulator;
let providerKey: string;
const NAME = 'openai/cli/prod';

function program(): Command {
  const command = new Command('rekey').exitOverride();
  for (const register of [registerInit, registerToken, registerServe, registerProxy]) register(command);
  return command;
}

/** Runs one command line in-process, capturing what it writes. */
async function run(args: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    await program().parseAsync(['node', 'rekey', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout, stderr };
}

/** Starts a long-running command, waits for its "listening on <url>" line, returns the URL and a stop function. */
async function start(args: string[]): Promise<{ url: string; logs: () => string; stop: () => Promise<void> }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const running = program().parseAsync(['node', 'rekey', ...args]);
  for (let waited = 0; !/listening on (http:\/\/\S+)/.test(stderr); waited += 10) {
    if (waited > 20_000) throw new Error(`did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1] ?? '';
  return {
    url,
    logs: () => stdout + stderr,
    async stop() {
      process.emit('SIGTERM');
      await running;
      out.mockRestore();
      err.mockRestore();
    },
  };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'rekey-cli-serve-'));
  process.env.REKEY_HOME = join(root, 'home');
  process.env.REKEY_MASTER_KEY = randomBytes(32).toString('base64');
  delete process.env.REKEY_DATABASE_URL;
  emulator = await startEmulator({ seed: 5 });
  providerKey = (await emulator.seedOpenAIProject('cli')).key.reveal();
  await run(['init']);
  const context = await openCliContext();
  try {
    await seedCredential(context, { name: NAME, value: providerKey, environment: 'prod' });
  } finally {
    await context.close();
  }
});
afterAll(async () => {
  await emulator.close();
  rmSync(root, { recursive: true, force: true });
  delete process.env.REKEY_HOME;
  delete process.env.REKEY_MASTER_KEY;
});

describe('token, serve and proxy commands', () => {
  it('creates a read token, serves keys with it, lists and revokes it; the database holds no token', async () => {
    const created = JSON.parse((await run(['token', 'create', 'billing-api', '--kind', 'read', '--credential', NAME, '--json'])).stdout) as { token: string; id: string };
    expect(created.token).toMatch(/^rk_read_/);
    await expect(run(['token', 'create', 'x', '--kind', 'read', '--credential', 'openai/nope/prod'])).rejects.toThrow(/nope/);

    const server = await start(['serve', '--port', '0']);
    try {
      const source = createKeySource({ credential: NAME, from: { url: server.url, token: created.token } });
      expect((await source.current()).value.reveal()).toBe(providerKey);
      await source.close();
    } finally {
      await server.stop();
    }

    const listed = JSON.parse((await run(['token', 'list', '--json'])).stdout) as Array<{ name: string; revokedAt: string | null }>;
    expect(listed).toEqual([expect.objectContaining({ name: 'billing-api', revokedAt: null })]);
    await run(['token', 'revoke', 'billing-api', '--yes']);
    expect(JSON.parse((await run(['token', 'list', '--json'])).stdout)).toEqual([]);

    // The database (main file and WAL) holds the token's hash, which proves the search reads
    // the rows, and not the token's secret.
    const home = process.env.REKEY_HOME ?? '';
    const files = readdirSync(home).filter((file) => file.startsWith('rekey.db'));
    expect(files).toContain('rekey.db');
    const database = Buffer.concat(files.map((file) => readFileSync(join(home, file))));
    expect(database.includes(hashAccessToken(created.token))).toBe(true);
    expect(database.includes(Buffer.from(created.token.slice(-43)))).toBe(false);
  });

  it('creates a virtual token and proxies an OpenAI call with it, logging no secret', async () => {
    const created = JSON.parse((await run(['token', 'create', 'chat-app', '--kind', 'proxy', '--credential', NAME, '--allowed-model', 'gpt-4o-mini', '--json'])).stdout) as { token: string };
    const proxy = await start(['proxy', '--port', '0', '--openai-upstream', emulator.openaiBaseUrl]);
    try {
      const response = await fetch(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${created.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.status).toBe(200);
      const refused = await fetch(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${created.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(refused.status).toBe(403);
    } finally {
      await proxy.stop();
    }
    const logs = proxy.logs();
    expect(logs).toContain('"token":"chat-app"');
    expect(logs).not.toContain(providerKey);
    expect(logs).not.toContain(created.token);
  });

  it('refuses bad options with usage errors', async () => {
    await expect(run(['token', 'create', 'a', '--kind', 'admin', '--credential', NAME])).rejects.toThrow(/--kind must be read/);
    await expect(run(['proxy', '--port', '99999'])).rejects.toThrow(/--port must be a port number/);
    await expect(run(['proxy', '--openai-upstream', 'ftp://x'])).rejects.toThrow(/must be an http\(s\) URL/);
  });
});
