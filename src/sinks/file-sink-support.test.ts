import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSinkFile } from './file-sink-support.js';

describe('openSinkFile', () => {
  let directory: string;
  let path: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rekey-sink-file-'));
    path = join(directory, 'target.txt');
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  /** A file whose parse appends a line to the file on the first `edits` reads, as another writer would. */
  const openWithEditor = (edits: number) => {
    let reads = 0;
    return openSinkFile<string>({
      kind: 'env-file',
      path,
      mode: 0o600,
      label: `test file ${path}`,
      parse: (text) => {
        reads += 1;
        // Synchronous, so the re-check that follows this read sees the other writer's line.
        if (reads <= edits) writeFileSync(path, `${text}edit ${reads}\n`);
        return text;
      },
    });
  };

  it('reads a missing file as an empty document with no text', async () => {
    const file = openWithEditor(0);
    expect(await file.read()).toEqual({ text: null, document: '' });
  });

  it('writes what next returns at the mode asked for, and nothing when next returns null', async () => {
    await writeFile(path, 'old\n', { mode: 0o644 });
    const file = openWithEditor(0);
    await file.update('keep', () => null);
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    await file.update('change', ({ text }) => `${text ?? ''}new\n`);
    expect(await readFile(path, 'utf8')).toBe('old\nnew\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('starts over when the file changed between the read and the write, keeping the other edit', async () => {
    await writeFile(path, 'start\n');
    const file = openWithEditor(1);
    await file.update('write K', ({ text }) => `${text ?? ''}ours\n`);
    expect(await readFile(path, 'utf8')).toBe('start\nedit 1\nours\n');
  });

  it('gives up with a retryable error when the file keeps changing, and never overwrites the other edits', async () => {
    await writeFile(path, 'start\n');
    const file = openWithEditor(Number.POSITIVE_INFINITY);
    await expect(file.update('write K', ({ text }) => `${text ?? ''}ours\n`)).rejects.toMatchObject({
      code: 'sink',
      isRetryable: true,
      message: expect.stringMatching(/the file kept changing while rekey tried to write K/),
    });
    expect(await readFile(path, 'utf8')).not.toContain('ours');
  });
});
