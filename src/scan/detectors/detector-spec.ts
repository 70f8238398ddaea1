/**
 * What a detector is. A detector names one key format; the engine finds its anchors with
 * one cheap literal pass over the text, then runs the detector's regex only on a small
 * window around each anchor. Regexes never run over a whole file.
 */

export interface Detector {
  /** Stable id, used in findings, baselines and SARIF rule ids: `openai-project-key`. */
  id: string;
  /** The vendor: `openai`, `anthropic`, `google`, `groq`… */
  provider: string;
  /** One line for humans and SARIF rule descriptions. */
  description: string;
  /**
   * Literal, case-sensitive strings; the detector runs only where one occurs. Keyword
   * detectors list the case variants they accept (`cohere`, `Cohere`, `COHERE`).
   */
  anchors: readonly string[];
  /**
   * Global regex with the `d` flag. The key is the named group `secret` when there is one,
   * else the whole match. It runs on a window, so boundaries are lookarounds, never `^`/`$`.
   */
  pattern: RegExp;
  /** How far before and after an anchor's start a match may begin and end (characters). */
  reach: { before: number; after: number };
  /**
   * Rejects shapes that match the regex but cannot be keys (fillers, one letter case, a
   * hash named as such). `before` is up to 16 characters preceding the value.
   */
  accept?: ((value: string, before: string) => boolean) | undefined;
  /**
   * A companion that must sit within `reach` of the key (Azure: the resource host). Its
   * nearest match is reported as the finding's `context.host`.
   */
  companion?: { pattern: RegExp; name: 'host' } | undefined;
  /**
   * Shannon entropy floor, in bits per character, of the value without `literalPrefix`
   * (default `DEFAULT_MIN_ENTROPY`). A random key sits well above its floor; fillers,
   * repeated runs and hand-typed placeholders fall below it.
   */
  minEntropy?: number | undefined;
  /** Characters of fixed prefix (`sk-ant-api03-`) left out of the entropy measure. */
  literalPrefix?: number | undefined;
}

/** Bits per character below which a value is not random enough to be a key. */
export const DEFAULT_MIN_ENTROPY = 3;

/** Shannon entropy of `value` in bits per character. */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const character of value) counts.set(character, (counts.get(character) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const share = count / value.length;
    bits -= share * Math.log2(share);
  }
  return bits;
}

const PLACEHOLDER_WORDS = /example|placeholder|your[-_]?(?:api[-_]?)?(?:key|token|secret)|dummy|sample|redacted|changeme|replace[-_]?me|insert[-_]?(?:key|here)|notarealkey|fake[-_]?key|test[-_]?key/i;

/** Six or more characters in alphabet or digit order (`abcdef`, `UVWXYZ`, `345678`, `zyxwvu`), case-blind. */
function hasOrderedRun(value: string, length = 6): boolean {
  const lower = value.toLowerCase();
  let up = 1;
  let down = 1;
  for (let index = 1; index < lower.length; index += 1) {
    const step = lower.charCodeAt(index) - lower.charCodeAt(index - 1);
    const sameClass = /[a-z0-9]/.test(lower.charAt(index)) && /[a-z0-9]/.test(lower.charAt(index - 1));
    up = step === 1 && sameClass ? up + 1 : 1;
    down = step === -1 && sameClass ? down + 1 : 1;
    if (up >= length || down >= length) return true;
  }
  return false;
}

/**
 * A value that has a key's shape but was typed by a person: documentation placeholders
 * (`your-key-here`, `EXAMPLE`), alphabet or digit runs (`AIzaSyABCDEFGHIJ…0123456`), a
 * character repeated six times (`xxxxxx`, `000000`), or a short pattern repeated
 * (`abababab`, `a1b2c3d4a1b2c3d4a1b2c3d4`). A random key of these lengths practically never is.
 */
