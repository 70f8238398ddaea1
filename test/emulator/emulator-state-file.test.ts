/** State file: survives a restart, holds hashes and redacted forms only, never a key value. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/emulator.js';
import { emulatorOptionsFrom, registerEmulatorCommand, runEmulator } from '../../src/emulator/emulator-command.js';

const directory = mkdtempSync(join(tmpdir(), 'rekey-emulator-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('emulator state file', () => {
  it('persists projects, keys and usage across restarts without storing any key value', async () => {
    const stateFile = join(directory, 'state.json');
    const adminKey = `sk-admin-${'a'.repeat(58)}T3BlbkFJ${'b'.repeat(58)}`;
    const first = await startEmulator({ stateFile, openaiAdminKey: adminKey, seed: 4 });
    const seeded = await first.seedOpenAIProject('persisted');
    const anthropic = first.createAnthropicKey('persisted-anthropic');
    const chat = await fetch(`${first.openaiBaseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seeded.key.reveal()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'persist me' }] }),
    });
    expect(chat.status).toBe(200);
    const generated = [first.adminKeys.anthropic.reveal(), first.adminKeys.openrouter.reveal()];
    await first.close();

    const text = readFileSync(stateFile, 'utf8');
    for (const secret of [seeded.key.reveal(), anthropic.key.reveal(), adminKey, ...generated]) expect(text).not.toContain(secret);
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);

    const second = await startEmulator({ stateFile, openaiAdminKey: adminKey, seed: 4 });
    try {
      expect(second.isKeyLive(seeded.key.reveal())).toBe(true);
      expect(second.isKeyLive(anthropic.key.reveal())).toBe(true);
      const usage = await fetch(`${second.openaiBaseUrl}/organization/usage/completions?start_time=${Math.floor(Date.now() / 1000) - 3600}&bucket_width=1h&group_by[]=api_key_id`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      const body = (await usage.json()) as { data: Array<{ results: Array<{ api_key_id: string; num_model_requests: number }> }> };
      const forKey = body.data.flatMap((bucket) => bucket.results).filter((result) => result.api_key_id === seeded.keyId);
      expect(forKey.reduce((sum, result) => sum + result.num_model_requests, 0)).toBe(1);
      const another = await second.seedOpenAIProject('after-restart');
      expect(another.projectId).not.toBe(seeded.projectId);
    } finally {
      await second.close();
    }
  });
});

describe('rekey emulator command', () => {
  it('parses flags into options and rejects bad values with a usage error', () => {
    const options = emulatorOptionsFrom({ port: '0', seed: '12', activationDelay: '1500', rate429: '0.25', rate5xx: '0', latency: '5' }, {});
    expect(options).toMatchObject({ port: 0, seed: 12, knobs: { activationDelayMs: 1500, rate429: 0.25, rate5xx: 0, latencyMs: 5 } });
    expect(() => emulatorOptionsFrom({ rate429: '1.5' }, {})).toThrow(/--rate-429/);
    expect(() => emulatorOptionsFrom({ port: 'abc' }, {})).toThrow(/--port/);
  });

  it('prints generated bootstrap keys, only hints of keys from the environment, and stops on request', async () => {
    const lines: string[] = [];
    const given = `sk-admin-${'c'.repeat(58)}T3BlbkFJ${'d'.repeat(58)}`;
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const running = runEmulator({ port: '0' }, { env: { REKEY_EMULATOR_ADMIN_KEY: given }, write: (line) => lines.push(line), waitForStop: () => stopped });
    await expect.poll(() => lines.some((line) => line.startsWith('Press Ctrl+C')), { timeout: 20_000 }).toBe(true);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+) \(port \d+\)/.exec(lines[0] ?? '')?.[1];
    expect(url).toBeDefined();
    const response = await fetch(`${url}/v1/organization/projects`, { headers: { authorization: `Bearer ${given}` } });
    expect(response.status).toBe(200);
    expect(lines.join('\n')).not.toContain(given);
    expect(lines.some((line) => /Anthropic admin key \(generated.*sk-ant-admin01-/.test(line))).toBe(true);
    stop();
    await running;
    expect(lines.at(-1)).toBe('rekey emulator stopped');
  });

  it('is a commander command whose flags reach the emulator (--rate-429 1 makes every call 429)', async () => {
    const lines: string[] = [];
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const program = new Command().exitOverride();
    registerEmulatorCommand(program, { env: {}, write: (line) => lines.push(line), waitForStop: () => stopped });
    const parsing = program.parseAsync(['node', 'rekey', 'emulator', '--port', '0', '--seed', '3', '--rate-429', '1', '--retry-after', '4']);
    await expect.poll(() => lines.some((line) => line.startsWith('Press Ctrl+C')), { timeout: 20_000 }).toBe(true);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(lines[0] ?? '')?.[1];
    const adminKey = /OpenAI admin key \(generated[^:]*\): (\S+)/.exec(lines.join('\n'))?.[1];
    expect(adminKey).toMatch(/^sk-admin-/);
    const response = await fetch(`${url}/v1/organization/projects`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('4');
    stop();
    await parsing;
  });
});
