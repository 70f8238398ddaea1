/**
 * Encoded keys: a key written in base64 (or base64url), percent-encoded, as JSON/JS string
 * escapes (`\u002d`, `\x2d`), or split by a `\`-newline line continuation (`.env`, shell).
 *
 * The prefilter stays one pass: every detector anchor is also compiled in its encoded
 * forms (its base64 at each of the three byte alignments, its escaped and percent-encoded
 * spellings) and the line-continuation literal. A hit on one decodes only the region
 * around it; the decoded text is scanned by the ordinary detectors, and a match is
 * reported at the encoded span in the original text (its line, column and byte offset),
 * with the encoding named. The value reported is the decoded key, so baselines and
 * own-key fingerprints match it.
 */

export type Encoding = 'base64' | 'url' | 'escape' | 'continuation';

/** One decoded region: the decoded text and, per decoded character, its source offset. */
export interface DecodedRegion {
  text: string;
  /** `sourceOffsets[i]` = source offset of decoded character i; one extra entry for the end. */
  sourceOffsets: number[];
}

/**
 * The base64 characters fully determined by `literal` when it starts at byte alignment
 * 0, 1 or 2 of the encoded stream (3+ characters only; shorter runs would match anywhere).
 */
function base64Forms(literal: string): string[] {
  const forms: string[] = [];
  for (let alignment = 0; alignment < 3; alignment += 1) {
    const bytes = Buffer.concat([Buffer.alloc(alignment), Buffer.from(literal, 'latin1'), Buffer.alloc(3)]);
    const encoded = bytes.toString('base64');
    const firstBit = alignment * 8;
    const endBit = (alignment + literal.length) * 8;
    const first = Math.ceil(firstBit / 6);
    const last = Math.floor(endBit / 6);
    const stable = encoded.slice(first, last);
    if (stable.length >= 3) forms.push(stable, stable.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

const hex2 = (code: number): string => code.toString(16).padStart(2, '0');

/** Escaped spellings: every character escaped, or only the punctuation (`sk\u002dant\u002d`). */
function escapeForms(literal: string): string[] {
  const forms = new Set<string>();
  const punctuation = /[^A-Za-z0-9]/;
  const each = (escape: (code: number) => string, all: boolean): string =>
    [...literal].map((character) => (all || punctuation.test(character) ? escape(character.charCodeAt(0)) : character)).join('');
  for (const all of [true, false]) {
    forms.add(each((code) => `\\u00${hex2(code)}`, all));
    forms.add(each((code) => `\\x${hex2(code)}`, all));
  }
  forms.delete(literal);
  return [...forms];
}

function percentForms(literal: string): string[] {
  const forms = new Set<string>();
  for (const all of [true, false]) {
    forms.add([...literal].map((character) => (all || /[^A-Za-z0-9]/.test(character) ? `%${hex2(character.charCodeAt(0)).toUpperCase()}` : character)).join(''));
  }
  forms.delete(literal);
  return [...forms];
}

export const CONTINUATION = '\\\n';

/**
 * The escaped or percent-encoded punctuation keys contain (`-`, `_`, `.`, `+`, `/`): a key
 * with only its punctuation encoded still shows its plain anchor, so these literals also
 * start a decode.
 */
export const ESCAPED_PUNCTUATION: ReadonlyArray<{ literal: string; encoding: Encoding }> = [
  // A key escaped whole has no plain anchor at all: any escaped letter or digit starts a decode.
  { literal: '\\u00', encoding: 'escape' },
  ...['3', '4', '5', '6', '7'].flatMap((digit) => [
    { literal: `\\x${digit}`, encoding: 'escape' as const },
    { literal: `%${digit}`, encoding: 'url' as const },
  ]),
  ...['-', '_', '.', '+', '/'].flatMap((character) => {
  const code = character.charCodeAt(0).toString(16).padStart(2, '0');
  return [
    { literal: `\\u00${code}`, encoding: 'escape' as const },
    { literal: `\\u00${code.toUpperCase()}`, encoding: 'escape' as const },
    { literal: `\\x${code}`, encoding: 'escape' as const },
    { literal: `%${code.toUpperCase()}`, encoding: 'url' as const },
    { literal: `%${code}`, encoding: 'url' as const },
  ];
  }),
];

/** Every encoded literal of a detector anchor, with the encoding that decodes it. */
export function encodedAnchors(literal: string): Array<{ literal: string; encoding: Encoding }> {
  return [
    ...base64Forms(literal).map((form) => ({ literal: form, encoding: 'base64' as const })),
    ...escapeForms(literal).map((form) => ({ literal: form, encoding: 'escape' as const })),
    ...percentForms(literal).map((form) => ({ literal: form, encoding: 'url' as const })),
  ];
}

/** How far around a hit a region is decoded (source characters): a fully `\u`-escaped 900-character key is 5,400. */
export const ENCODED_REACH = 6000;

const isBase64Char = (code: number): boolean =>
  (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 43 || code === 47 || code === 45 || code === 95;

/**
 * Decodes every base64 run in `from..to`, each from its own start (which sets the byte
 * alignment; the first may begin before `from`), joined by newlines.
 */
function decodeBase64(source: string, from: number, to: number): DecodedRegion {
  let text = '';
  const sourceOffsets: number[] = [];
  let position = from;
  const floor = Math.max(0, from - 65_536);
  while (position > floor && isBase64Char(source.charCodeAt(position - 1))) position -= 1;
  while (position < to) {
    while (position < to && !isBase64Char(source.charCodeAt(position))) position += 1;
    const start = position;
    while (position < to && isBase64Char(source.charCodeAt(position))) position += 1;
    if (position - start < 8) continue;
    const run = source.slice(start, position).replace(/-/g, '+').replace(/_/g, '/');
    const decoded = Buffer.from(run, 'base64').toString('latin1');
    for (let index = 0; index < decoded.length; index += 1) sourceOffsets.push(start + Math.floor((index * 4) / 3));
    text += decoded;
    sourceOffsets.push(start + Math.ceil((decoded.length * 4) / 3));
    text += '\n';
  }
  sourceOffsets.push(to);
  return { text, sourceOffsets };
}

const ESCAPE = /\\u([0-9A-Fa-f]{4})|\\x([0-9A-Fa-f]{2})/g;
const PERCENT = /%([0-9A-Fa-f]{2})/g;
const LINE_CONTINUATION = /\\\r?\n/g;

function decodeWith(source: string, from: number, to: number, pattern: RegExp, replace: (match: RegExpExecArray) => string): DecodedRegion {
  const region = source.slice(from, to);
  let text = '';
  const sourceOffsets: number[] = [];
  let last = 0;
  pattern.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(region)) !== null) {
    for (let index = last; index < match.index; index += 1) sourceOffsets.push(from + index);
    text += region.slice(last, match.index);
    const replacement = replace(match);
    for (let index = 0; index < replacement.length; index += 1) sourceOffsets.push(from + match.index);
    text += replacement;
    last = match.index + match[0].length;
  }
  for (let index = last; index < region.length; index += 1) sourceOffsets.push(from + index);
  text += region.slice(last);
  sourceOffsets.push(to);
  return { text, sourceOffsets };
}

/** Decodes the source region `from..to` (already clipped to the text) in `encoding`. */
export function decodeRegion(encoding: Encoding, source: string, from: number, to: number): DecodedRegion {
  switch (encoding) {
    case 'base64':
      return decodeBase64(source, from, to);
    case 'escape':
      return decodeWith(source, from, to, ESCAPE, (match) => String.fromCharCode(parseInt(match[1] ?? match[2] ?? '0', 16)));
    case 'url':
      return decodeWith(source, from, to, PERCENT, (match) => String.fromCharCode(parseInt(match[1] ?? '0', 16)));
    case 'continuation':
      return decodeWith(source, from, to, LINE_CONTINUATION, () => '');
  }
}
