/**
 * The core matcher: one pass over the text looking up each pair of adjacent characters in
 * the anchors' pivot table (the literal prefilter), then each triggered detector's regex on
 * a merged window around its anchors. Text with no anchor costs that pass and nothing else;
 * for bytes (`scanLatin1`) only the windows are ever decoded.
 */
import type { CompiledDetectors, Detector } from './detectors/detector-registry.js';
import { defaultDetectors } from './detectors/detector-registry.js';
import { plausibleKey } from './detectors/detector-spec.js';
import { decodeRegion, ENCODED_REACH, type Encoding } from './encoded-views.js';

export interface RawMatch {
  detector: Detector;
  /** Character offsets of the key in the scanned text, end exclusive. */
  start: number;
  end: number;
  value: string;
  /** The paired companion (Azure: the resource host), when the detector has one. */
  host?: string | undefined;
  /** Set when the key was written encoded; `start`/`end` are then the encoded span. */
  encoding?: Encoding | undefined;
}

/** Lookaround needs a few characters of real context at each edge of a window. */
const EDGE = 4;

interface Window {
  start: number;
  end: number;
}

function mergeWindows(windows: Window[]): Window[] {
  windows.sort((left, right) => left.start - right.start);
  const merged: Window[] = [];
  for (const window of windows) {
    const last = merged[merged.length - 1];
    if (last !== undefined && window.start <= last.end) {
      last.end = Math.max(last.end, window.end);
    } else {
      merged.push({ ...window });
    }
  }
  return merged;
}

function nearestCompanion(
  pattern: RegExp,
  windowText: string,
  keyOffset: number,
): string | undefined {
  const regex = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g');
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const match of windowText.matchAll(regex)) {
    const distance = Math.abs(match.index - keyOffset);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = match[0];
    }
  }
  return best;
}

/**
 * A copy of `text` that does not share memory with the string it was sliced from: V8 keeps
 * a whole file's text alive for as long as any slice of it lives (a finding's value), which
 * would make memory grow with the scanned corpus.
 */
function detached(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** The inline allow marker: a line holding it is never reported (`KEY=… # rekey:allow`). */
export const ALLOW_MARKER = 'rekey:allow';

/** How far either side of a key the allow marker is looked for on its line. */
const ALLOW_REACH = 512;

/** Whether the line holding `start..end` (absolute offsets) carries the allow marker. */
function allowedInline(text: TextSource, start: number, end: number): boolean {
  const from = Math.max(0, start - ALLOW_REACH);
  const around = text.slice(from, Math.min(text.length, end + ALLOW_REACH));
  const lineStart = around.lastIndexOf('\n', start - from) + 1;
  const newline = around.indexOf('\n', end - from);
  return around.slice(lineStart, newline === -1 ? around.length : newline).includes(ALLOW_MARKER);
}

/** What window matching needs from the scanned input: a string or a Latin-1 byte view. */
interface TextSource {
  length: number;
  slice(start: number, end: number): string;
}

function runDetector(detector: Detector, text: TextSource, window: Window, into: RawMatch[], seen: Set<number>): void {
  const windowText = text.slice(window.start, window.end);
  const pattern = detector.pattern;
  pattern.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(windowText)) !== null) {
    if (match[0].length === 0) {
      pattern.lastIndex += 1;
      continue;
    }
    const span = match.indices?.groups?.['secret'] ?? match.indices?.[0];
    if (span === undefined) continue;
    const [localStart, localEnd] = span;
    // Without real context at a cut edge, a lookaround could pass on a truncated token.
    if (window.start > 0 && localStart < EDGE) continue;
    if (window.end < text.length && localEnd > windowText.length - 1) continue;
    const value = detached(windowText.slice(localStart, localEnd));
    if (detector.accept !== undefined && !detector.accept(value, windowText.slice(Math.max(0, localStart - 16), localStart))) continue;
    if (!plausibleKey(detector, value) || allowedInline(text, window.start + localStart, window.start + localEnd)) continue;
    const start = window.start + localStart;
    if (seen.has(start)) continue;
    let host: string | undefined;
    if (detector.companion !== undefined) {
      host = nearestCompanion(detector.companion.pattern, windowText, localStart);
      if (host === undefined) continue;
      host = detached(host);
    }
    seen.add(start);
    into.push({ detector, start, end: window.start + localEnd, value, host });
  }
}

type WindowsByDetector = Map<Detector, Window[]>;
type WindowsByEncoding = Map<Encoding, Window[]>;

interface AnchorHits {
  byDetector: WindowsByDetector;
  byEncoding: WindowsByEncoding;
}

function addEncodedWindows(byEncoding: WindowsByEncoding, encodings: readonly Encoding[], position: number, length: number): void {
  for (const encoding of encodings) {
    const windows = byEncoding.get(encoding) ?? [];
    windows.push({ start: Math.max(0, position - ENCODED_REACH), end: Math.min(length, position + ENCODED_REACH) });
    byEncoding.set(encoding, windows);
  }
}

function addWindows(windowsByDetector: WindowsByDetector, detectors: readonly Detector[], position: number, length: number): void {
  for (const detector of detectors) {
    const windows = windowsByDetector.get(detector) ?? [];
    windows.push({
      start: Math.max(0, position - detector.reach.before - EDGE),
      end: Math.min(length, position + detector.reach.after + EDGE),
    });
    windowsByDetector.set(detector, windows);
  }
}

