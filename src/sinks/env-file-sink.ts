/**
 * Env file sink: writes the key into a dotenv file the application already reads, under
 * its main name (`OPENAI_API_KEY`) and a versioned name (`OPENAI_API_KEY_V7`) so the
 * application can fall back to the other key during a rotation. Everything else in the
 * file — comments, order, blank lines, other variables — is kept. Writes are atomic and
 * leave the file at mode 0600 (configurable), owned by whoever owned it.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { ConfigError, SinkError } from '../core/errors.js';
import { redactHint, type SecretValue } from '../core/secret-value.js';
import { fingerprint } from '../crypto/fingerprint.js';
import { replaceFileAtomically } from '../crypto/secure-file.js';
import { parseEnv, readVariable, removeVariable, serializeEnv, setVariable, type EnvDocument } from './env-file-format.js';
import type { ReadableSink, SinkChange, SinkContext, SinkFactory, SinkPlan, SinkPlannedChange, SinkSlot } from './sink-spec.js';

const envFileConfigSchema = z
  .object({
    path: z.string().min(1).refine(isAbsolute, 'must be an absolute path'),
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name such as OPENAI_API_KEY'),
    /** File mode, e.g. 384 (0600) or "0640". */
    mode: z
      .union([z.number().int(), z.string().regex(/^0?[0-7]{3}$/)])
      .transform((mode) => (typeof mode === 'string' ? Number.parseInt(mode, 8) : mode))
      .refine((mode) => mode >= 0 && mode <= 0o777 && (mode & 0o007) === 0, 'must be 0600 or 0640-like (no access for others)')
      .optional(),
  })
  .strict();

export type EnvFileSinkConfig = z.input<typeof envFileConfigSchema>;

/** Errors the file system may clear up on its own. */
const RETRYABLE_CODES = new Set(['EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE', 'EINTR', 'ETIMEDOUT', 'EIO']);

export function createEnvFileSink(config: Record<string, unknown>, context: SinkContext): ReadableSink {
  const parsed = envFileConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(config)';
    throw new ConfigError(`consumer ${context.consumerName}: env-file option "${field}" ${issue?.message ?? 'is invalid'}`, {
      hint: 'env-file options: { path: "/abs/path/.env", name: "OPENAI_API_KEY", mode?: "0600" }',
    });
  }
  const { path, name } = parsed.data;
  const mode = parsed.data.mode ?? 0o600;
  const label = `env file ${path} (${name})`;

  const variableFor = (slot: SinkSlot): string => (slot === 'main' ? name : `${name}_V${slot.version}`);
  const isOurs = (entryName: string): boolean => entryName === name || new RegExp(`^${name}_V\\d+$`).test(entryName);

  const fail = (action: string, error: unknown): SinkError => {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    return new SinkError(`${label}: could not ${action}${code === undefined ? '' : ` (${code})`}`, {
      sink: 'env-file',
      isRetryable: code !== undefined && RETRYABLE_CODES.has(code),
      cause: code === undefined ? undefined : { code },
    });
  };

  /** The real file behind a symlink, so the rename replaces the file and keeps the link. */
  const target = async (): Promise<string> => {
    try {
      return await realpath(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return path;
      throw fail('resolve the path', error);
    }
  };

  /** The parsed file; a file that does not exist is an empty document, any other failure throws. */
  const load = async (file: string): Promise<{ document: EnvDocument; text: string | null; owner?: { uid: number; gid: number } }> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { document: parseEnv(''), text: null };
      throw fail('read the file', error);
    }
    const info = await stat(file).catch((error: unknown) => {
      throw fail('stat the file', error);
    });
    return { document: parseEnv(text), text, owner: { uid: info.uid, gid: info.gid } };
  };

  /**
   * Read, change, write back. If someone else changed the file between our read and our
   * rename, start over so their edit is not lost (bounded).
   */
  const update = async (action: string, change: (document: EnvDocument) => EnvDocument): Promise<void> => {
    const file = await target();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const before = await load(file);
      const next = serializeEnv(change(before.document));
      if (before.text !== null && next === before.text) return;
      const again = await load(file);
      if (again.text !== before.text) continue;
      try {
        await replaceFileAtomically(file, next, { mode, owner: before.owner });
      } catch (error) {
        throw fail(action, error);
      }
      return;
    }
    throw new SinkError(`${label}: the file kept changing while rekey tried to ${action}`, { sink: 'env-file', isRetryable: true });
  };

  const planOne = (document: EnvDocument, change: SinkChange): SinkPlannedChange => {
    const variable = variableFor(change.slot);
    const current = readVariable(document, variable);
    const before = current === undefined || current === '' ? null : redactHint(current);
    const common = { slot: change.slot, target: `${variable} in ${path}`, before };
    if ('remove' in change) return { ...common, action: current === undefined ? 'unchanged' : 'remove', after: null };
    const value = change.value.reveal();
    const action = current === undefined ? 'create' : current === value ? 'unchanged' : 'update';
    return { ...common, action, after: change.value.hint };
  };

  return {
    kind: 'env-file',

    describe: () => label,

    async write(slot: SinkSlot, value: SecretValue) {
      const variable = variableFor(slot);
      await update(`write ${variable}`, (document) => setVariable(document, variable, value.reveal(), isOurs));
    },

    async readFingerprint(slot: SinkSlot) {
      const { document } = await load(await target());
      const value = readVariable(document, variableFor(slot));
      if (value === undefined || value === '') return { state: 'absent' };
      return { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value) };
    },

    async remove(slot: SinkSlot) {
      const variable = variableFor(slot);
      const file = await target();
      const { text } = await load(file);
      if (text === null) return;
      await update(`remove ${variable}`, (document) => removeVariable(document, variable));
    },

    async plan(changes: SinkChange[]): Promise<SinkPlan> {
      const { document } = await load(await target());
      const planned = changes.map((change) => planOne(document, change));
      const diff: string[] = [];
      for (const item of planned) {
        if (item.action === 'unchanged') continue;
        const variable = item.target.split(' in ')[0] ?? item.target;
        if (item.before !== null) diff.push(`- ${variable}=${item.before}`);
        if (item.after !== null) diff.push(`+ ${variable}=${item.after}`);
      }
      if (diff.length > 0) diff.unshift(`--- ${path}`, `+++ ${path}`);
      return { changes: planned, diff };
    },
  };
}

createEnvFileSink satisfies SinkFactory;
