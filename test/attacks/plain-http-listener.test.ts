/**
 * Attack (issue #17, item 5): `rekey serve` and `rekey proxy` spoke plain HTTP and accepted
 * `--host 0.0.0.0` without a word, so read tokens, proxy tokens and the keys themselves
 * crossed the network in clear; the SDK sent its read token over `http://` to any host. Now a
 * listener beyond loopback needs TLS or an explicit `--insecure-http` (warned at every
 * start), and the SDK refuses plain http to a host that is not loopback unless told to.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { startProxy } from '../../src/proxy/proxy-server.js';
import { createKeySource, KeySourceConfigError, type FetchFunction } from '../../src/sdk/index.js';
import { startKeyServer } from '../../src/server/key-server.js';
import { REKEY_BIN, runRekey, temporaryHome } from '../helpers/cli-runner.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';

const TOKEN = `rk_read_${randomBytes(6).toString('hex')}_${randomBytes(24).toString('base64url')}`;

/** Starts the binary and returns once it exits or says it listens; a listener is stopped with SIGTERM. */
function startBinary(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [REKEY_BIN, ...args], { env: { PATH: process.env.PATH, NO_COLOR: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let listening = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!listening && /listening on /.test(stderr)) {
        listening = true;
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: listening ? null : code, stderr });
    });
  });
}

describe('attack: plain HTTP beyond loopback', () => {
  let fixture: KeyFixture;
  let home: string;
  const env = (): Record<string, string> => ({ REKEY_HOME: home, REKEY_MASTER_KEY: randomBytes(32).toString('base64') });

  beforeAll(async () => {
    fixture = await createKeyFixture();
    home = temporaryHome();
  });
  afterAll(async () => {
    await fixture.close();
    rmSync(dirname(home), { recursive: true, force: true });
  });

  it('startKeyServer and startProxy refuse 0.0.0.0 and :: without TLS', async () => {
    for (const host of ['0.0.0.0', '::']) {
      await expect(startKeyServer({ store: fixture.store, vault: fixture.vault, host }), host).rejects.toThrow(ConfigError);
      await expect(startProxy({ store: fixture.store, vault: fixture.vault, host, upstreams: {} }), host).rejects.toThrow(new RegExp(`refusing to listen on ${host.replace(/\./g, '\\.')} with plain HTTP`));
    }
  });

  it('rekey serve and rekey proxy --host 0.0.0.0 exit with the reason and the way out; --insecure-http starts and warns', async () => {
    const environment = env();
    expect((await runRekey(['init'], { env: environment })).code).toBe(0);
    for (const command of ['serve', 'proxy']) {
      const refused = await startBinary([command, '--host', '0.0.0.0', '--port', '0'], environment);
      expect(refused.code, `${command}: ${refused.stderr}`).toBe(1);
      expect(refused.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 with plain HTTP: tokens and keys would cross the network in clear/);
      expect(refused.stderr).toMatch(/hint: give --tls-cert and --tls-key .* or pass --insecure-http/);
      expect(refused.stderr).not.toMatch(/listening on/);

      const insecure = await startBinary([command, '--host', '0.0.0.0', '--port', '0', '--insecure-http'], environment);
      expect(insecure.code, insecure.stderr).toBeNull();
      expect(insecure.stderr).toMatch(new RegExp(`rekey ${command}: WARNING: plain HTTP on 0\\.0\\.0\\.0 \\(--insecure-http\\)`));
    }
    const contradiction = await runRekey(['serve', '--insecure-http', '--tls-cert', 'a.pem', '--tls-key', 'b.pem'], { env: environment });
    expect(contradiction.code).toBe(2);
    expect(contradiction.stderr).toMatch(/--insecure-http contradicts --tls-cert/);
    expect((await runRekey(['serve', '--tls-cert', 'a.pem'], { env: environment })).stderr).toMatch(/--tls-cert and --tls-key go together/);
  });

  it('the SDK does not send its read token over http:// to a host that is not loopback', async () => {
    const sent: string[] = [];
    const recording: FetchFunction = async (input, init) => {
      sent.push(`${String(input)} ${new Headers(init?.headers).get('authorization') ?? ''}`);
      return Response.json({ credential: 'c', generation: 1, keys: [] });
    };
    for (const url of ['http://rekey.internal:8420', 'http://10.0.0.7:8420', 'http://[::]:8420', 'http://0.0.0.0:8420']) {
      let refused: unknown;
      try {
        const source = createKeySource({ credential: 'openai/app/prod', from: { url, token: TOKEN, checkInIntervalMilliseconds: 0 }, fetch: recording });
        await source.current().catch(() => undefined);
        await source.close();
      } catch (error) {
        refused = error;
      }
      expect(refused, url).toBeInstanceOf(KeySourceConfigError);
      expect(String((refused as Error).message)).toMatch(/plain http to a host that is not loopback: .*use https .*allowInsecureHttp/);
      expect(String((refused as Error).message)).not.toContain(TOKEN);
    }
    expect(sent).toEqual([]);

    // Loopback, https, and an explicit opt-in are allowed (the recording fetch answers them).
    for (const from of [{ url: 'http://127.0.0.1:8420' }, { url: 'https://rekey.internal:8420' }, { url: 'http://rekey.internal:8420', allowInsecureHttp: true }]) {
      const source = createKeySource({ credential: 'openai/app/prod', from: { ...from, token: TOKEN, checkInIntervalMilliseconds: 0 }, fetch: recording });
      await source.current().catch(() => undefined);
      await source.close();
    }
    expect(sent.map((line) => line.split(' ')[0]?.replace(/\/v1\/.*$/, ''))).toEqual(['http://127.0.0.1:8420', 'https://rekey.internal:8420', 'http://rekey.internal:8420']);
  });
});