export function looksLikePlaceholder(value: string): boolean {
  if (PLACEHOLDER_WORDS.test(value)) return true;
  if (/(.)\1{5}/.test(value)) return true;
  if (/(.{2,3})\1{3}/.test(value) || /(.{4,12})\1{2}/.test(value)) return true;
  return hasOrderedRun(value);
}

/** The per-detector floor and the placeholder filter, applied by the engine to every match. */
export function plausibleKey(detector: Detector, value: string): boolean {
  const body = value.slice(detector.literalPrefix ?? 0);
  if (shannonEntropy(body) < (detector.minEntropy ?? DEFAULT_MIN_ENTROPY)) return false;
  return !looksLikePlaceholder(body);
}

/** The characters that can continue a key: a match must not touch one on either side. */
const KEY_CHAR = 'A-Za-z0-9_\\-';

/**
 * Start boundary: not preceded by a key character — unless that character is the `n`, `r`
 * or `t` of an escape sequence (`"…\nsk-…"`) or the end of a percent-escape (`%22sk-…`).
 * Never inside an escape: not right after `\`, `%` or `%2` (else `%22key` would match
 * as `22key` for keys without a prefix).
 */
export const START = `(?:(?<=\\\\[nrt])|(?<=%[0-9A-Fa-f]{2})|(?<![${KEY_CHAR}%\\\\]))(?<!%[0-9A-Fa-f])`;
/** End boundary: not followed by a key character (keys may end in `-` or `_`). */
export const END = `(?![${KEY_CHAR}])`;

/** Builds a detector regex: lookaround boundaries around a key body. */
export function bounded(body: string): RegExp {
  return new RegExp(`${START}(?<secret>${body})${END}`, 'gd');
}

/**
 * Builds a keyword-anchored regex: one of the keyword variants, then up to `gap` characters
 * (a name suffix, quotes, `=`, `:`, or a line break and indentation in YAML), then the
 * bounded key. Keywords are listed case by case: the key body itself is case-sensitive.
 */
export function keywordAnchored(keywords: readonly string[], body: string, gap = 40): RegExp {
  const keywordSource = keywords.join('|');
  return new RegExp(
    `(?:${keywordSource})[\\s\\S]{0,${gap}}?${START}(?<secret>${body})${END}`,
    'gd',
  );
}

/** Every case variant a keyword anchor should list: `cohere`, `Cohere`, `COHERE`. */
export function caseVariants(word: string): string[] {
  const lower = word.toLowerCase();
  const capital = lower.charAt(0).toUpperCase() + lower.slice(1);
  return [...new Set([lower, capital, word.toUpperCase(), word])];
}

const HAS_UPPER = /[A-Z]/;
const HAS_LOWER = /[a-z]/;
const HAS_DIGIT = /[0-9]/;

/** Random tokens of 20+ characters from a mixed alphabet use upper, lower and digits. */
export function mixedAlphanumeric(value: string): boolean {
  return HAS_UPPER.test(value) && HAS_LOWER.test(value) && HAS_DIGIT.test(value);
}

/** Random letter-heavy tokens use both cases (identifiers and words do not). */
export function mixedCase(value: string): boolean {
  return HAS_UPPER.test(value) && HAS_LOWER.test(value);
}

/** A random hex string of 32+ digits has letters and digits, and no long run of one char. */
export function randomLookingHex(value: string): boolean {
  return /[a-f]/i.test(value) && HAS_DIGIT.test(value) && !/(.)\1{5}/.test(value);
}

/** Rejects obvious fillers: `xxxx`, `0000`, `abcdef…` repeated. */
export function notFiller(value: string): boolean {
  return !/(.)\1{7}/.test(value) && !/(?:abcdef|123456|ABCDEF){2}/.test(value);
}

/** A hex value labelled as a digest (`sha256:…`, `commit=…`) is a hash, not a key. */
export function notLabelledHash(_value: string, before: string): boolean {
  return !/(?:sha\d*|md5|digest|hash|commit|checksum|integrity|etag)["']?\s*[:=@-]?\s*["']?$/i.test(before);
}
