import { describe, expect, it } from 'vitest';
import { fakeKey, seededRandom } from '../../bench/scan/fake-key-generator.js';
import { scanBytes } from './chunk-scanner.js';
import { scanText } from './scan-engine.js';

const random = seededRandom(1919);

describe('encoded keys', () => {
  it('reports a base64-encoded key at the encoded span, with its line, column and encoding', () => {
    const key = fakeKey('anthropic-api-key', random);
    const encoded = Buffer.from(`ANTHROPIC_API_KEY=${key}\n`).toString('base64');
    const text = `# config\nSECRETS_B64=${encoded}\n`;
    const found = scanBytes(Buffer.from(text));
    if (found === 'binary') throw new Error('binary');
    expect(found.map((match) => [match.detector.id, match.value === key, match.encoding, match.line])).toEqual([['anthropic-api-key', true, 'base64', 2]]);
    const match = found[0];
    // The span lies inside the base64 text, where the key's encoding begins.
    expect(match?.column).toBeGreaterThan('SECRETS_B64='.length);
    expect(text.slice(match?.byteOffset, (match?.byteOffset ?? 0) + (match?.byteLength ?? 0))).toMatch(/^[A-Za-z0-9+/]+$/);
  });

  it('joins a key split by a line continuation and reports it from its first half', () => {
    const key = fakeKey('groq-api-key', random);
    const text = `export GROQ_API_KEY="${key.slice(0, 20)}\\\n${key.slice(20)}"\n`;
    const found = scanText(text);
    expect(found.map((match) => [match.value === key, match.encoding, text.slice(match.start, match.end).replace('\\\n', '') === key])).toEqual([[true, 'continuation', true]]);
  });

  it('an allow marker on the line suppresses a finding; the same key elsewhere is still reported', () => {
    const key = fakeKey('groq-api-key', random);
    expect(scanText(`GROQ_API_KEY=${key} # rekey:allow (documentation sample)\n`)).toEqual([]);
    expect(scanText(`GROQ_API_KEY=${key} # rekey:allow\nOTHER=${key}\n`).map((match) => match.start)).toEqual([`GROQ_API_KEY=${key} # rekey:allow\nOTHER=`.length]);
  });

  it('random base64 blobs and escaped text without a key decode to nothing', () => {
    const blob = Buffer.from(Array.from({ length: 6000 }, (_value, index) => (index * 7919) % 251)).toString('base64');
    expect(scanText(`data=${blob}\n"caf\\u00e9 \\x41\\x42 %41%42"\n`)).toEqual([]);
  });
});
