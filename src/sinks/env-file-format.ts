/**
 * A dotenv document that round-trips: every line rekey does not own (comments, blank
 * lines, other variables, odd formatting) comes back byte for byte. Pure, no I/O.
 *
 * Quoting follows common dotenv readers: unquoted values end at ` #`; single quotes are
 * literal; double quotes understand `\n`, `\r`, `\t`, `\"`, `\\`, `\$` and `\``, and may span
 * lines. When the same name is assigned twice, readers take the last one, and writes
 * update every occurrence so they agree. What rekey writes is also safe to source with a
 * POSIX shell: no expansion happens in it (encodeValue).
 */

export type Quote = '"' | "'" | '';

export interface EnvAssignment {
  kind: 'assignment';
  name: string;
  value: string;
  quote: Quote;
  /** Whitespace before the name and an optional `export ` prefix. */
  prefix: string;
  /** ` # comment` after the value, kept on rewrite. */
  suffix: string;
  /** The original text (possibly several lines), reused when the entry is untouched. */
  raw: string;
}

export interface EnvOther {
  kind: 'other';
  raw: string;
}

export type EnvEntry = EnvAssignment | EnvOther;

export interface EnvDocument {
  entries: EnvEntry[];
  eol: '\n' | '\r\n';
  bom: boolean;
  /** Whether the text ended with a line break. */
  finalEol: boolean;
}

const ASSIGNMENT = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*)(.*)$/;

export function parseEnv(text: string): EnvDocument {
  const bom = text.startsWith('\uFEFF');
  const body = bom ? text.slice(1) : text;
  const eol = body.includes('\r\n') ? '\r\n' : '\n';
  const finalEol = body.endsWith('\n');
  const lines = body === '' ? [] : body.split(/\r?\n/);
  if (finalEol) lines.pop();
  const entries: EnvEntry[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const match = ASSIGNMENT.exec(line);
    if (match === null) {
      entries.push({ kind: 'other', raw: line });
      continue;
    }
    const prefix = match[1] ?? '';
    const name = match[2] ?? '';
    const rest = match[4] ?? '';
    const quote = rest[0] === '"' || rest[0] === "'" ? rest[0] : '';
    if (quote === '') {
      const comment = /\s+#.*$/.exec(rest);
      const value = (comment === null ? rest : rest.slice(0, comment.index)).trimEnd();
      entries.push({ kind: 'assignment', name, value, quote, prefix, suffix: comment?.[0] ?? '', raw: line });
      continue;
    }
    // A quoted value: find the closing quote, possibly on a later line.
    let text = rest.slice(1);
    let consumed = index;
    let close = findClose(text, quote);
    while (close < 0 && consumed + 1 < lines.length) {
      consumed += 1;
      text += '\n' + (lines[consumed] ?? '');
      close = findClose(text, quote);
    }
    if (close < 0) {
      // Never closed: read it as a plain value on its own line, like dotenv does.
      entries.push({ kind: 'assignment', name, value: rest.trimEnd(), quote: '', prefix, suffix: '', raw: line });
      continue;
    }
    const inner = text.slice(0, close);
    const raw = lines.slice(index, consumed + 1).join('\n');
    const after = text.slice(close + 1);
    entries.push({
      kind: 'assignment',
      name,
      value: quote === '"' ? unescapeDouble(inner) : inner,
      quote,
      prefix,
      suffix: /^\s*(#.*)?$/.test(after) ? after : '',
      raw,
    });
    index = consumed;
  }
  return { entries, eol, bom, finalEol };
}

function findClose(text: string, quote: '"' | "'"): number {
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (quote === '"' && character === '\\') {
      index += 1;
      continue;
    }
    if (character === quote) return index;
  }
  return -1;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$', '`': '`' };

function unescapeDouble(text: string): string {
  return text.replace(/\\(.)/gs, (whole, character: string) => ESCAPES[character] ?? whole);
}

/** Characters a POSIX shell gives no meaning to in an assignment's value (no `~`: `A=~/x` expands). */
const SAFE_UNQUOTED = /^[A-Za-z0-9_\-.:/+=@,%^]+$/;
/** Nothing a shell expands or ends a double-quoted string with. */
const INERT_IN_DOUBLE = /^[^$`"\\!\n\r]*$/;

/** A value no quoting can carry to both a shell and a dotenv reader unchanged. */
export class EnvEncodingError extends Error {}

/**
 * Encode a value so that sourcing the file with `set -a; . .env` expands nothing in it
 * and a dotenv reader reads the same text (issue #17): unquoted only when every character
 * is inert, single quotes (literal everywhere) whenever the value has no `'`, else double
 * quotes with `\`, `"`, `$` and the backtick escaped and line breaks written as they are.
 * The entry's existing quote style is kept when it is safe for the value.
 */
export function encodeValue(value: string, preferred: Quote): string {
  if (value.includes('\r') || value.includes('\0')) throw new EnvEncodingError('the value holds a carriage return or NUL, which a .env file cannot carry safely');
  if (preferred === '' && SAFE_UNQUOTED.test(value)) return value;
  if (preferred === '"' && INERT_IN_DOUBLE.test(value)) return `"${value}"`;
  if (!value.includes("'")) return `'${value}'`;
  const escaped = value.replace(/[\\"$`]/g, (character) => `\\${character}`);
  return `"${escaped}"`;
}

export function serializeEnv(document: EnvDocument): string {
  const lines = document.entries.map((entry) => entry.raw.split('\n').join(document.eol));
  let text = lines.join(document.eol);
  if (document.finalEol && lines.length > 0) text += document.eol;
  return (document.bom ? '\uFEFF' : '') + text;
}

/** The value a dotenv reader sees for `name` (the last assignment), if any. */
export function readVariable(document: EnvDocument, name: string): string | undefined {
  let found: string | undefined;
  for (const entry of document.entries) {
    if (entry.kind === 'assignment' && entry.name === name) found = entry.value;
  }
  return found;
}

function assignmentText(prefix: string, name: string, value: string, quote: Quote, suffix: string): string {
  return `${prefix}${name}=${encodeValue(value, quote)}${suffix}`;
}

/**
 * Set `name` to `value`: every existing assignment is rewritten in place (keeping its
 * `export`, indentation, quote style and comment); a new one goes after `anchorNames`'
 * last assignment when there is one, else at the end.
 */
export function setVariable(document: EnvDocument, name: string, value: string, anchorNames: (entryName: string) => boolean): EnvDocument {
  let found = false;
  const entries = document.entries.map((entry): EnvEntry => {
    if (entry.kind !== 'assignment' || entry.name !== name) return entry;
    found = true;
    const raw = assignmentText(entry.prefix, name, value, entry.quote, entry.suffix);
    return { ...entry, value, raw };
  });
  if (found) return { ...document, entries };
  const added: EnvAssignment = { kind: 'assignment', name, value, quote: '', prefix: '', suffix: '', raw: assignmentText('', name, value, '', '') };
  let anchor = -1;
  entries.forEach((entry, index) => {
    if (entry.kind === 'assignment' && anchorNames(entry.name)) anchor = index;
  });
  if (anchor >= 0) {
    const copy = [...entries];
    copy.splice(anchor + 1, 0, added);
    return { ...document, entries: copy };
  }
  // Appending: a file without a final line break gets one before the new line.
  return { ...document, entries: [...entries, added], finalEol: true };
}

export function removeVariable(document: EnvDocument, name: string): EnvDocument {
  const entries = document.entries.filter((entry) => entry.kind !== 'assignment' || entry.name !== name);
  return { ...document, entries };
}
