/**
 * JSON file sink: the key at a JSON Pointer inside a JSON config file
 * (`{ path: "/srv/app/config.json", pointer: "/openai/apiKey" }`), versioned slots as
 * siblings (`apiKey_V7`). Key order, indentation (spaces or tabs, as detected), line
 * endings and the final newline are kept; the file is replaced atomically at 0600.
 */
import { createDocumentFileSink, PathError, type DocumentCodec } from './document-file.js';
import type { ReadableSink, SinkContext, SinkFactory } from './sink-spec.js';

interface JsonDocument {
  root: unknown;
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

function detectIndent(text: string): string {
  const match = /^[{[][^\n]*\n([ \t]+)\S/m.exec(text);
  return match?.[1] ?? '  ';
}

export const jsonCodec: DocumentCodec<JsonDocument> = {
  parse: (text) => ({ root: text.trim() === '' ? undefined : (JSON.parse(text) as unknown) }),
  get(document, path) {
    let node: unknown = document.root;
    path.forEach((segment, index) => {
      node = child(node, segment, path.slice(0, index));
    });
    return node;
  },
  set(document, path, value) {
    const parent = parentOf(document, path, true);
    const last = path[path.length - 1] ?? '';
    if (Array.isArray(parent)) {
      if (!/^\d+$/.test(last) || Number(last) > parent.length) throw new PathError(`/${path.join('/')} is not a usable array index`);
      parent[Number(last)] = value;
    } else if (parent !== undefined) parent[last] = value;
  },
  remove(document, path) {
    const parent = parentOf(document, path, false);
    const last = path[path.length - 1] ?? '';
    if (Array.isArray(parent)) {
      if (/^\d+$/.test(last)) parent.splice(Number(last), 1);
    } else if (parent !== undefined) delete parent[last];
  },
  serialize(document, original) {
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
