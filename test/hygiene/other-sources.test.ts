/**
 * Secret hygiene for what the main flow (every-command.test.ts) does not reach: the
 * `rekey emulator` command (admin keys from the environment, its state file) and the other
 * master key sources (REKEY_MASTER_KEY rotated from stdin, a passphrase), wrong keys and
 * passphrases, and database URLs carrying a password. Same search: outputs, data files,
 * argument lists, in raw, partial, hex and base64 forms.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHygieneSession, type HygieneSession } from './hygiene-session.js';
import { findLeaks, plantedOpenAIKey, randomAlphanumeric } from './leak-search.js';
import { startWatched } from './watched-process.js';

const STEP_TIMEOUT = 60_000;

let root: string;
let session: HygieneSession;
const keys = { first: '', second: '', third: '' };

const baseEnvironment = () => ({ HOME: root, TMPDIR: join(root, 'tmp') });

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'rekey-hygiene-sources-'));
  mkdirSync(join(root, 'tmp'));
  session = createHygieneSession(baseEnvironment);
  keys.first = session.plant('key-first', plantedOpenAIKey('SrcA'));
  keys.second = session.plant('key-second', plantedOpenAIKey('SrcB'));
  keys.third = session.plant('key-third', plantedOpenAIKey('SrcC'));
});

afterAll(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

describe('secret hygiene of the emulator command and the other master key sources', () => {
  it('emulator command: admin keys given through the environment are never printed', async () => {
    const given = {
      REKEY_EMULATOR_ADMIN_KEY: session.plant('emulator-command-openai-admin', `sk-admin-HygE${plantedOpenAIKey('').slice(8)}`),
      REKEY_EMULATOR_ANTHROPIC_ADMIN_KEY: session.plant('emulator-command-anthropic-admin', `sk-ant-admin01-${randomAlphanumeric(86)}AA`),
      REKEY_EMULATOR_OPENROUTER_MANAGEMENT_KEY: session.plant('emulator-command-openrouter', `sk-or-v1-${randomAlphanumeric(64).toLowerCase()}`),
    };
    const stateFile = join(root, 'emulator-state.json');
    const running = startWatched(['emulator', '--port', '0', '--state-file', stateFile], { env: { ...baseEnvironment(), ...given } });
    try {
      const url = (await running.waitFor(/listening on (http:\/\/\S+)/))[1] ?? '';
      const admin = { authorization: `Bearer ${given.REKEY_EMULATOR_ADMIN_KEY}`, 'content-type': 'application/json' };
      const project = (await (await fetch(`${url}/v1/organization/projects`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'state' }) })).json()) as { id: string };
      const account = (await (await fetch(`${url}/v1/organization/projects/${project.id}/service_accounts`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'svc' }) })).json()) as { api_key: { value: string } };
      const minted = session.plant('emulator-command-minted', account.api_key.value);
      const chat = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${minted}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(chat.status).toBe(200);
      await chat.text();
      const refused = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${keys.first}` } });
      expect(refused.status).toBe(401);
      await refused.text();
    } finally {
      session.record('rekey emulator', await running.stop());
    }
    // The state file keeps key hashes, never values.
    expect(existsSync(stateFile)).toBe(true);
    session.addFile(stateFile);
  }, STEP_TIMEOUT);

  it('other master key sources (REKEY_MASTER_KEY rotated from stdin, a passphrase), wrong keys and a database URL with a password', async () => {
    const envHome = join(root, 'home-env');
    const masterKey = session.plant('env-master-key', randomBytes(32));
    const nextMasterKey = session.plant('env-master-key-next', randomBytes(32));
    const withKey = (key: Buffer) => ({ REKEY_HOME: envHome, REKEY_MASTER_KEY: key.toString('base64') });
    await session.rekey(['init'], { env: withKey(masterKey) });
    await session.rekey(['credential', 'add', 'manual/env/prod', '--provider', 'manual', '--read-value'], { env: withKey(masterKey), input: `${keys.second}\n` });
    await session.rekey(['master-key', 'rotate', '--yes', '--new-key-from-stdin'], { env: withKey(masterKey), input: `${nextMasterKey.toString('base64')}\n` });
    await session.rekey(['doctor'], { env: withKey(nextMasterKey) });
    const wrong = session.plant('wrong-master-key', randomBytes(32));
    await session.rekey(['doctor'], { env: withKey(wrong), expectCodes: [1] });
    await session.rekey(['credential', 'reveal', 'manual/env/prod', '--yes'], { env: { ...withKey(wrong), REKEY_DEBUG: '1' }, expectCodes: [1] });

    const passphraseHome = join(root, 'home-passphrase');
    const passphrase = session.plant('passphrase', `hygiene passphrase ${randomAlphanumeric(24)}`);
    const withPassphrase = { REKEY_HOME: passphraseHome, REKEY_PASSPHRASE: passphrase };
    await session.rekey(['init', '--passphrase'], { env: withPassphrase });
    await session.rekey(['credential', 'add', 'manual/pass/prod', '--provider', 'manual', '--read-value'], { env: withPassphrase, input: `${keys.third}\n` });
    await session.rekey(['doctor', '--json'], { env: withPassphrase });
    await session.rekey(['credential', 'list'], { env: { ...withPassphrase, REKEY_PASSPHRASE: session.plant('wrong-passphrase', `wrong passphrase ${randomAlphanumeric(24)}`) }, expectCodes: [1] });
    await session.rekey(['init', '--passphrase'], { env: { REKEY_HOME: join(root, 'home-short'), REKEY_PASSPHRASE: session.plant('short-passphrase', `x${randomAlphanumeric(6)}`) }, expectCodes: [1, 2] });
    await session.rekey(['master-key', 'rotate', '--yes', '--new-key-from-stdin'], { env: withKey(nextMasterKey), input: `${keys.first}\n`, expectCodes: [1, 2] });

    // A database password in REKEY_DATABASE_URL: wrong, unreachable or unsupported, never echoed.
    const password = session.plant('database-password', `pw${randomAlphanumeric(30)}`);
    const urls = [`postgres://rekey:${password}@127.0.0.1:5432/rekey_hygiene_missing`, `postgres://rekey:${password}@127.0.0.1:1/rekey`, `mysql://rekey:${password}@127.0.0.1/rekey`];
    await Promise.all(urls.map((url) => session.rekey(['doctor'], { env: { ...withKey(nextMasterKey), REKEY_DATABASE_URL: url }, expectCodes: [1, 2, 3] })));
    for (const other of [envHome, passphraseHome]) session.addTree(other);
  }, STEP_TIMEOUT);

  it('finds no planted value in any output, data file or argument list', () => {
    session.addTree(join(root, 'tmp'));
    for (const line of session.commandLines) session.haystacks.push({ source: `argv: ${line.slice(0, 120)}`, bytes: Buffer.from(line) });
    expect(session.secrets.length).toBeGreaterThanOrEqual(14);
    expect(session.haystacks.length).toBeGreaterThan(40);
    expect(findLeaks(session.haystacks, session.secrets)).toEqual([]);
  });
});
