/**
 * Redaction for logs: every key the detectors find is replaced by `[REDACTED <hint>]`
 * (`[REDACTED sk-proj-…Ab3d]`). `redact(text)` is for application loggers; `redactStream`
 * is `rekey redact`: line-buffered (a line is written as soon as it is complete) and in
 * constant memory (a line longer than `MAX_PENDING` is flushed in pieces, never cutting
 * through a key). Bytes are passed through unchanged around the keys, whatever the
 * ASCII-compatible encoding.
 */
import type { Readable, Writable } from 'node:stream';
import { redactHint } from '../core/secret-value.js';
import type { CompiledDetectors } from './detectors/detector-registry.js';
import { defaultDetectors } from './detectors/detector-registry.js';
import type { RawMatch } from './scan-engine.js';
import { scanText } from './scan-engine.js';

export interface RedactOptions {
  compiled?: CompiledDetectors | undefined;
  /** What replaces a key; default `[REDACTED <hint>]`. Must not return the value. */
  replacement?: ((hint: string, detectorId: string) => string) | undefined;
}

function defaultReplacement(hint: string): string {
  return `[REDACTED ${hint}]`;
}

function replaceMatches(text: string, matches: readonly RawMatch[], options: RedactOptions): string {
  if (matches.length === 0) return text;
  const replacement = options.replacement ?? defaultReplacement;
  let output = '';
  let position = 0;
  for (const match of matches) {
    if (match.start < position) continue;
    output += text.slice(position, match.start) + replacement(redactHint(match.value), match.detector.id);
    position = match.end;
  }
  return output + text.slice(position);
}

/** Returns `text` with every detected key replaced. For application loggers. */
export function redact(text: string, options: RedactOptions = {}): string {
  return replaceMatches(text, scanText(text, options.compiled ?? defaultDetectors()), options);
}

/** A line longer than this is flushed in pieces. */
export const MAX_PENDING = 256 * 1024;
/** Kept back from a flushed piece: longer than any key. */
const KEEP = 1024;

export interface StreamRedactor {
  /** Feeds bytes; returns the redacted bytes that are ready (whole lines). */
  push(bytes: Buffer): Buffer;
  /** Ends the input; returns the rest. */
  finish(): Buffer;
}

/**
 * The streaming redactor. Works on a Latin-1 view of the bytes (one byte, one character),
 * so multi-byte UTF-8 passes through untouched and no decoding can fail.
 */
export function createStreamRedactor(options: RedactOptions = {}): StreamRedactor {
  const compiled = options.compiled ?? defaultDetectors();
  let pending = '';

  function emit(text: string): Buffer {
    const matches = scanText(text, compiled);
    if (matches.length === 0) return Buffer.from(text, 'latin1');
    // Replacements may hold non-Latin-1 characters (the hint's ellipsis): encode pieces apart.
    const parts: Buffer[] = [];
    const replacement = options.replacement ?? defaultReplacement;
    let position = 0;
    for (const match of matches) {
      if (match.start < position) continue;
      parts.push(Buffer.from(text.slice(position, match.start), 'latin1'));
      parts.push(Buffer.from(replacement(redactHint(match.value), match.detector.id), 'utf8'));
      position = match.end;
    }
    parts.push(Buffer.from(text.slice(position), 'latin1'));
    return Buffer.concat(parts);
  }

  return {
    push(bytes) {
      pending += bytes.toString('latin1');
      const lastNewline = pending.lastIndexOf('\n');
      if (lastNewline !== -1) {
        const ready = pending.slice(0, lastNewline + 1);
        pending = pending.slice(lastNewline + 1);
        return emit(ready);
      }
      if (pending.length <= MAX_PENDING) return Buffer.alloc(0);
      // One very long line: flush all but a tail, never cutting a key in two.
      let cut = pending.length - KEEP;
      for (const match of scanText(pending, compiled)) {
        if (match.start < cut && match.end > cut) cut = match.start;
      }
      const ready = pending.slice(0, cut);
      pending = pending.slice(cut);
      return emit(ready);
    },
    finish() {
      const rest = pending;
      pending = '';
      return rest.length === 0 ? Buffer.alloc(0) : emit(rest);
    },
  };
}

/** `rekey redact`: copies `input` to `output` with keys replaced, line by line. */
export async function redactStream(input: Readable, output: Writable, options: RedactOptions = {}): Promise<number> {
  const redactor = createStreamRedactor(options);
  let written = 0;
  const write = async (bytes: Buffer): Promise<void> => {
    if (bytes.length === 0) return;
    written += bytes.length;
    if (!output.write(bytes)) await new Promise<void>((resolve) => output.once('drain', () => resolve()));
  };
  for await (const chunk of input) {
    await write(redactor.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'utf8')));
  }
  await write(redactor.finish());
  return written;
}
