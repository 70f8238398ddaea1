/**
 * What the JSON and YAML file sinks share: the key sits at a JSON Pointer inside the
 * document (`/openai/apiKey`), versioned slots are siblings (`apiKey_V7`), and each change
 * is read, edited through a format codec that keeps the file's formatting, and written
 * back atomically (0600, owner kept), starting over if the file changed in between.
 * A file that does not exist reads as absent; one that cannot be read or parsed throws.
 */
import { z } from 'zod';
import { SinkError } from '../core/errors.js';
import { redactHint, type SecretValue } from '../core/secret-value.js';
import { fingerprint } from '../crypto/fingerprint.js';
import { absolutePathOption, allowSharedDirectoryOption, fileModeOption, modeChangeLine, openSinkFile } from './file-sink-support.js';
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
    path: absolutePathOption,
    /** JSON Pointer (RFC 6901) to the key inside the document, e.g. /openai/apiKey. */
    pointer: z.string().regex(/^(\/[^/]+)+$/, 'must be a JSON Pointer such as /openai/apiKey'),
    mode: fileModeOption('must give others no access (0600, 0640)'),
    /** Write even when the file's directory is writable by others (refused by default). */
    allowSharedDirectory: allowSharedDirectoryOption,
  })
  .strict();

export function parsePointer(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function createDocumentFileSink<Document>(
  kind: SinkKind,
  formatName: string,
  codec: DocumentCodec<Document>,
  config: Record<string, unknown>,
  context: SinkContext,
): ReadableSink {
  const options = parseSinkConfig(documentFileConfigSchema, config, context, kind, `${kind} options: { path: "/abs/path/file", pointer: "/openai/apiKey", mode?: "0600", allowSharedDirectory?: false }`);
  const mode = options.mode ?? 0o600;
  const segments = parsePointer(options.pointer);
  const label = `${formatName} file ${options.path} (${options.pointer})`;
  const pathFor = (slot: SinkSlot): string[] => [...segments.slice(0, -1), slotName(segments[segments.length - 1] ?? '', slot)];
  const pointerFor = (slot: SinkSlot): string => '/' + pathFor(slot).map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

  const file = openSinkFile<Document>({
    kind,
    path: options.path,
    mode,
    label,
    allowSharedDirectory: options.allowSharedDirectory,
    parse: (text) => {
      try {
        return codec.parse(text);
      } catch {
        // The parser's message may quote the file, which may hold keys: say only what failed.
        throw new SinkError(`${label}: the file is not valid ${formatName}`, { sink: kind, isRetryable: false });
      }
    },
  });

  const fail = (action: string, error: unknown): SinkError => {
    if (error instanceof SinkError) return error;
    if (error instanceof PathError) return new SinkError(`${label}: could not ${action}: ${error.message}`, { sink: kind, isRetryable: false });
    return file.fail(action, error);
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

  /** `change` edits the document in place and says whether it changed anything. */
  const update = (action: string, change: (document: Document) => boolean): Promise<void> =>
    file.update(action, ({ document, text }) => {
      try {
        if (!change(document)) return null;
      } catch (error) {
        throw fail(action, error);
      }
      return codec.serialize(document, text);
    });

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
      const value = valueAt((await file.read()).document, slot);
      return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value) };
    },

    async remove(slot) {
      if ((await file.read()).text === null) return;
      await update(`remove ${pointerFor(slot)}`, (document) => {
        if (codec.get(document, pathFor(slot)) === undefined) return false;
        codec.remove(document, pathFor(slot));
        return true;
      });
    },

    async plan(changes) {
      const { document, mode: existingMode } = await file.read();
      const plan = await planChanges(changes, {
        fingerprintSalt: context.fingerprintSalt,
        targetOf: (slot) => `${pointerFor(slot)} in ${options.path}`,
        current: async (slot) => {
          const value = valueAt(document, slot);
          return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value), hint: redactHint(value) };
        },
      });
      if (plan.diff.length > 0) {
        plan.diff.unshift(`--- ${options.path}`, `+++ ${options.path}`);
        const modeLine = modeChangeLine(existingMode, mode);
        if (modeLine !== undefined) plan.diff.push(modeLine);
      }
      return plan;
    },
  };
}
