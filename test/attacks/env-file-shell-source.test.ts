/**
 * Attack (issue #17, item 4): a value holding a backtick, written into a double-quoted
 * `.env` entry, ran a command when the file was sourced with `set -a; . .env`. Now a value
 * is written so that a POSIX shell expands nothing in it (single quotes when the value
 * can be carried in them, else double quotes with `\ " $ `` ` escaped), whether rekey
 * minted it or a person typed it in. The test really sources the file with /bin/sh and
 * checks that no command ran and that the shell reads back exactly the value written.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { parseEnv, readVariable } from '../../src/sinks/env-file-format.js';
import { createEnvFileSink } from '../../src/sinks/env-file-sink.js';

const salt = randomBytes(32);

/** Source `envPath` with `set -a` in /bin/sh and print each of `names`, NUL-separated. */
function sourceWithShell(envPath: string, names: string[], cwd: string): string[] {
  const script = `set -a; . "$1"; shift; for name in "$@"; do eval "printf '%s\\0' \\"\\\${$name}\\""; done`;
  const output = execFileSync('/bin/sh', ['-c', script, 'sh', envPath, ...names], { cwd, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
  return output.split('\0').slice(0, names.length);
}

describe('attack: sourcing a .env file rekey wrote runs no command', () => {
  let directory: string;
  let path: string;
  let marker: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rekey-env-sh-'));
    path = join(directory, '.env');
    marker = join(directory, 'pwned');
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  const sink = () => createEnvFileSink({ path, name: 'OPENAI_API_KEY' }, { fingerprintSalt: salt, consumerName: 'app' });

  const hostile = (): string[] => [
    `sk-\`touch ${marker}\`-a`,
    `sk-$(touch ${marker})-b`,
    `sk-'$(touch ${marker})'-c`,
    `sk-"\`touch ${marker}\`"-d`,
    `sk-\\\`touch ${marker}\\\`-e`,
    `sk-$HOME-\${PATH}-$1-f`,
    `~/sk-g:~`,
    `sk-it's\nmulti\`touch ${marker}\`line`,
  ];

  for (const [style, line] of [
    ['double-quoted', 'OPENAI_API_KEY="sk-old"\n'],
    ['single-quoted', "OPENAI_API_KEY='sk-old'\n"],
    ['unquoted', 'OPENAI_API_KEY=sk-old\n'],
    ['new', 'OTHER=1\n'],
  ] as const) {
    it(`a ${style} entry: each hostile value is read back by sh exactly, and nothing ran`, async () => {
      for (const value of hostile()) {
        await writeFile(path, line, { mode: 0o600 });
        await sink().write('main', new SecretValue(value));
        await sink().write({ version: 3 }, new SecretValue(value));
        const [main, versioned] = sourceWithShell(path, ['OPENAI_API_KEY', 'OPENAI_API_KEY_V3'], directory);
        expect(existsSync(marker), `sourcing ran a command for ${JSON.stringify(value)}:\n${await readFile(path, 'utf8')}`).toBe(false);
        expect(main).toBe(value);
        expect(versioned).toBe(value);
        // And a dotenv reader agrees with the shell.
        expect(readVariable(parseEnv(await readFile(path, 'utf8')), 'OPENAI_API_KEY')).toBe(value);
      }
    });
  }

  it('hand-entered values of any printable text (fast-check): sh and the dotenv reader both read the value, nothing runs', async () => {
    const alphabet = [...'abcXYZ019-_ $`"\'\\!#&;|<>(){}[]*?~=:%^@,.+/\n\t'];
    const valueArbitrary = fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 40 }).map((characters) => characters.join(''));
    const samples = fc.sample(valueArbitrary, { numRuns: 60, seed: 17 });
    samples.push(`\`touch ${marker}\``, `$(touch ${marker})`);
    const names = samples.map((_, index) => `HAND_${index}`);
    let text = 'OPENAI_API_KEY="old"\n';
    for (const [index, value] of samples.entries()) {
      await writeFile(path, text, { mode: 0o600 });
      const one = createEnvFileSink({ path, name: names[index] ?? '' }, { fingerprintSalt: salt, consumerName: 'hand' });
      await one.write('main', new SecretValue(value));
      text = await readFile(path, 'utf8');
    }
    const read = sourceWithShell(path, names, directory);
    expect(existsSync(marker), 'sourcing ran a command').toBe(false);
    const document = parseEnv(text);
    for (const [index, value] of samples.entries()) {
      expect(read[index], `sh read of ${JSON.stringify(value)}`).toBe(value);
      expect(readVariable(document, names[index] ?? '')).toBe(value);
    }
  });
});

describe('a value a .env file cannot carry safely', () => {
  it('is refused with a sink error that names the file and not the value', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'rekey-env-cr-'));
    try {
      const path = join(directory, '.env');
      const value = `sk-secret-${randomBytes(8).toString('hex')}\rX`;
      const error = await createEnvFileSink({ path, name: 'OPENAI_API_KEY' }, { fingerprintSalt: salt, consumerName: 'app' })
        .write('main', new SecretValue(value))
        .catch((caught: unknown) => caught);
      expect(String((error as Error).message)).toMatch(/env file .*\.env.*carriage return/);
      expect(String((error as Error).message)).not.toContain(value.slice(0, 20));
      expect(existsSync(path)).toBe(false);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
