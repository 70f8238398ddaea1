/**
 * Env file sink: writes the key into a dotenv file the application already reads, under
 * its main name (`OPENAI_API_KEY`) and a versioned name (`OPENAI_API_KEY_V7`) so the
 * application can fall back to the other key during a rotation. Everything else in the
 * file — comments, order, blank lines, other variables — is kept. Writes are atomic and
 * leave the file at mode 0600 (configurable), owned by whoever owned it; a symbolic link
 * at the path and a directory writable by others are refused (file-sink-support.ts).
 */
import { z } from 'zod';
import { SinkError } from '../core/errors.js';
import { redactHint, type SecretValue } from '../core/secret-value.js';
import { fingerprint } from '../crypto/fingerprint.js';
import { EnvEncodingError, parseEnv, readVariable, removeVariable, serializeEnv, setVariable, type EnvDocument } from './env-file-format.js';
import { absolutePathOption, allowSharedDirectoryOption, fileModeOption, modeChangeLine, openSinkFile } from './file-sink-support.js';
import type { ReadableSink, SinkChange, SinkContext, SinkFactory, SinkPlan, SinkSlot } from './sink-spec.js';
import { parseSinkConfig, planChanges, slotName } from './sink-support.js';

const envFileConfigSchema = z
  .object({
    path: absolutePathOption,
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name such as OPENAI_API_KEY'),
    /** File mode, e.g. 384 (0600) or "0640". */
    mode: fileModeOption('must be 0600 or 0640-like (no access for others)'),
    /** Write even when the file's directory is writable by others (refused by default). */
    allowSharedDirectory: allowSharedDirectoryOption,
  })
  .strict();

export type EnvFileSinkConfig = z.input<typeof envFileConfigSchema>;

export function createEnvFileSink(config: Record<string, unknown>, context: SinkContext): ReadableSink {
  const { path, name, mode, allowSharedDirectory } = parseSinkConfig(
    envFileConfigSchema,
    config,
    context,
    'env-file',
    'env-file options: { path: "/abs/path/.env", name: "OPENAI_API_KEY", mode?: "0600", allowSharedDirectory?: false }',
  );
  const label = `env file ${path} (${name})`;
  const file = openSinkFile<EnvDocument>({ kind: 'env-file', path, mode: mode ?? 0o600, label, parse: parseEnv, allowSharedDirectory });

  const isOurs = (entryName: string): boolean => entryName === name || new RegExp(`^${name}_V\\d+$`).test(entryName);

  const update = (action: string, change: (document: EnvDocument) => EnvDocument): Promise<void> =>
    file.update(action, ({ document, text }) => {
      let next: string;
      try {
        next = serializeEnv(change(document));
      } catch (error) {
        if (error instanceof EnvEncodingError) throw new SinkError(`${label}: could not ${action}: ${error.message}`, { sink: 'env-file', isRetryable: false });
        throw error;
      }
      return next === text ? null : next;
    });

  return {
    kind: 'env-file',

    describe: () => label,

    async write(slot: SinkSlot, value: SecretValue) {
      const variable = slotName(name, slot);
      await update(`write ${variable}`, (document) => setVariable(document, variable, value.reveal(), isOurs));
    },

    async readFingerprint(slot: SinkSlot) {
      const { document } = await file.read();
      const value = readVariable(document, slotName(name, slot));
      if (value === undefined || value === '') return { state: 'absent' };
      return { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value) };
    },

    async remove(slot: SinkSlot) {
      const variable = slotName(name, slot);
      if ((await file.read()).text === null) return;
      await update(`remove ${variable}`, (document) => removeVariable(document, variable));
    },

    async plan(changes: SinkChange[]): Promise<SinkPlan> {
      const { document, mode: existingMode } = await file.read();
      const { changes: planned } = await planChanges(changes, {
        fingerprintSalt: context.fingerprintSalt,
        targetOf: (slot) => `${slotName(name, slot)} in ${path}`,
        current: async (slot) => {
          const value = readVariable(document, slotName(name, slot));
          if (value === undefined) return { state: 'absent' };
          // An empty assignment holds no key, yet a write updates that line rather than adding one.
          if (value === '') return { state: 'unknown' };
          return { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value), hint: redactHint(value) };
        },
      });
      // The diff reads like the file: `- NAME=hint` / `+ NAME=hint`.
      const diff: string[] = [];
      for (const item of planned) {
        if (item.action === 'unchanged') continue;
        const variable = slotName(name, item.slot);
        if (item.before !== null) diff.push(`- ${variable}=${item.before}`);
        if (item.after !== null) diff.push(`+ ${variable}=${item.after}`);
      }
      if (diff.length > 0) {
        diff.unshift(`--- ${path}`, `+++ ${path}`);
        const modeLine = modeChangeLine(existingMode, mode ?? 0o600);
        if (modeLine !== undefined) diff.push(modeLine);
      }
      return { changes: planned, diff };
    },
  };
}

createEnvFileSink satisfies SinkFactory;
