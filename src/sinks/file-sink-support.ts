/**
 * What the file sinks (env, JSON, YAML) share: the configured path must be a regular
 * file or not exist — a symbolic link there is refused (rekey never writes through a link,
 * so a link planted in place of `app/.env` cannot send the key to another user's file); a
 * file that does not exist reads as an empty document and any other read failure throws;
 * a directory that others may write to is refused for writes unless the consumer sets
 * `allowSharedDirectory`; and the read → change → re-check → atomic write loop, which
 * starts over (bounded) when someone else changed the file between our read and our
 * rename, so their edit is not lost. The file is opened with O_NOFOLLOW and its owner is
 * taken from that open file, so the owner kept on a write is the replaced file's own, never
 * a link target's. Writes set the mode exactly (secure-file.ts: temp file in the same
 * directory, O_EXCL|O_NOFOLLOW).
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
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

/** The optional `allowSharedDirectory` option: write even when the file's directory is writable by others. */
export const allowSharedDirectoryOption = z.boolean().optional();

/** Errors the file system may clear up on its own. */
const RETRYABLE_CODES = new Set(['EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE', 'EINTR', 'ETIMEDOUT', 'EIO']);

export interface SinkFileOptions<Document> {
  kind: SinkKind;
  /** As configured; a symbolic link there is refused. */
  path: string;
  /** Write even when the directory is writable by others (the consumer's `allowSharedDirectory`). */
  allowSharedDirectory?: boolean | undefined;
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
  /** The permission bits of the file as it is (absent when it does not exist). */
  mode?: number;
}

export interface SinkFile<Document> {
  /** A SinkError for a failed file system call: the action and the error code, never the file's content. */
  fail(action: string, error: unknown): SinkError;
  read(): Promise<LoadedFile<Document>>;
  /** Writes what `next` returns for the file as it is now; `next` returns null when nothing needs to change. */
  update(action: string, next: (loaded: LoadedFile<Document>) => string | null): Promise<void>;
}

/** The dry-run diff's line for a write that changes the file's mode (rekey writes at the configured mode, default 0600). */
export function modeChangeLine(existing: number | undefined, mode: number): string | undefined {
  if (existing === undefined || existing === mode) return undefined;
  const octal = (bits: number) => `0${bits.toString(8).padStart(3, '0')}`;
  return `  mode ${octal(existing)} → ${octal(mode)} (to keep it: rekey consumer update <credential> <consumer> --mode ${octal(existing)})`;
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

  const refuse = (why: string): SinkError => new SinkError(`${label}: ${why}`, { sink: kind, isRetryable: false });

  const load = async (): Promise<LoadedFile<Document>> => {
    let handle;
    try {
      // O_NOFOLLOW: a link at the path fails with ELOOP instead of opening its target; O_NONBLOCK: a FIFO cannot hang us.
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { text: null, document: options.parse('') };
      if (code === 'ELOOP') {
        throw refuse('the path is a symbolic link; rekey writes only a regular file it replaces itself, never the target of a link — point the consumer at the real file');
      }
      throw fail('read the file', error);
    }
    let text: string;
    let owner: { uid: number; gid: number };
    let mode: number;
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw refuse('the path is not a regular file');
      owner = { uid: info.uid, gid: info.gid };
      mode = info.mode & 0o777;
      text = await handle.readFile('utf8');
    } catch (error) {
      if (error instanceof SinkError) throw error;
      throw fail('read the file', error);
    } finally {
      await handle.close().catch(() => undefined);
    }
    return { text, document: options.parse(text), owner, mode };
  };

  /** Before a write: a directory others may write to lets them swap the file under us. */
  const checkDirectory = async (): Promise<void> => {
    if (options.allowSharedDirectory === true) return;
    const directory = dirname(path);
    const info = await stat(directory).catch((error: unknown) => {
      throw fail('stat the directory', error);
    });
    if ((info.mode & 0o002) !== 0) {
      throw refuse(
        `refusing to write: the directory ${directory} is writable by others (mode 0${(info.mode & 0o7777).toString(8)}), so another user could replace the file or plant a link; ` +
          'make it writable only by its owner (chmod o-w), or set "allowSharedDirectory": true in the consumer',
      );
    }
  };

  return {
    fail,

    read: load,

    async update(action, next) {
      await checkDirectory();
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const before = await load();
        const text = next(before);
        if (text === null) return;
        const again = await load();
        if (again.text !== before.text) continue;
        try {
          // The owner comes from the file opened with O_NOFOLLOW: the replaced file's own, never a link target's.
          await replaceFileAtomically(path, text, { mode, owner: before.owner });
        } catch (error) {
          throw fail(action, error);
        }
        return;
      }
      throw new SinkError(`${label}: the file kept changing while rekey tried to ${action}`, { sink: kind, isRetryable: true });
    },
  };
}
