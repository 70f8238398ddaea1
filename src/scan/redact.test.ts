import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fakeKey, seededRandom } from '../../bench/scan/fake-key-generator.js';
import { redactHint } from '../core/secret-value.js';
import { createStreamRedactor, MAX_PENDING, redact, redactStream } from './redact.js';

const random = seededRandom(71);

describe('redaction', () => {
  it('redact() replaces every key with its hint and leaves the rest alone', () => {
    const openai = fakeKey('openai-project-key', random);
    const gemini = fakeKey('google-api-key', random);
    const text = `calling with ${openai} and "${gemini}" done`;
    const output = redact(text);
    expect(output).toBe(`calling with [REDACTED sk-proj-…${openai.slice(-4)}] and "[REDACTED ${redactHint(gemini)}]" done`);
    expect(output).not.toContain(openai);
    expect(redact('no keys here')).toBe('no keys here');
    expect(redact(text, { replacement: (_hint, detector) => `<${detector}>` })).toBe('calling with <openai-project-key> and "<google-api-key>" done');
  });

  it('the stream redactor holds at most one partial line and never cuts a key in a long line', () => {
    const key = fakeKey('xai-api-key', random);
    const redactor = createStreamRedactor();
    expect(redactor.push(Buffer.from('no newline yet ')).length).toBe(0);
    const longLine = 'a '.repeat(MAX_PENDING / 2 - 10) + key + ' tail';
    const pieces: Buffer[] = [];
    for (let index = 0; index < longLine.length; index += 4096) pieces.push(redactor.push(Buffer.from(longLine.slice(index, index + 4096))));
    pieces.push(redactor.finish());
    const output = Buffer.concat(pieces).toString('utf8');
    expect(output).not.toContain(key);
    expect(output).toContain(`[REDACTED xai-…${key.slice(-4)}]`);
    expect(output.endsWith(' tail')).toBe(true);
  });

  it('redactStream passes non-UTF-8 bytes through unchanged', async () => {
    const key = fakeKey('groq-api-key', random);
    const input = new PassThrough();
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk));
    input.end(Buffer.concat([Buffer.from([0xe9, 0x20]), Buffer.from(`${key}\n`)]));
    await redactStream(input, output);
    const bytes = Buffer.concat(chunks);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xe9, 0x20]));
    expect(bytes.toString('latin1')).not.toContain(key);
  });
});
