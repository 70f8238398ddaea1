/**
 * What the file sinks (env, JSON, YAML) share: the file behind a symlink, so the rename
 * replaces the file and keeps the link; a file that does not exist reads as an empty
 * document and any other read failure throws; and the read → change → re-check → atomic
 * write loop, which starts over (bounded) when someone else changed the file between our
 * read and our rename, so their edit is not lost. Writes set the mode exactly and keep
 * the owner (secure-file.ts).
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { SinkError } from '../core/errors.js';
import { replaceFileAtomically } from '../crypto/secure-file.js';
import type { SinkKind } from './sink-spec.js';

/** The `path` option: an absolute path. */
export const absolutePathOption = z.string().min(1).refine(isAbsolute, 'must be an absolute path');

/** The optional `mode` option, e.g. 384 (0600) or "0640"; `refusal` says why a mode that lets others in is refused. */
export function fileModeOption(refusal: string) {
  return z
    .union([z.number().int(), z.string().regex(/^0?[0-7]{3}$/)])
    .transform((mode) => (typeof mode === 'string' ? Number.parseInt(mode, 8) : mode))
    .refine((mode) => mode >= 0 && mode <= 0o777 && (mode & 0o007) === 0, refusal)
    .optional();
}

/** Errors the file system may clear up on its own. */
const RETRYABLE_CODES = new Set(['EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE', 'EINTR', 'ETIMEDOUT', 'EIO']);

export interface SinkFileOptions<Document> {
  kind: SinkKind;
  /** As configured; may be a symlink. */
  path: string;
  mode: number;
  /** Starts every error message: `env file /srv/app/.env (OPENAI_API_KEY)`. */
  label: string;
  /** The document in `text` ('' when the file does not exist); may throw a SinkError that says only what failed. */
  parse(text: string): Document;
}

export interface LoadedFile<Document> {
  document: Document;
  /** null when the file does not exist. */
  text: string | null;
  owner?: { uid: number; gid: number };
}

export interface SinkFile<Document> {
  /** A SinkError for a failed file system call: the action and the error code, never the file's content. */
  fail(action: string, error: unknown): SinkError;
  read(): Promise<LoadedFile<Document>>;
  /** Writes what `next` returns for the file as it is now; `next` returns null when nothing needs to change. */
  update(action: string, next: (loaded: LoadedFile<Document>) => string | null): Promise<void>;
}

export function openSinkFile<Document>(options: SinkFileOptions<Document>): SinkFile<Document> {
  const { kind, path, mode, label } = options;

  const fail = (action: string, error: unknown): SinkError => {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    return new SinkError(`${label}: could not ${action}${code === undefined ? '' : ` (${code})`}`, {
      sink: kind,
      isRetryable: code !== undefined && RETRYABLE_CODES.has(code),
      cause: code === undefined ? undefined : { code },
    });
  };

  const target = async (): Promise<string> => {
    try {
      return await realpath(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return path;
      throw fail('resolve the path', error);
    }
  };

  const load = async (file: string): Promise<LoadedFile<Document>> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: null, document: options.parse('') };
      throw fail('read the file', error);
    }
    const document = options.parse(text);
    const info = await stat(file).catch((error: unknown) => {
      throw fail('stat the file', error);
    });
    return { text, document, owner: { uid: info.uid, gid: info.gid } };
  };

  return {
    fail,

    read: async () => load(await target()),

    async update(action, next) {
      const file = await target();
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const before = await load(file);
        const text = next(before);
        if (text === null) return;
        const again = await load(file);
        if (again.text !== before.text) continue;
        try {
          await replaceFileAtomically(file, text, { mode, owner: before.owner });
        } catch (error) {
          throw fail(action, error);
        }
        return;
      }
      throw new SinkError(`${label}: the file kept changing while rekey tried to ${action}`, { sink: kind, isRetryable: true });
    },
  };
}
