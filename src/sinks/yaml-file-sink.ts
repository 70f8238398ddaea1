/**
 * YAML file sink: the key at a JSON Pointer inside a YAML file (`/openai/apiKey`, or
 * `/spec/template/env/0/value` through a sequence), versioned slots as siblings. Edits go
 * through the `yaml` package's Document API, so comments, key order, quoting style of the
 * untouched nodes, anchors and blank lines survive; the file is replaced atomically at 0600.
 */
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { createDocumentFileSink, PathError, type DocumentCodec } from './document-file.js';
import type { ReadableSink, SinkContext, SinkFactory } from './sink-spec.js';

/** Sequence indices are numbers in the Document API; map keys stay strings. */
function keysFor(document: Document, path: string[]): Array<string | number> {
  const keys: Array<string | number> = [];
  let node: unknown = document.contents;
  for (const segment of path) {
    const key = isSeq(node) && /^\d+$/.test(segment) ? Number(segment) : segment;
    keys.push(key);
    if (node === undefined || node === null) continue;
    if (!isMap(node) && !isSeq(node)) throw new PathError(`/${path.slice(0, keys.length - 1).join('/')} is not a mapping`);
    node = node.get(key, true);
  }
  return keys;
}

export const yamlCodec: DocumentCodec<Document> = {
  parse(text) {
    const document = parseDocument(text, { keepSourceTokens: false });
    if (document.errors.length > 0) throw new Error('invalid YAML');
    return document;
  },
  get(document, path) {
    const node = document.getIn(keysFor(document, path), true);
    if (node === undefined || node === null) return undefined;
    if (isScalar(node)) return node.value === null ? undefined : node.value;
    return node;
  },
  set(document, path, value) {
    const keys = keysFor(document, path);
    const existing = document.getIn(keys, true);
    // Keep the node (and its quoting style) when it is already a scalar there.
    if (isScalar(existing)) existing.value = value;
    else document.setIn(keys, value);
  },
  remove(document, path) {
    document.deleteIn(keysFor(document, path));
  },
  serialize: (document) => document.toString(),
};

export function createYamlFileSink(config: Record<string, unknown>, context: SinkContext): ReadableSink {
  return createDocumentFileSink('yaml-file', 'YAML', yamlCodec, config, context);
}

createYamlFileSink satisfies SinkFactory;
