/**
 * Scans bytes of any size and encoding in chunks, with constant memory.
 *
 * Encodings: every key format is ASCII, so ASCII-compatible input (UTF-8 with or without
 * BOM, Latin-1, anything else 8-bit) is scanned as Latin-1 — one byte is one character,
 * offsets are byte offsets, no decoding cost, no failure on invalid UTF-8. UTF-16 LE/BE
 * (with a BOM, or recognised by its zero bytes) is decoded. Other input with NUL bytes is
 * binary and skipped.
 *
 * Chunks: each chunk is scanned together with a carried tail of the previous one, so a key
 * that straddles a boundary is found once. A match is accepted only if it starts in the
 * part of the buffer not carried over, and before `OVERLAP` characters from the end
 * (unless the input is finished) — every key is shorter than `OVERLAP`, so an accepted
 * match is complete, and one starting later is seen whole in the next buffer.
 */
import { StringDecoder } from 'node:string_decoder';
import type { CompiledDetectors } from './detectors/detector-registry.js';
import { defaultDetectors } from './detectors/detector-registry.js';
import type { RawMatch } from './scan-engine.js';
import { hasAnchor, scanText } from './scan-engine.js';

export type TextEncoding = 'latin1' | 'utf16le' | 'utf16be' | 'binary';

export interface SniffResult {
  encoding: TextEncoding;
  /** Bytes of byte-order mark to skip. */
  bomLength: number;
}

/** How many leading bytes `sniffEncoding` looks at. */
export const SNIFF_BYTES = 8192;

function looksLikeUtf16(head: Buffer, zeroParity: 0 | 1): boolean {
  const pairs = Math.floor(Math.min(head.length, 4096) / 2);
  if (pairs < 2) return false;
  let zeroAtParity = 0;
  let zeroElsewhere = 0;
  for (let index = 0; index < pairs * 2; index += 1) {
    if (head[index] !== 0) continue;
    if (index % 2 === zeroParity) zeroAtParity += 1;
    else zeroElsewhere += 1;
  }
  return zeroAtParity >= pairs * 0.4 && zeroElsewhere <= pairs * 0.02;
}

export function sniffEncoding(head: Buffer): SniffResult {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'latin1', bomLength: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf16le', bomLength: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf16be', bomLength: 2 };
  const sample = head.subarray(0, SNIFF_BYTES);
  if (sample.indexOf(0) === -1) return { encoding: 'latin1', bomLength: 0 };
  if (looksLikeUtf16(sample, 1)) return { encoding: 'utf16le', bomLength: 0 };
  if (looksLikeUtf16(sample, 0)) return { encoding: 'utf16be', bomLength: 0 };
  return { encoding: 'binary', bomLength: 0 };
}

/** A raw match with its position in the input. */
export interface PositionedMatch extends RawMatch {
  line: number;
  column: number;
  byteOffset: number;
  byteLength: number;
}

export interface ChunkScannerOptions {
  encoding: Exclude<TextEncoding, 'binary'>;
  bomLength: number;
  compiled?: CompiledDetectors | undefined;
  /**
   * For live streams (logs on stdin): also accept matches that end before the last line
   * break of the buffer, so a key is reported when its line arrives rather than later.
   */
  acceptUpToLastLine?: boolean | undefined;
}

export interface ChunkScanner {
  /** Feeds raw bytes (the BOM included, if any); returns the matches now certain. */
  push(bytes: Buffer): PositionedMatch[];
  /** Ends the input (with its last bytes, if any); returns the remaining matches. */
  finish(bytes?: Buffer): PositionedMatch[];
}

/** Longer than any key plus its lookahead. */
const OVERLAP = 1024;

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  let index = text.indexOf('\n', from);
  while (index !== -1 && index < to) {
    count += 1;
    index = text.indexOf('\n', index + 1);
  }
  return count;
}

function swapBytePairs(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy.swap16();
  return copy;
}