/** The prefilter over a string: one table lookup per pair of adjacent characters. */
function anchorWindowsInString(text: string, compiled: CompiledDetectors): AnchorHits {
  const windowsByDetector: WindowsByDetector = new Map();
  const byEncoding: WindowsByEncoding = new Map();
  const { pivotTable, anchorsByPivot } = compiled;
  const length = text.length;
  const first = length > 0 ? text.charCodeAt(0) : 0;
  let previous = first > 0xff ? 0 : first;
  for (let index = 1; index < length; index += 1) {
    let code = text.charCodeAt(index);
    if (code > 0xff) code = 0;
    const pair = (previous << 8) | code;
    previous = code;
    if (pivotTable[pair] !== 1) continue;
    for (const entry of anchorsByPivot[pair] ?? []) {
      const position = index - 1 - entry.pivot;
      if (position < 0 || !text.startsWith(entry.literal, position)) continue;
      addWindows(windowsByDetector, entry.detectors, position, length);
      if (entry.encodings.length > 0) addEncodedWindows(byEncoding, entry.encodings, position, length);
    }
  }
  return { byDetector: windowsByDetector, byEncoding };
}

/** The same prefilter over raw bytes (an ASCII-compatible encoding): nothing is decoded. */
function anchorWindowsInBytes(bytes: Uint8Array, compiled: CompiledDetectors): AnchorHits {
  const windowsByDetector: WindowsByDetector = new Map();
  const byEncoding: WindowsByEncoding = new Map();
  const { pivotTable, anchorsByPivot } = compiled;
  const length = bytes.length;
  let previous = length > 0 ? (bytes[0] as number) : 0;
  for (let index = 1; index < length; index += 1) {
    const code = bytes[index] as number;
    const pair = (previous << 8) | code;
    previous = code;
    if (pivotTable[pair] !== 1) continue;
    for (const entry of anchorsByPivot[pair] ?? []) {
      const position = index - 1 - entry.pivot;
      const literal = entry.literal;
      if (position < 0 || position + literal.length > length) continue;
      let equal = true;
      for (let offset = 0; offset < literal.length; offset += 1) {
        if (bytes[position + offset] !== literal.charCodeAt(offset)) {
          equal = false;
          break;
        }
      }
      if (!equal) continue;
      addWindows(windowsByDetector, entry.detectors, position, length);
      if (entry.encodings.length > 0) addEncodedWindows(byEncoding, entry.encodings, position, length);
    }
  }
  return { byDetector: windowsByDetector, byEncoding };
}

/** How far back a base64 region may look for the start of its run (which sets the alignment). */
const BASE64_LOOKBACK = 65_536;

/** Keys inside the encoded regions around encoded-anchor hits, at their encoded spans. */
function decodedMatches(text: TextSource, byEncoding: WindowsByEncoding, compiled: CompiledDetectors, into: RawMatch[]): void {
  const plain = compiled.plain?.();
  if (plain === undefined) return;
  for (const [encoding, windows] of byEncoding) {
    for (const window of mergeWindows(windows)) {
      const base = encoding === 'base64' ? Math.max(0, window.start - BASE64_LOOKBACK) : window.start;
      const source = text.slice(base, window.end);
      const region = decodeRegion(encoding, source, window.start - base, source.length);
      for (const match of matchWindows({ length: region.text.length, slice: (start, end) => region.text.slice(start, end) }, anchorWindowsInString(region.text, plain), plain)) {
        const start = base + (region.sourceOffsets[match.start] ?? 0);
        const end = base + (region.sourceOffsets[match.end] ?? source.length);
        // Written plainly after all (nothing in its span was encoded): the plain pass has it.
        if (encoding !== 'base64' && end - start === match.value.length) continue;
        into.push({ ...match, start, end, encoding });
      }
    }
  }
}

function matchWindows(text: TextSource, hits: AnchorHits, compiled: CompiledDetectors): RawMatch[] {
  const windowsByDetector = hits.byDetector;
  if (windowsByDetector.size === 0 && hits.byEncoding.size === 0) return [];
  const matches: RawMatch[] = [];
  if (hits.byEncoding.size > 0) decodedMatches(text, hits.byEncoding, compiled, matches);
  for (const detector of compiled.detectors) {
    const windows = windowsByDetector.get(detector);
    if (windows === undefined) continue;
    const seen = new Set<number>();
    for (const window of mergeWindows(windows)) runDetector(detector, text, window, matches, seen);
  }
  matches.sort((left, right) => left.start - right.start);
  // A plain match inside an encoded one is the part of the key before its first escape or
  // line break: the encoded match is the whole key.
  const encoded = matches.filter((match) => match.encoding !== undefined);
  const unique: RawMatch[] = [];
  for (const match of matches) {
    const previous = unique[unique.length - 1];
    if (previous !== undefined && previous.start === match.start && previous.end === match.end) continue;
    if (match.encoding === undefined && encoded.some((whole) => whole.start <= match.start && match.end <= whole.end)) continue;
    unique.push(match);
  }
  return unique;
}

/**
 * Finds every key in `text`. Matches are sorted by start offset; one key matched by two
 * detectors is reported once, by the first detector in registry order.
 */
export function scanText(text: string, compiled: CompiledDetectors = defaultDetectors()): RawMatch[] {
  return matchWindows(text, anchorWindowsInString(text, compiled), compiled);
}

/**
 * `scanText` over bytes of an ASCII-compatible encoding, read as Latin-1 (one byte, one
 * character; offsets are byte offsets). Only the windows around anchors are decoded.
 */
export function scanLatin1(bytes: Buffer, compiled: CompiledDetectors = defaultDetectors()): RawMatch[] {
  const windows = anchorWindowsInBytes(bytes, compiled);
  if (windows.byDetector.size === 0 && windows.byEncoding.size === 0) return [];
  return matchWindows({ length: bytes.length, slice: (start, end) => bytes.toString('latin1', start, end) }, windows, compiled);
}
