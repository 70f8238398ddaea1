import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeKey, seededRandom } from '../../bench/scan/fake-key-generator.js';
import { createChunkScanner, scanBytes, sniffEncoding } from './chunk-scanner.js';
import { CHUNK_BYTES, scanFile } from './targets/file-targets.js';

const random = seededRandom(11);
const directory = mkdtempSync(join(tmpdir(), 'rekey-chunk-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function feed(bytes: Buffer, sizes: number[]) {
  const sniff = sniffEncoding(bytes);
  if (sniff.encoding === 'binary') throw new Error('binary');
  const scanner = createChunkScanner({ encoding: sniff.encoding, bomLength: sniff.bomLength });
  const found = [];
  let offset = 0;
  let turn = 0;
  while (offset < bytes.length) {
    const size = sizes[turn % sizes.length] ?? 1;
    found.push(...scanner.push(bytes.subarray(offset, offset + size)));
    offset += size;
    turn += 1;
  }
  found.push(...scanner.finish());
  return found;
}

describe('chunk scanner', () => {
  const key = fakeKey('openai-project-key', random);
  const text = 'x'.repeat(3000) + '\n' + 'line two\n' + 'token = "' + key + '"\n' + 'y'.repeat(5000) + '\n';
  const bytes = Buffer.from(text, 'utf8');

  it('finds a key once whatever the chunk sizes, with line, column and byte offset', () => {
    for (const sizes of [[1], [7], [100, 13], [1024], [4096], [bytes.length]]) {
      const found = feed(bytes, sizes);
      expect(found.map((match) => match.value === key)).toEqual([true]);
      expect(found[0]).toMatchObject({ line: 3, column: 10, byteOffset: text.indexOf(key) });
    }
  });

  it('counts columns in characters and offsets in bytes for UTF-8', () => {
    const line = `clé = "${key}"`;
    const found = scanBytes(Buffer.from(`é\n${line}\n`, 'utf8'));
    expect(found).not.toBe('binary');
    if (found === 'binary') return;
    expect(found[0]).toMatchObject({ line: 2, column: 8, byteOffset: Buffer.byteLength(`é\nclé = "`) });
  });

  it('reads Latin-1 and UTF-8 with a BOM', () => {
    const latin1 = Buffer.concat([Buffer.from([0xe9, 0x3d]), Buffer.from(key, 'latin1')]);
    expect(scanBytes(latin1)).toMatchObject([{ value: key, byteOffset: 2 }]);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`k=${key}`)]);
    expect(scanBytes(bom)).toMatchObject([{ value: key, byteOffset: 5, column: 3 }]);
  });

  it('decodes UTF-16 LE and BE, with a BOM or recognised by its zero bytes', () => {
    const content = `first line\nOPENAI_API_KEY=${key}\n`;
    const little = Buffer.from(content, 'utf16le');
    const big = Buffer.from(little).swap16();
    const cases = [
      Buffer.concat([Buffer.from([0xff, 0xfe]), little]),
      Buffer.concat([Buffer.from([0xfe, 0xff]), big]),
      little,
      big,
    ];
    for (const input of cases) {
      for (const sizes of [[input.length], [3], [101]]) {
        const found = feed(input, sizes);
        expect(found.map((match) => match.value === key)).toEqual([true]);
        expect(found[0]).toMatchObject({ line: 2, column: 16 });
      }
    }
    const withBom = scanBytes(cases[0] as Buffer);
    if (withBom !== 'binary') expect(withBom[0]?.byteOffset).toBe(2 + 2 * content.indexOf(key));
  });

  it('skips binary content', () => {
    expect(scanBytes(Buffer.concat([Buffer.from([0, 1, 2, 0, 0, 5, 6, 7, 0, 9]), Buffer.from(key)]))).toBe('binary');
  });

  it('streams a large file and finds keys that straddle chunk boundaries', async () => {
    const keys = [fakeKey('anthropic-api-key', random), fakeKey('groq-api-key', random), fakeKey('openrouter-api-key', random)];
    const size = CHUNK_BYTES * 2 + 5000;
    const content = Buffer.alloc(size, 'a');
    for (let index = 0; index < size; index += 80) content[index] = 10;
    const positions = [CHUNK_BYTES - 20, CHUNK_BYTES * 2 - 3, size - 400];
    positions.forEach((position, index) => {
      const value = keys[index] as string;
      content[position - 1] = 32;
      content.write(value, position, 'latin1');
      content[position + value.length] = 32;
    });
    const path = join(directory, 'large.log');
    writeFileSync(path, content);
    const result = await scanFile(path);
    expect(result.kind).toBe('text');
    if (result.kind !== 'text') return;
    expect(result.matches.map((match) => match.byteOffset)).toEqual(positions);
    expect(result.matches.map((match) => match.value)).toEqual(keys);
    const expectedLine = content.subarray(0, positions[1]).filter((byte) => byte === 10).length + 1;
    expect(result.matches[1]?.line).toBe(expectedLine);
  });
});
