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
