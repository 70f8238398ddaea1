/**
 * Scans bytes of any size and encoding in chunks, with constant memory.
 *
 * Encodings: every key format is ASCII, so ASCII-compatible input (UTF-8 with or without
 * BOM, Latin-1, anything else 8-bit) is scanned as raw bytes read as Latin-1 — one byte is
 * one character, offsets are byte offsets, only the windows around anchors are ever turned
 * into strings, and invalid UTF-8 cannot fail. UTF-16 LE/BE
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
import { scanLatin1, scanText } from './scan-engine.js';

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

/** Longer than any key plus its lookahead (the longest: a service-account PEM, a short-term Bedrock key, ~4 KB). */
const OVERLAP = 8192;

/**
 * The operations the chunking logic needs on one buffer of input: a string (decoded
 * UTF-16) or raw bytes (ASCII-compatible input read as Latin-1, never decoded whole).
 */
interface TextOperations<Text> {
  empty: Text;
  join(carry: Text, next: Text): Text;
  length(text: Text): number;
  scan(text: Text, compiled: CompiledDetectors): RawMatch[];
  countNewlines(text: Text, from: number, to: number): number;
  lastNewline(text: Text): number;
  /** 1-based column of `start`, in characters. */
  column(text: Text, start: number): number;
  /** The part from `cut` on, owning its memory (read buffers are reused). */
  keep(text: Text, cut: number): Text;
}

const stringOperations: TextOperations<string> = {
  empty: '',
  join: (carry, next) => carry + next,
  length: (text) => text.length,
  scan: (text, compiled) => scanText(text, compiled),
  countNewlines(text, from, to) {
    let count = 0;
    for (let index = text.indexOf('\n', from); index !== -1 && index < to; index = text.indexOf('\n', index + 1)) count += 1;
    return count;
  },
  lastNewline: (text) => text.lastIndexOf('\n'),
  column: (text, start) => start - (start === 0 ? 0 : text.lastIndexOf('\n', start - 1) + 1) + 1,
  keep: (text, cut) => text.slice(cut),
};

const byteOperations: TextOperations<Buffer> = {
  empty: Buffer.alloc(0),
  join: (carry, next) => (carry.length === 0 ? next : next.length === 0 ? carry : Buffer.concat([carry, next])),
  length: (text) => text.length,
  scan: (text, compiled) => scanLatin1(text, compiled),
  countNewlines(text, from, to) {
    let count = 0;
    for (let index = text.indexOf(10, from); index !== -1 && index < to; index = text.indexOf(10, index + 1)) count += 1;
    return count;
  },
  lastNewline: (text) => text.lastIndexOf(10),
  column(text, start) {
    const lineStart = start === 0 ? 0 : text.lastIndexOf(10, start - 1) + 1;
    for (let index = lineStart; index < start; index += 1) {
      // Not ASCII: count the characters as UTF-8 would.
      if ((text[index] as number) >= 0x80) return text.toString('utf8', lineStart, start).length + 1;
    }
    return start - lineStart + 1;
  },
  keep: (text, cut) => Buffer.from(text.subarray(cut)),
};

function swapBytePairs(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy.swap16();
  return copy;
}

interface Decoding<Text> {
  operations: TextOperations<Text>;
  decode(bytes: Buffer): Text;
  end(): Text;
}

function latin1Decoding(bomLength: number): Decoding<Buffer> {
  let bomToSkip = bomLength;
  return {
    operations: byteOperations,
    decode(bytes) {
      if (bomToSkip === 0) return bytes;
      const skip = Math.min(bomToSkip, bytes.length);
      bomToSkip -= skip;
      return bytes.subarray(skip);
    },
    end: () => byteOperations.empty,
  };
}

function utf16Decoding(bomLength: number, bigEndian: boolean): Decoding<string> {
  const decoder = new StringDecoder('utf16le');
  let bomToSkip = bomLength;
  let oddByte: Buffer | undefined;
  return {
    operations: stringOperations,
    decode(bytes) {
      let input = bytes;
      if (bomToSkip > 0) {
        const skip = Math.min(bomToSkip, input.length);
        input = input.subarray(skip);
        bomToSkip -= skip;
      }
      if (!bigEndian) return decoder.write(input);
      if (oddByte !== undefined) {
        input = Buffer.concat([oddByte, input]);
        oddByte = undefined;
      }
      if (input.length % 2 === 1) {
        oddByte = Buffer.from(input.subarray(input.length - 1));
        input = input.subarray(0, input.length - 1);
      }
      return decoder.write(swapBytePairs(input));
    },
    end: () => decoder.end(),
  };
}

function createScannerWith<Text>(decoding: Decoding<Text>, options: ChunkScannerOptions): ChunkScanner {
  const { operations } = decoding;
  const compiled = options.compiled ?? defaultDetectors();
  // Context kept before the accepted region: keyword and companion reach.
  const context = compiled.maxReach + 16;
  const bytesPerChar = options.encoding === 'latin1' ? 1 : 2;
  let carry = operations.empty;
  let acceptFrom = 0;
  /** Absolute character index of `carry[0]`. */
  let baseChar = 0;
  /** Line number (1-based) of `carry[0]`. */
  let baseLine = 1;

  function process(text: Text, final: boolean): PositionedMatch[] {
    const length = operations.length(text);
    let limit = final ? length : length - OVERLAP;
    if (!final && options.acceptUpToLastLine === true) limit = Math.max(limit, operations.lastNewline(text) + 1);
    const accepted: PositionedMatch[] = [];
    if (limit > acceptFrom) {
      let line = baseLine;
      let counted = 0;
      for (const match of operations.scan(text, compiled)) {
        if (match.start < acceptFrom || match.start >= limit) continue;
        line += operations.countNewlines(text, counted, match.start);
        counted = match.start;
        accepted.push({
          ...match,
          line,
          column: operations.column(text, match.start),
          byteOffset: options.bomLength + (baseChar + match.start) * bytesPerChar,
          byteLength: (match.end - match.start) * bytesPerChar,
        });
      }
    }
    if (!final) {
      const cut = Math.max(0, Math.min(limit, length) - context);
      baseLine += operations.countNewlines(text, 0, cut);
      baseChar += cut;
      carry = operations.keep(text, cut);
      acceptFrom = Math.max(limit, acceptFrom) - cut;
    }
    return accepted;
  }

  return {
    push: (bytes) => process(operations.join(carry, decoding.decode(bytes)), false),
    finish(bytes) {
      const last = bytes === undefined ? operations.empty : decoding.decode(bytes);
      const text = operations.join(operations.join(carry, last), decoding.end());
      carry = operations.empty;
      return process(text, true);
    },
  };
}

export function createChunkScanner(options: ChunkScannerOptions): ChunkScanner {
  if (options.encoding === 'latin1') return createScannerWith(latin1Decoding(options.bomLength), options);
  return createScannerWith(utf16Decoding(options.bomLength, options.encoding === 'utf16be'), options);
}

/** Scans a whole in-memory buffer (a blob, a small file). */
export function scanBytes(bytes: Buffer, compiled?: CompiledDetectors): PositionedMatch[] | 'binary' {
  const sniff = sniffEncoding(bytes);
  if (sniff.encoding === 'binary') return 'binary';
  const scanner = createChunkScanner({ encoding: sniff.encoding, bomLength: sniff.bomLength, compiled });
  return scanner.finish(bytes);
}
