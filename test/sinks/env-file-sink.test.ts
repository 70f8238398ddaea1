import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { createEnvFileSink } from '../../src/sinks/env-file-sink.js';
import { createSink } from '../../src/sinks/sink-registry.js';
import { runSinkContract } from '../contracts/sink.js';
import { fileSinkFaults } from './file-sink-faults.js';

const salt = randomBytes(32);

runSinkContract('env-file', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'rekey-env-sink-'));
  const path = join(directory, '.env');
  const sink = createEnvFileSink({ path, name: 'OPENAI_API_KEY' }, { fingerprintSalt: salt, consumerName: 'contract' });
  return {
    sink,
    fingerprintSalt: salt,
    ...fileSinkFaults(path, directory),
  };
});

describe('env-file sink', () => {
  let directory: string;
  let path: string;
  const key = new SecretValue('sk-proj-NEWvalue1234567890abcdefghijklmnopXYZ9');

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rekey-env-'));
    path = join(directory, '.env');
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  const sinkFor = (name = 'OPENAI_API_KEY') => createEnvFileSink({ path, name }, { fingerprintSalt: salt, consumerName: 'app' });

  it('keeps comments, order, blank lines, other variables and quoting; adds the versioned name next to the main one', async () => {
    const original = [
      '# Ticketing service',
      'export DATABASE_URL="postgres://db/app"  # primary',
      '',
      "OPENAI_API_KEY='sk-old-value-aaaaaaaaaaaaaaaaaaaa' # rotated by rekey",
      'MULTI="line one',
      'line two"',
      '   SPACED = value with spaces # note',
      'LAST=1',
      '',
    ].join('\n');
    await writeFile(path, original);
    const sink = sinkFor();
    await sink.write('main', key);
    await sink.write({ version: 8 }, key);
    const text = await readFile(path, 'utf8');
    expect(text).toBe(
      [
        '# Ticketing service',
        'export DATABASE_URL="postgres://db/app"  # primary',
        '',
        `OPENAI_API_KEY='${key.reveal()}' # rotated by rekey`,
        `OPENAI_API_KEY_V8=${key.reveal()}`,
        'MULTI="line one',
        'line two"',
        '   SPACED = value with spaces # note',
        'LAST=1',
        '',
      ].join('\n'),
    );
    await sink.remove({ version: 8 });
    expect(await readFile(path, 'utf8')).toBe(original.replace("'sk-old-value-aaaaaaaaaaaaaaaaaaaa'", `'${key.reveal()}'`));
  });

  it('quotes values that need it and reads them back exactly', async () => {
    const sink = sinkFor();
    for (const raw of ['plain-value_123', 'has space # and hash', "it's \"quoted\" $HOME", 'multi\nline\\end']) {
      const value = new SecretValue(raw);
      await sink.write('main', value);
      expect(await sink.readFingerprint('main')).toEqual({ state: 'present', fingerprint: fingerprint(salt, raw) });
    }
  });

  it('creates a missing file with mode 0600 and replaces an existing file keeping 0600', async () => {
    const sink = sinkFor();
    await sink.write('main', key);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe(`OPENAI_API_KEY=${key.reveal()}\n`);
    await writeFile(path, 'OTHER=1\n', { mode: 0o644 });
    await sink.write('main', key);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe(`OTHER=1\nOPENAI_API_KEY=${key.reveal()}\n`);
    // No temporary file left behind.
    expect((await readdir(directory)).sort()).toEqual(['.env']);
  });

  it('keeps CRLF line endings and a file without a final newline', async () => {
    await writeFile(path, 'A=1\r\nOPENAI_API_KEY=old\r\nB=2');
    await sinkFor().write('main', key);
    expect(await readFile(path, 'utf8')).toBe(`A=1\r\nOPENAI_API_KEY=${key.reveal()}\r\nB=2`);
  });

  it('updates every duplicate assignment so readers agree, and reads the last', async () => {
    await writeFile(path, 'OPENAI_API_KEY=first\nX=1\nOPENAI_API_KEY=second\n');
    const sink = sinkFor();
    expect(await sink.readFingerprint('main')).toEqual({ state: 'present', fingerprint: fingerprint(salt, 'second') });
    await sink.write('main', key);
    expect(await readFile(path, 'utf8')).toBe(`OPENAI_API_KEY=${key.reveal()}\nX=1\nOPENAI_API_KEY=${key.reveal()}\n`);
  });

  it('refuses a symlink at the path and leaves its target alone (test/attacks/file-sink-symlink.test.ts)', async () => {
    const real = join(directory, 'real.env');
    await writeFile(real, 'A=1\n');
    await symlink(real, path);
    await expect(sinkFor().write('main', key)).rejects.toMatchObject({ code: 'sink', isRetryable: false, message: expect.stringMatching(/symbolic link/) });
    expect((await lstat(path)).isSymbolicLink()).toBe(true);
    expect(await readFile(real, 'utf8')).toBe('A=1\n');
  });

  it('an empty value reads as absent; a directory in place of the file is an error', async () => {
    await writeFile(path, 'OPENAI_API_KEY=\n');
    expect(await sinkFor().readFingerprint('main')).toEqual({ state: 'absent' });
    await rm(path);
    await mkdir(path);
    await expect(sinkFor().readFingerprint('main')).rejects.toMatchObject({ code: 'sink', isRetryable: false });
  });

  it('rejects bad options with a ConfigError naming the consumer and field', async () => {
    expect(() => createEnvFileSink({ path: 'relative/.env', name: 'A' }, { fingerprintSalt: salt, consumerName: 'api' })).toThrow(
      /consumer api: env-file option "path" must be an absolute path/,
    );
    expect(() => createEnvFileSink({ path, name: 'bad name' }, { fingerprintSalt: salt, consumerName: 'api' })).toThrow(ConfigError);
    expect(() => createEnvFileSink({ path, name: 'A', mode: '0644' }, { fingerprintSalt: salt, consumerName: 'api' })).toThrow(/mode/);
    expect(() => createEnvFileSink({ path, name: 'A', extra: 1 }, { fingerprintSalt: salt, consumerName: 'api' })).toThrow(ConfigError);
  });

  it('is reachable through the registry', async () => {
    const sink = await createSink({ name: 'app', kind: 'env-file', config: { path, name: 'K' } }, salt);
    expect(sink.describe()).toBe(`env file ${path} (K)`);
    await expect(createSink({ name: 'app', kind: 'nope', config: {} }, salt)).rejects.toThrow(/unknown sink kind "nope"/);
  });
});
