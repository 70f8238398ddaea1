import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeySource, type KeySource, type SdkKey } from '../../src/sdk/index.js';

let directory: string;
let source: KeySource | undefined;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'rekey-sdk-file-'));
});
afterEach(async () => {
  await source?.close();
  source = undefined;
  rmSync(directory, { recursive: true, force: true });
});

/** Writes like a sink does: a temporary file renamed over the old one. */
function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.tmp-${Math.random().toString(36).slice(2)}`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, file);
}

function nextChange(keySource: KeySource): Promise<readonly SdkKey[]> {
  return new Promise((resolve) => {
    const stop = keySource.onChange((keys) => {
      stop();
      resolve(keys);
    });
  });
}

describe('key source from an env file', () => {
  it('reads current and previous, and reloads after an atomic replace without a restart', async () => {
    const file = join(directory, '.env');
    writeAtomically(file, 'PORT=8080\nOPENAI_API_KEY=sk-one\nOPENAI_API_KEY_V1=sk-one\n');
    source = createKeySource({ credential: 'openai/app/prod', from: { file, variable: 'OPENAI_API_KEY', pollIntervalMilliseconds: 5000 } });
    expect((await source.current()).value.reveal()).toBe('sk-one');
    expect((await source.current()).version).toBe(1);

    const changed = nextChange(source);
    writeAtomically(file, 'PORT=8080\nOPENAI_API_KEY=sk-two\nOPENAI_API_KEY_V2=sk-two\nOPENAI_API_KEY_V1=sk-one\n');
    const keys = await changed;
    expect(keys.map((key) => [key.version, key.stage, key.value.reveal()])).toEqual([
      [2, 'current', 'sk-two'],
      [1, 'previous', 'sk-one'],
    ]);
    expect((await source.candidates()).length).toBe(2);
  });

  it('falls back to polling when the watch misses a change', async () => {
    const file = join(directory, 'keys.env');
    writeAtomically(file, 'KEY=sk-a\n');
    // As on file systems without change events: no watch, only the poll.
    source = createKeySource({ credential: 'c', from: { file, variable: 'KEY', pollIntervalMilliseconds: 50, watch: false } });
    await source.current();
    const changed = nextChange(source);
    writeFileSync(file, 'KEY=sk-b\n');
    expect((await changed)[0]?.value.reveal()).toBe('sk-b');
  });

  it('keeps the last good keys when the file disappears, and names the file (not its content) in errors', async () => {
    const file = join(directory, '.env');
    writeAtomically(file, 'KEY=sk-secret-value\n');
    const errors: Error[] = [];
    source = createKeySource({ credential: 'c', from: { file, variable: 'KEY', pollIntervalMilliseconds: 30 }, onError: (error) => errors.push(error) });
    await source.current();
    rmSync(file);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await source.current()).value.reveal()).toBe('sk-secret-value');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.message).toContain('ENOENT');
    expect(errors.map((error) => error.message).join()).not.toContain('sk-secret');
  });

  it('fails clearly when the variable is missing', async () => {
    const file = join(directory, '.env');
    writeAtomically(file, 'OTHER=1\n');
    source = createKeySource({ credential: 'c', from: { file, variable: 'KEY' } });
    await expect(source.current()).rejects.toThrow(/has no KEY or KEY_V<n>/);
  });
});

describe('key source from the environment', () => {
  it('reads NAME and NAME_V<n>, and re-reads on refresh', async () => {
    const environment: Record<string, string | undefined> = { KEY: 'sk-1', KEY_V1: 'sk-1' };
    source = createKeySource({ credential: 'c', from: { env: 'KEY', environment } });
    expect((await source.current()).version).toBe(1);
    environment.KEY = 'sk-2';
    environment.KEY_V2 = 'sk-2';
    await source.refresh();
    expect((await source.candidates()).map((key) => key.value.reveal())).toEqual(['sk-2', 'sk-1']);
  });
});
