/**
 * What the JSON and YAML file sinks share: the key sits at a JSON Pointer inside the
 * document (`/openai/apiKey`), versioned slots are siblings (`apiKey_V7`), and each change
 * is read, edited through a format codec that keeps the file's formatting, and written
 * back atomically (0600, owner kept), starting over if the file changed in between.
 * A file that does not exist reads as absent; one that cannot be read or parsed throws.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { SinkError } from '../core/errors.js';
import { redactHint, type SecretValue } from '../core/secret-value.js';
import { fingerprint } from '../crypto/fingerprint.js';
import { replaceFileAtomically } from '../crypto/secure-file.js';
import type { ReadableSink, SinkContext, SinkKind, SinkSlot } from './sink-spec.js';
import { parseSinkConfig, planChanges, slotName } from './sink-support.js';

/** A format's view of a parsed document; `path` is the pointer's segments. */
export interface DocumentCodec<Document> {
  parse(text: string): Document;
  /** The value at `path`; undefined when a segment is missing; throws `PathError` through a scalar. */
  get(document: Document, path: string[]): unknown;
  set(document: Document, path: string[], value: string): void;
  remove(document: Document, path: string[]): void;
  serialize(document: Document, original: string | null): string;
}

/** The document is not what the pointer expects (a string where an object should be). */
export class PathError extends Error {}

const documentFileConfigSchema = z
  .object({
    path: z.string().min(1).refine(isAbsolute, 'must be an absolute path'),
    /** JSON Pointer (RFC 6901) to the key inside the document, e.g. /openai/apiKey. */
    pointer: z.string().regex(/^(\/[^/]+)+$/, 'must be a JSON Pointer such as /openai/apiKey'),
    mode: z
      .union([z.number().int(), z.string().regex(/^0?[0-7]{3}$/)])
      .transform((mode) => (typeof mode === 'string' ? Number.parseInt(mode, 8) : mode))
      .refine((mode) => mode >= 0 && mode <= 0o777 && (mode & 0o007) === 0, 'must give others no access (0600, 0640)')
      .optional(),
  })
  .strict();

export function parsePointer(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const RETRYABLE_CODES = new Set(['EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE', 'EINTR', 'ETIMEDOUT', 'EIO']);

export function createDocumentFileSink<Document>(
  kind: SinkKind,
  formatName: string,
  codec: DocumentCodec<Document>,
  config: Record<string, unknown>,
  context: SinkContext,
): ReadableSink {
  const options = parseSinkConfig(documentFileConfigSchema, config, context, kind, `${kind} options: { path: "/abs/path/file", pointer: "/openai/apiKey", mode?: "0600" }`);
  const mode = options.mode ?? 0o600;
  const segments = parsePointer(options.pointer);
  const label = `${formatName} file ${options.path} (${options.pointer})`;
  const pathFor = (slot: SinkSlot): string[] => [...segments.slice(0, -1), slotName(segments[segments.length - 1] ?? '', slot)];
  const pointerFor = (slot: SinkSlot): string => '/' + pathFor(slot).map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

  const fail = (action: string, error: unknown): SinkError => {
    if (error instanceof SinkError) return error;
    if (error instanceof PathError) return new SinkError(`${label}: could not ${action}: ${error.message}`, { sink: kind, isRetryable: false });
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    return new SinkError(`${label}: could not ${action}${code === undefined ? '' : ` (${code})`}`, {
      sink: kind,
      isRetryable: code !== undefined && RETRYABLE_CODES.has(code),
      cause: code === undefined ? undefined : { code },
    });
  };

  const target = async (): Promise<string> => {
    try {
      return await realpath(options.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return options.path;
      throw fail('resolve the path', error);
    }
  };

  const load = async (file: string): Promise<{ text: string | null; document: Document; owner?: { uid: number; gid: number } }> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: null, document: codec.parse('') };
      throw fail('read the file', error);
    }
    let document: Document;
    try {
      document = codec.parse(text);
    } catch {
      // The parser's message may quote the file, which may hold keys: say only what failed.
      throw new SinkError(`${label}: the file is not valid ${formatName}`, { sink: kind, isRetryable: false });
    }
    const info = await stat(file).catch((error: unknown) => {
      throw fail('stat the file', error);
    });
    return { text, document, owner: { uid: info.uid, gid: info.gid } };
  };

  const valueAt = (document: Document, slot: SinkSlot): string | undefined => {
    let value: unknown;
    try {
      value = codec.get(document, pathFor(slot));
    } catch (error) {
      throw fail(`read ${pointerFor(slot)}`, error);
    }
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new SinkError(`${label}: ${pointerFor(slot)} holds a ${typeof value}, not a string`, { sink: kind, isRetryable: false });
    return value;
  };

  const update = async (action: string, change: (document: Document) => boolean): Promise<void> => {
    const file = await target();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const before = await load(file);
      let changed: boolean;
      try {
        changed = change(before.document);
      } catch (error) {
        throw fail(action, error);
      }
      if (!changed) return;
      const next = codec.serialize(before.document, before.text);
      const again = await load(file);
      if (again.text !== before.text) continue;
      try {
        await replaceFileAtomically(file, next, { mode, owner: before.owner });
      } catch (error) {
        throw fail(action, error);
      }
      return;
    }
    throw new SinkError(`${label}: the file kept changing while rekey tried to ${action}`, { sink: kind, isRetryable: true });
  };

  return {
    kind,
    describe: () => label,

    async write(slot, value: SecretValue) {
      await update(`write ${pointerFor(slot)}`, (document) => {
        if (valueAt(document, slot) === value.reveal()) return false;
        codec.set(document, pathFor(slot), value.reveal());
        return true;
      });
    },

    async readFingerprint(slot) {
      const value = valueAt((await load(await target())).document, slot);
      return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value) };
    },

    async remove(slot) {
      const file = await target();
      if ((await load(file)).text === null) return;
      await update(`remove ${pointerFor(slot)}`, (document) => {
        if (codec.get(document, pathFor(slot)) === undefined) return false;
        codec.remove(document, pathFor(slot));
        return true;
      });
    },

    async plan(changes) {
      const { document } = await load(await target());
      const plan = await planChanges(changes, {
        fingerprintSalt: context.fingerprintSalt,
        targetOf: (slot) => `${pointerFor(slot)} in ${options.path}`,
        current: async (slot) => {
          const value = valueAt(document, slot);
          return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value), hint: redactHint(value) };
        },
      });
      if (plan.diff.length > 0) plan.diff.unshift(`--- ${options.path}`, `+++ ${options.path}`);
      return plan;
    },
  };
}
