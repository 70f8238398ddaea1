/**
 * Attack (issue #17, item 2): with `app/.env` replaced by a symbolic link to a file owned
 * by `nobody` (mode 0644), one write left that file owned by `nobody`, mode 0600, holding
 * the key — the sink followed the link and kept the target's owner. Now a file sink
 * refuses a link at its path (env, JSON and YAML alike) and leaves the link's target
 * untouched; the owner of a replaced file is kept only when the path is the file itself;
 * and a directory that others may write to is refused unless the consumer says
 * `allowSharedDirectory`. The chown to nobody needs root, which the test suite runs as.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { createSink } from '../../src/sinks/sink-registry.js';

const NOBODY = 65534;
const salt = randomBytes(32);
const asRoot = process.getuid?.() === 0;

const kinds = [
  { kind: 'env-file', file: '.env', config: { name: 'OPENAI_API_KEY' }, original: 'OTHER=1\n' },
  { kind: 'json-file', file: 'config.json', config: { pointer: '/openai/apiKey' }, original: '{"other": 1}\n' },
  { kind: 'yaml-file', file: 'config.yaml', config: { pointer: '/openai/apiKey' }, original: 'other: 1\n' },
] as const;

describe('attack: a file sink path replaced by a symbolic link to another user\'s file', () => {
  let root: string;
  let app: string;
  let victim: string;
  const key = new SecretValue(`sk-proj-${randomBytes(24).toString('hex')}`);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rekey-symlink-attack-'));
    app = join(root, 'app');
    await mkdir(app, { mode: 0o750 });
    victim = join(root, 'victim');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const sinkFor = (entry: (typeof kinds)[number], extra: Record<string, unknown> = {}) =>
    createSink({ name: 'app', kind: entry.kind, config: { path: join(app, entry.file), ...entry.config, ...extra } }, salt);

  for (const entry of kinds) {
    it.skipIf(!asRoot)(`${entry.kind}: the write is refused and nobody's file keeps its owner, mode and content`, async () => {
      await writeFile(victim, entry.original, { mode: 0o644 });
      await chmod(victim, 0o644);
      await chown(victim, NOBODY, NOBODY);
      await symlink(victim, join(app, entry.file));

      const sink = await sinkFor(entry);
      await expect(sink.write('main', key)).rejects.toMatchObject({
        code: 'sink',
        isRetryable: false,
        message: expect.stringMatching(/is a symbolic link/),
      });
      expect(sink.readFingerprint).toBeTypeOf('function');
      await expect(sink.readFingerprint?.('main')).rejects.toMatchObject({ message: expect.stringMatching(/symbolic link/) });

      const after = await stat(victim);
      expect(after.uid).toBe(NOBODY);
      expect(after.mode & 0o777).toBe(0o644);
      expect(await readFile(victim, 'utf8')).toBe(entry.original);
      expect((await lstat(join(app, entry.file))).isSymbolicLink()).toBe(true);
      // No temp file with the key left behind either.
      for (const name of await readdir(app)) {
        if (name === entry.file) continue;
        expect(await readFile(join(app, name), 'utf8')).not.toContain(key.reveal());
      }
    });
  }

  it.skipIf(!asRoot)('a regular file owned by nobody is replaced in place and keeps its owner (no link involved)', async () => {
    const path = join(app, '.env');
    await writeFile(path, 'OTHER=1\n', { mode: 0o640 });
    await chown(path, NOBODY, NOBODY);
    const sink = await sinkFor(kinds[0]);
    await sink.write('main', key);
    const after = await stat(path);
    expect(after.uid).toBe(NOBODY);
    expect(after.gid).toBe(NOBODY);
    expect(after.mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toContain(`OPENAI_API_KEY=${key.reveal()}`);
  });

  it('a directory writable by others is refused unless the consumer allows it', async () => {
    await chmod(app, 0o1777);
    for (const entry of kinds) {
      const sink = await sinkFor(entry);
      await expect(sink.write('main', key)).rejects.toMatchObject({
        code: 'sink',
        message: expect.stringMatching(/directory .* is writable by others \(mode 01777\).*allowSharedDirectory/),
      });
      await expect(stat(join(app, entry.file))).rejects.toMatchObject({ code: 'ENOENT' });
      const allowed = await sinkFor(entry, { allowSharedDirectory: true });
      await allowed.write('main', key);
      expect(await readFile(join(app, entry.file), 'utf8')).toContain(key.reveal());
    }
  });
});
