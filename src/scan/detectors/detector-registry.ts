import { aiPlatformDetectors } from './ai-platform-detectors.js';
import { aiPlatformKeywordDetectors } from './ai-platform-keyword-detectors.js';
import { cloudAiDetectors } from './cloud-ai-detectors.js';
import type { Detector } from './detector-spec.js';
import { CONTINUATION, encodedAnchors, ESCAPED_PUNCTUATION, type Encoding } from '../encoded-views.js';
import { keywordDetectors } from './keyword-detectors.js';
import { prefixDetectors } from './prefix-detectors.js';

export type { Detector } from './detector-spec.js';

/**
 * Every detector rekey ships, in a stable order (SARIF rule indexes follow it; new
 * detectors go at the end of their group). Prefixed formats come before keyword-anchored
 * ones, so a value both could claim is reported by its prefix.
 */
export const allDetectors: readonly Detector[] = [
  ...prefixDetectors, ...aiPlatformDetectors, ...cloudAiDetectors, ...keywordDetectors, ...aiPlatformKeywordDetectors,
];

export function findDetector(id: string): Detector | undefined {
  return allDetectors.find((detector) => detector.id === id);
}

/**
 * How rare a character is in source text and prose, 0 (common) to 30 (rare). Lower-case
 * letters follow their usual frequency order in code; capitals, digits and punctuation
 * inside identifiers are rarer than any of them.
 */
const LOWER_BY_FREQUENCY = 'etaronisclduphmfgbyvwkxjqz';

function computeRarity(code: number): number {
  const character = String.fromCharCode(code);
  const lowerRank = LOWER_BY_FREQUENCY.indexOf(character);
  if (lowerRank !== -1) return lowerRank;
  // Capitals start identifiers and sentences (`Content`, `To`): rarer than most lower-case
  // letters, not rare. Digits are frequent in numbers.
  if (code >= 65 && code <= 90) return 6 + LOWER_BY_FREQUENCY.indexOf(character.toLowerCase()) / 4;
  if (code >= 48 && code <= 57) return 14;
  if (character === ' ' || character === '\n') return -10;
  return 18;
}

/** `computeRarity` per byte, computed once (compiling the anchors calls it ~10,000 times). */
const RARITY = Float64Array.from({ length: 256 }, (_value, code) => computeRarity(code));

function rarity(code: number): number {
  return code < 256 ? (RARITY[code] as number) : 18;
}

/** One anchor literal, found through its rarest pair of adjacent characters. */
export interface AnchorEntry {
  literal: string;
  /** Offset of the pivot pair in the literal. */
  pivot: number;
  detectors: readonly Detector[];
  /** Encodings this literal is an encoded anchor of: a hit decodes the region around it. */
  encodings: readonly Encoding[];
}

/** The detectors, compiled for the engine's prefilter. */
export interface CompiledDetectors {
  detectors: readonly Detector[];
  /**
   * The prefilter: 65,536 flags indexed by a pair of adjacent bytes (`first << 8 | second`);
   * a set flag means some anchor's pivot pair is that pair. A scan looks up every pair of
   * the text — one table read per byte — and checks the few candidates it flags.
   */
  pivotTable: Uint8Array;
  /** The anchors whose pivot pair is each flagged pair, indexed by the pair (65,536 slots). */
  anchorsByPivot: ReadonlyArray<readonly AnchorEntry[] | undefined>;
  /** The longest possible span (window) of any detector, for chunk overlap. */
  maxReach: number;
  /**
   * The same detectors without encoded anchors, for scanning decoded regions (one level
   * deep); compiled on first use, so a scan that decodes nothing never pays for it.
   */
  plain: (() => CompiledDetectors) | undefined;
}

function choosePivot(literal: string): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let offset = 0; offset + 1 < literal.length; offset += 1) {
    const score = rarity(literal.charCodeAt(offset)) + rarity(literal.charCodeAt(offset + 1));
    if (score > bestScore) {
      bestScore = score;
      best = offset;
    }
  }
  return best;
}

/**
 * `encoded` (default true) also compiles every anchor's encoded forms (encoded-views.ts), so
 * base64, escaped, percent-encoded and line-continued keys are found in the same pass.
 */
export function compileDetectors(detectors: readonly Detector[] = allDetectors, options: { encoded?: boolean } = {}): CompiledDetectors {
  const encoded = options.encoded ?? true;
  const byAnchor = new Map<string, Detector[]>();
  let maxReach = 0;
  for (const detector of detectors) {
    maxReach = Math.max(maxReach, detector.reach.before + detector.reach.after);
    for (const anchor of detector.anchors) {
      if (anchor.length < 2 || /[^\x20-\x7e]/.test(anchor)) {
        throw new Error(`detector ${detector.id}: anchors must be printable ASCII of 2+ characters`);
      }
      const list = byAnchor.get(anchor) ?? [];
      list.push(detector);
      byAnchor.set(anchor, list);
    }
  }
  const byEncoded = new Map<string, Set<Encoding>>();
  if (encoded) {
    for (const literal of byAnchor.keys()) {
      for (const form of encodedAnchors(literal)) {
        const set = byEncoded.get(form.literal) ?? new Set<Encoding>();
        set.add(form.encoding);
        byEncoded.set(form.literal, set);
      }
    }
    byEncoded.set(CONTINUATION, new Set(['continuation']));
    for (const form of ESCAPED_PUNCTUATION) byEncoded.set(form.literal, new Set([...(byEncoded.get(form.literal) ?? []), form.encoding]));
  }
  const pivotTable = new Uint8Array(65536);
  const anchorsByPivot: Array<AnchorEntry[] | undefined> = new Array<AnchorEntry[] | undefined>(65536).fill(undefined);
  for (const literal of new Set([...byAnchor.keys(), ...byEncoded.keys()])) {
    const pivot = choosePivot(literal);
    const key = (literal.charCodeAt(pivot) << 8) | literal.charCodeAt(pivot + 1);
    pivotTable[key] = 1;
    const entries = anchorsByPivot[key] ?? [];
    entries.push({ literal, pivot, detectors: byAnchor.get(literal) ?? [], encodings: [...(byEncoded.get(literal) ?? [])] });
    anchorsByPivot[key] = entries;
  }
  let plain: CompiledDetectors | undefined;
  const plainOnce = (): CompiledDetectors => (plain ??= compileDetectors(detectors, { encoded: false }));
  return { detectors, pivotTable, anchorsByPivot, maxReach, plain: encoded ? plainOnce : undefined };
}

let defaultCompiled: CompiledDetectors | undefined;

export function defaultDetectors(): CompiledDetectors {
  defaultCompiled ??= compileDetectors();
  return defaultCompiled;
}
