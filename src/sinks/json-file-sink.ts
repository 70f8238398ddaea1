/**
 * JSON file sink: the key at a JSON Pointer inside a JSON config file
 * (`{ path: "/srv/app/config.json", pointer: "/openai/apiKey" }`), versioned slots as
 * siblings (`apiKey_V7`). Edits are made in the text itself (json-text-edit.ts), so every
 * byte rekey did not need to change stays as written; if that is not possible the file is
 * re-serialised keeping key order, detected indentation, line endings and the final
 * newline. The file is replaced atomically at 0600.
 */
import { isDeepStrictEqual } from 'node:util';
import { createDocumentFileSink, PathError, type DocumentCodec } from './document-file.js';
import { applyJsonEdit, type JsonEdit } from './json-text-edit.js';
import type { ReadableSink, SinkContext, SinkFactory } from './sink-spec.js';

interface JsonDocument {
  root: unknown;
  /** The edits made since parsing, replayed on the original text. */
  edits: JsonEdit[];
}

const isContainer = (value: unknown): value is Record<string, unknown> | unknown[] => typeof value === 'object' && value !== null;

function child(container: unknown, segment: string, where: string[]): unknown {
  if (container === undefined) return undefined;
  if (!isContainer(container)) throw new PathError(`/${where.join('/')} is not an object`);
  if (Array.isArray(container)) return /^\d+$/.test(segment) ? container[Number(segment)] : undefined;
  return Object.hasOwn(container, segment) ? container[segment] : undefined;
}

/** The container that holds the last segment, created on the way when `create`. */
function parentOf(document: JsonDocument, path: string[], create: boolean): Record<string, unknown> | unknown[] | undefined {
  if (document.root === undefined && create) document.root = {};
  let node: unknown = document.root;
  for (let index = 0; index < path.length - 1; index += 1) {
    const segment = path[index] ?? '';
    let next = child(node, segment, path.slice(0, index));
    if (next === undefined && create) {
      next = {};
      if (Array.isArray(node)) throw new PathError(`/${path.slice(0, index + 1).join('/')} is past the end of an array`);
      (node as Record<string, unknown>)[segment] = next;
    }
    if (next === undefined) return undefined;
    node = next;
  }
  if (!isContainer(node)) throw new PathError(`/${path.slice(0, -1).join('/')} is not an object`);
  return node;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return Symbol('invalid');
  }
}

function detectIndent(text: string): string {
  const match = /^[{[][^\n]*\n([ \t]+)\S/m.exec(text);
  return match?.[1] ?? '  ';
}

export const jsonCodec: DocumentCodec<JsonDocument> = {
  parse: (text) => ({ root: text.trim() === '' ? undefined : (JSON.parse(text) as unknown), edits: [] }),
  get(document, path) {
    let node: unknown = document.root;
    path.forEach((segment, index) => {
      node = child(node, segment, path.slice(0, index));
    });
    return node;
  },
  set(document, path, value) {
    document.edits.push({ op: 'set', path, value });
    const parent = parentOf(document, path, true);
    const last = path[path.length - 1] ?? '';
    if (Array.isArray(parent)) {
      if (!/^\d+$/.test(last) || Number(last) > parent.length) throw new PathError(`/${path.join('/')} is not a usable array index`);
      parent[Number(last)] = value;
    } else if (parent !== undefined) parent[last] = value;
  },
  remove(document, path) {
    document.edits.push({ op: 'remove', path });
    const parent = parentOf(document, path, false);
    const last = path[path.length - 1] ?? '';
    if (Array.isArray(parent)) {
      if (/^\d+$/.test(last)) parent.splice(Number(last), 1);
    } else if (parent !== undefined) delete parent[last];
  },
  serialize(document, original) {
    if (original !== null && original.trim() !== '') {
      let edited: string | undefined = original;
      for (const edit of document.edits) edited = edited === undefined ? undefined : applyJsonEdit(edited, edit);
      // Trust the in-place edit only if it parses back to exactly the intended document.
      if (edited !== undefined && isDeepStrictEqual(safeParse(edited), document.root)) return edited;
    }
    const text = original ?? '';
    const indent = original === null ? '  ' : detectIndent(text);
    const newline = text.includes('\r\n') ? '\r\n' : '\n';
    const finalNewline = original === null || /\n$/.test(text);
    const body = JSON.stringify(document.root ?? {}, null, indent).replace(/\n/g, newline);
    return finalNewline ? body + newline : body;
  },
};

export function createJsonFileSink(config: Record<string, unknown>, context: SinkContext): ReadableSink {
  return createDocumentFileSink('json-file', 'JSON', jsonCodec, config, context);
}

createJsonFileSink satisfies SinkFactory;