export function createChunkScanner(options: ChunkScannerOptions): ChunkScanner {
  const compiled = options.compiled ?? defaultDetectors();
  // Context kept before the accepted region: keyword and companion reach.
  const context = compiled.maxReach + 16;
  const bytesPerChar = options.encoding === 'latin1' ? 1 : 2;
  const decoder = options.encoding === 'latin1' ? undefined : new StringDecoder('utf16le');
  let bomToSkip = options.bomLength;
  let oddByte: Buffer | undefined;

  let carry = '';
  let pushed = false;
  let acceptFrom = 0;
  /** Absolute character index of `carry[0]`. */
  let baseChar = 0;
  /** Line number (1-based) of `carry[0]`. */
  let baseLine = 1;

  function decode(bytes: Buffer): string {
    let input = bytes;
    if (bomToSkip > 0) {
      const skip = Math.min(bomToSkip, input.length);
      input = input.subarray(skip);
      bomToSkip -= skip;
    }
    if (decoder === undefined) return input.toString('latin1');
    if (options.encoding === 'utf16be') {
      if (oddByte !== undefined) {
        input = Buffer.concat([oddByte, input]);
        oddByte = undefined;
      }
      if (input.length % 2 === 1) {
        oddByte = Buffer.from(input.subarray(input.length - 1));
        input = input.subarray(0, input.length - 1);
      }
      return decoder.write(swapBytePairs(input));
    }
    return decoder.write(input);
  }

  function column(text: string, start: number): number {
    const lineStart = text.lastIndexOf('\n', start - 1) + 1;
    const prefix = text.slice(lineStart, start);
    if (options.encoding !== 'latin1') return prefix.length + 1;
    // Latin-1 view of UTF-8 bytes: count characters as UTF-8 would.
    if (!/[^\x00-\x7f]/.test(prefix)) return prefix.length + 1;
    return Buffer.from(prefix, 'latin1').toString('utf8').length + 1;
  }

  function process(text: string, final: boolean): PositionedMatch[] {
    let limit = final ? text.length : text.length - OVERLAP;
    if (!final && options.acceptUpToLastLine === true) limit = Math.max(limit, text.lastIndexOf('\n') + 1);
    const accepted: PositionedMatch[] = [];
    if (limit > acceptFrom) {
      let line = baseLine;
      let counted = 0;
      for (const match of scanText(text, compiled)) {
        if (match.start < acceptFrom || match.start >= limit) continue;
        line += countNewlines(text, counted, match.start);
        counted = match.start;
        accepted.push({
          ...match,
          line,
          column: column(text, match.start),
          byteOffset: options.bomLength + (baseChar + match.start) * bytesPerChar,
          byteLength: (match.end - match.start) * bytesPerChar,
        });
      }
    }
    if (!final) {
      const cut = Math.max(0, Math.min(limit, text.length) - context);
      baseLine += countNewlines(text, 0, cut);
      baseChar += cut;
      carry = text.slice(cut);
      acceptFrom = Math.max(limit, acceptFrom) - cut;
    }
    return accepted;
  }

  return {
    push(bytes) {
      pushed = true;
      const text = carry + decode(bytes);
      return process(text, false);
    },
    finish(bytes) {
      // A whole input in one piece with no anchor (the common case): nothing to decode.
      if (!pushed && decoder === undefined && bytes !== undefined && !hasAnchor(bytes, compiled)) return [];
      const last = bytes === undefined ? '' : decode(bytes);
      const tail = decoder === undefined ? '' : decoder.end();
      const text = carry + last + tail;
      carry = '';
      return process(text, true);
    },
  };
}

/** Scans a whole in-memory buffer (a blob, a small file). */
export function scanBytes(bytes: Buffer, compiled?: CompiledDetectors): PositionedMatch[] | 'binary' {
  const sniff = sniffEncoding(bytes);
  if (sniff.encoding === 'binary') return 'binary';
  const scanner = createChunkScanner({ encoding: sniff.encoding, bomLength: sniff.bomLength, compiled });
  return scanner.finish(bytes);
}
