/**
 * Reading one YAML file safely and remembering where every value came from: bounded size,
 * strict UTF-8 (the first bad byte is located), no duplicate keys, a bounded alias count
 * (an alias bomb is refused, not expanded), and no key values (the leak detectors run over
 * the text). Locations are recorded per JSON-pointer path for values and for keys.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { scanBytes } from '../scan/chunk-scanner.js';

export const MAX_FILE_BYTES = 8 * 1024 * 1024;
const MAX_ALIASES = 100;

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface SourceProblem extends SourceLocation {
  /** Dotted field path, e.g. `credentials.openai/x/prod.owner`; empty for the whole file. */
  field: string;
  message: string;
}

export interface YamlSource {
  file: string;
  value: unknown;
  /** Where each value starts, by pointer (`/credentials/openai~1x~1prod/owner`). */
  values: Map<string, SourceLocation>;
  /** Where each mapping key starts, by the pointer of its value. */
  keys: Map<string, SourceLocation>;
}

export type SourceResult = { ok: true; source: YamlSource } | { ok: false; problems: SourceProblem[] };

export const pointerOf = (path: ReadonlyArray<string | number>): string =>
  path.map((part) => `/${String(part).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

/** Offset of the first byte that breaks UTF-8, or -1. */
export function firstInvalidUtf8(bytes: Buffer): number {
  let index = 0;
  while (index < bytes.length) {
    const byte = bytes[index] ?? 0;
    let extra: number;
    let minimum: number;
    if (byte < 0x80) { index += 1; continue; }
    if (byte >= 0xc2 && byte <= 0xdf) { extra = 1; minimum = 0x80; }
    else if (byte >= 0xe0 && byte <= 0xef) { extra = 2; minimum = 0x800; }
    else if (byte >= 0xf0 && byte <= 0xf4) { extra = 3; minimum = 0x10000; }
    else return index;
    let codePoint = byte & (0x3f >> extra);
    for (let offset = 1; offset <= extra; offset += 1) {
      const next = bytes[index + offset];
      if (next === undefined || (next & 0xc0) !== 0x80) return index;
      codePoint = (codePoint << 6) | (next & 0x3f);
    }
    if (codePoint < minimum || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return index;
    index += extra + 1;
  }
  return -1;
}

function lineColumnOfByte(bytes: Buffer, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = 0; index < offset; index += 1) {
    if (bytes[index] === 0x0a) { line += 1; lineStart = index + 1; }
  }
  return { line, column: offset - lineStart + 1 };
}

function problem(file: string, line: number, column: number, message: string, field = ''): SourceResult {
  return { ok: false, problems: [{ file, line, column, field, message }] };
}

/** Reads and parses one file; `label` is how messages name it (a path relative to the cwd). */
export function readYamlSource(path: string, label: string): SourceResult {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return problem(label, 1, 1, 'is not a regular file');
    size = stat.size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return problem(label, 1, 1, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`);
  }
  if (size > MAX_FILE_BYTES) {
    return problem(label, 1, 1, `is ${(size / 1048576).toFixed(1)} MiB; a rekey.yaml file may hold at most ${MAX_FILE_BYTES / 1048576} MiB (split it with include:)`);
  }
  const bytes = readFileSync(path);
  return parseYamlSource(bytes, label);
}

export function parseYamlSource(bytes: Buffer, label: string): SourceResult {
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const at = lineColumnOfByte(bytes, bad);
    return problem(label, at.line, at.column, `is not valid UTF-8: byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, '0')} at offset ${bad}`);
  }
  const leaked = scanBytes(bytes);
  if (leaked !== 'binary' && leaked.length > 0) {
    const first = leaked[0];
    if (first !== undefined) {
      return problem(label, first.line, first.column, `holds what looks like a key value (${first.detector.description}); rekey.yaml holds references only, e.g. valueFrom: env:NAME`);
    }
  }
  if (leaked === 'binary') return problem(label, 1, 1, 'is a binary file, not YAML');
  const text = bytes.toString('utf8');
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true, merge: false });
  const at = (offset: number): SourceLocation => {
    const position = lineCounter.linePos(offset);
    return { file: label, line: position.line, column: position.col };
  };
  const errors = [...document.errors, ...document.warnings.filter((warning) => warning.code === 'TAG_RESOLVE_FAILED')];
  if (errors.length > 0) {
    return {
      ok: false,
      problems: errors.slice(0, 20).map((error) => ({ ...at(error.pos[0]), field: '', message: `YAML: ${error.message.split('\n')[0] ?? error.code}` })),
    };
  }
  let aliases = 0;
  const values = new Map<string, SourceLocation>();
  const keys = new Map<string, SourceLocation>();
  const walk = (node: Node | null | undefined, path: Array<string | number>): void => {
    if (node === null || node === undefined) return;
    if (node.range !== undefined && node.range !== null) values.set(pointerOf(path), at(node.range[0]));
    if (isAlias(node)) { aliases += 1; return; }
    if (isMap(node)) {
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const keyNode = item.key as Node | null;
        const keyText = isScalar(keyNode) ? String(keyNode.value) : '';
        const childPath = [...path, keyText];
        if (keyNode?.range !== undefined && keyNode.range !== null) keys.set(pointerOf(childPath), at(keyNode.range[0]));
        walk(item.value as Node | null, childPath);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item as Node | null, [...path, index]));
    }
  };
  walk(document.contents as Node | null, []);
  if (aliases > MAX_ALIASES) return problem(label, 1, 1, `uses ${aliases} YAML aliases; at most ${MAX_ALIASES} are allowed (an alias bomb is refused)`);
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    return problem(label, 1, 1, `YAML: ${error instanceof Error ? error.message.split('\n')[0] : 'cannot be read'}`);
  }
  return { ok: true, source: { file: label, value: value ?? {}, values, keys } };
}
