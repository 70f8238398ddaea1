/**
 * The labelled corpus: recall on positives (every format × every embedding context, plus
 * realistic mixed files) and false positives on negatives (committed near-misses and
 * placeholders, generated glued keys, base64 blobs, unpaired Azure keys) and on the
 * project's own node_modules. Keys are generated here, at test time; nothing key-shaped
 * is committed. Figures are printed and recorded in test/scan/README.md.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { companionLine, fakeKey, keyGenerators, keywordOf, seededRandom, structuredOnly, type Random } from '../../bench/scan/fake-key-generator.js';
import { allDetectors } from '../../src/scan/detectors/detector-registry.js';
import { scanBytes } from '../../src/scan/chunk-scanner.js';
import { createScanService } from '../../src/scan/scan-service.js';

const corpus = join(import.meta.dirname, 'corpus');
const projectRoot = resolve(import.meta.dirname, '..', '..');

interface Sample {
  name: string;
  text: string;
  expected: Array<{ detector: string; value: string; encoding?: string }>;
}

interface Context {
  name: string;
  body: string;
  bare: boolean;
}

function readContexts(): Context[] {
  const contexts: Context[] = [];
  let current: Context | undefined;
  for (const line of readFileSync(join(corpus, 'contexts.txt'), 'utf8').split('\n')) {
    if (line.startsWith('--- ')) {
      const [name = '', flag] = line.slice(4).split(' ');
      current = { name, body: '', bare: flag === 'bare' };
      contexts.push(current);
    } else if (current !== undefined) {
      current.body += line + '\n';
    }
  }
  return contexts;
}

function providerName(detectorId: string): string {
  return keywordOf[detectorId] ?? `${(allDetectors.find((detector) => detector.id === detectorId)?.provider ?? 'llm').toUpperCase().replace(/-/g, '_')}_API_KEY`;
}

function names(upperSnake: string): Record<string, string> {
  const lower = upperSnake.toLowerCase();
  const camel = lower.replace(/_([a-z])/g, (_all, letter: string) => letter.toUpperCase());
  return { NAME: upperSnake, name: lower, camel, kebab: lower.replace(/_/g, '-') };
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (all, key: string) => values[key] ?? all);
}

function contextSamples(random: Random): Sample[] {
  const samples: Sample[] = [];
  const keywordDetectors = new Set(Object.keys(keywordOf));
  for (const context of readContexts()) {
    for (const [detectorId, generators] of Object.entries(keyGenerators)) {
      if (context.bare && keywordDetectors.has(detectorId)) continue;
      if (structuredOnly.has(detectorId)) continue;
      generators.forEach((_generator, variant) => {
        const key = fakeKey(detectorId, random, variant);
        let text = fill(context.body, { ...names(providerName(detectorId)), KEY: key });
        const companion = companionLine(detectorId, variant);
        if (companion !== undefined) text = `${companion}\n${text}`;
        if (context.name === 'windows-line-endings') text = text.replace(/\n/g, '\r\n');
        samples.push({ name: `${context.name}/${detectorId}#${variant}`, text, expected: [{ detector: detectorId, value: key }] });
      });
    }
  }
  return samples;
}

function templateSamples(random: Random): Sample[] {
  const directory = join(corpus, 'positives');
  return readdirSync(directory).sort().map((file) => {
    const expected: Sample['expected'] = [];
    const text = readFileSync(join(directory, file), 'utf8').replace(/\{\{([a-z-]+)(?::(\d+))?\}\}/g, (_all, detector: string, variant?: string) => {
      const value = fakeKey(detector, random, Number(variant ?? 0));
      expected.push({ detector, value });
      return value;
    });
    return { name: `positives/${file}`, text, expected };
  });
}

const hex = (character: string): string => character.charCodeAt(0).toString(16).padStart(2, '0');
const punctuation = /[^A-Za-z0-9]/;

/**
 * The labelled encoded set: every format written in each encoding rekey decodes — base64
 * and base64url of a whole `.env` line (at all three byte alignments), percent-encoding
 * (every character, or only punctuation), `\u` and `\x` string escapes (every character,
 * or only punctuation), a UTF-16 file, and a `\`-newline line continuation splitting the key.
 */
export function encodedSamples(random: Random): Sample[] {
  const samples: Sample[] = [];
  let round = 0;
  for (const detectorId of Object.keys(keyGenerators)) {
    if (structuredOnly.has(detectorId)) continue;
    const name = providerName(detectorId);
    const companion = companionLine(detectorId, 0);
    const lead = companion === undefined ? '' : `${companion}\n`;
    const forms: Array<[string, (key: string) => string, string | undefined]> = [
      ['base64', (key) => `CONFIG_B64=${Buffer.from(`${' '.repeat(round % 3)}${lead}${name}=${key}\n`).toString('base64')}\n`, 'base64'],
      ['base64url', (key) => `{"blob": "${Buffer.from(`${'#'.repeat((round + 1) % 3)}${lead}${name}: ${key}`).toString('base64url')}"}\n`, 'base64'],
      ['percent-all', (key) => `${lead}https://hooks.example.test/cb?${name}=${[...key].map((c) => `%${hex(c).toUpperCase()}`).join('')}&x=1\n`, 'url'],
      ['json-unicode-all', (key) => `${lead}{"${name}": "${[...key].map((c) => `\\u00${hex(c)}`).join('')}"}\n`, 'escape'],
      ['js-hex-all', (key) => `${lead}const ${name} = "${[...key].map((c) => `\\x${hex(c)}`).join('')}";\n`, 'escape'],
      ['json-unicode-punctuation', (key) => `${lead}{"${name}": "${[...key].map((c) => (punctuation.test(c) ? `\\u00${hex(c)}` : c)).join('')}"}\n`, punctuation.test('') ? 'escape' : 'escape'],
      ['env-continuation', (key) => `${lead}${name}="${key.slice(0, Math.ceil(key.length / 2))}\\\n${key.slice(Math.ceil(key.length / 2))}"\n`, 'continuation'],
    ];
    for (const [form, write, encoding] of forms) {
      const key = fakeKey(detectorId, random, round);
      // Punctuation-only escaping leaves a key without punctuation as it was: found plainly.
      const label = form === 'json-unicode-punctuation' && !punctuation.test(key) ? undefined : encoding;
      samples.push({ name: `encoded/${form}/${detectorId}`, text: write(key), expected: [{ detector: detectorId, value: key, ...(label === undefined ? {} : { encoding: label }) }] });
    }
    round += 1;
  }
  return samples;
}

function generatedNegatives(random: Random): Sample[] {
  const samples: Sample[] = [];
  const keywordDetectors = new Set(Object.keys(keywordOf));
  for (const detectorId of Object.keys(keyGenerators)) {
    const key = fakeKey(detectorId, random);
    if (!keywordDetectors.has(detectorId)) {
      // Glued into a longer token: a substring of something else, not a key.
      samples.push({ name: `glued/${detectorId}`, text: `token=x${key}\nid=Z9${key}\n`, expected: [] });
    } else {
      // The same value with no provider name near it: nothing says which key it is.
      samples.push({ name: `unnamed/${detectorId}`, text: `value=${key}\n`, expected: [] });
    }
  }
  const azure = fakeKey('azure-openai-key', random);
  samples.push({ name: 'azure-without-host', text: `AZURE_OPENAI_API_KEY=${azure}\n`, expected: [] });
  for (let index = 0; index < 20; index += 1) {
    const blob = randomBytes(3000);
    samples.push({ name: `base64/${index}`, text: `data:application/octet-stream;base64,${blob.toString('base64')}\n`, expected: [] });
    samples.push({ name: `base64url/${index}`, text: `payload=${blob.toString('base64url')}\n`, expected: [] });
    samples.push({ name: `hex/${index}`, text: `together digest sha256:${blob.subarray(0, 32).toString('hex')}\n`, expected: [] });
  }
  return samples;
}

function committedNegatives(): Sample[] {
  const directory = join(corpus, 'negatives');
  return readdirSync(directory).sort().map((file) => ({ name: `negatives/${file}`, text: readFileSync(join(directory, file), 'utf8'), expected: [] }));
}

interface Score {
  samples: number;
  expected: number;
  truePositives: number;
  falsePositives: Array<{ sample: string; detector: string }>;
  missed: Array<{ sample: string; detector: string }>;
}

function score(samples: readonly Sample[], encoding: 'utf8' | 'utf16le' = 'utf8'): Score {
  const result: Score = { samples: samples.length, expected: 0, truePositives: 0, falsePositives: [], missed: [] };
  for (const sample of samples) {
    const bytes = encoding === 'utf8' ? Buffer.from(sample.text, 'utf8') : Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(sample.text, 'utf16le')]);
    const found = scanBytes(bytes);
    if (found === 'binary') throw new Error(`${sample.name} sniffed as binary`);
    const remaining = [...sample.expected];
    result.expected += sample.expected.length;
    for (const match of found) {
      const index = remaining.findIndex((expected) => expected.detector === match.detector.id && expected.value === match.value && expected.encoding === match.encoding);
      if (index === -1) result.falsePositives.push({ sample: sample.name, detector: match.detector.id });
      else {
        remaining.splice(index, 1);
        result.truePositives += 1;
      }
    }
    result.missed.push(...remaining.map((expected) => ({ sample: sample.name, detector: expected.detector })));
  }
  return result;
}

describe('labelled corpus', () => {
  const random = seededRandom(2026);

  it('finds every positive (100% recall) with the exact value and no spurious finding', () => {
    const samples = [...contextSamples(random), ...templateSamples(random)];
    const result = score(samples);
    const recall = result.truePositives / result.expected;
    const precision = result.truePositives / (result.truePositives + result.falsePositives.length);
    console.log(`corpus positives: ${result.samples} samples, ${result.expected} keys, recall ${(recall * 100).toFixed(2)}%, precision ${(precision * 100).toFixed(2)}%`);
    expect(result.missed).toEqual([]);
    expect(result.falsePositives).toEqual([]);
    expect(result.expected).toBeGreaterThan(800);
    // Every detector is exercised.
    expect(new Set(samples.flatMap((sample) => sample.expected.map((expected) => expected.detector)))).toEqual(new Set(allDetectors.map((detector) => detector.id)));
  });

  it('finds every key of the labelled encoded set (recall 1.00), at its encoded span, named by its encoding', () => {
    const samples = encodedSamples(random);
    const utf16 = samples.filter((sample) => sample.name.startsWith('encoded/env-continuation/')).map((sample) => ({ ...sample, name: sample.name.replace('env-continuation', 'utf16le-continuation') }));
    const result = score(samples);
    const utf16Result = score(utf16, 'utf16le');
    const found = result.truePositives + utf16Result.truePositives;
    const expected = result.expected + utf16Result.expected;
    console.log(`corpus encoded: ${samples.length + utf16.length} samples, ${expected} keys, recall ${(found / expected).toFixed(2)}, ${result.falsePositives.length + utf16Result.falsePositives.length} false positives`);
    expect([...result.missed, ...utf16Result.missed]).toEqual([]);
    expect([...result.falsePositives, ...utf16Result.falsePositives]).toEqual([]);
    expect(expected).toBeGreaterThan(350);
  });

  it('reports nothing on the negatives', () => {
    const samples = [...committedNegatives(), ...generatedNegatives(random)];
    const result = score(samples);
    console.log(`corpus negatives: ${result.samples} samples, ${result.falsePositives.length} false positives`);
    expect(result.falsePositives).toEqual([]);
  });

  it('reports nothing on the project\'s own node_modules and on the scanner\'s own files (corpus skipped by its marker)', async () => {
    const service = createScanService();
    const modules = await service.scan({ paths: [join(projectRoot, 'node_modules')], noIgnore: true });
    console.log(`node_modules: ${modules.stats.files} files, ${(modules.stats.bytes / 1e6).toFixed(1)} MB, ${modules.findings.length} findings`);
    expect(modules.findings.map((finding) => `${finding.location.path}: ${finding.detectorId}`)).toEqual([]);
    expect(modules.stats.files).toBeGreaterThan(1000);
    const own = await service.scan({ paths: ['src/scan', 'test/scan', 'bench/scan'].map((path) => join(projectRoot, path)), noIgnore: true });
    expect(own.findings.map((finding) => `${finding.location.path}: ${finding.detectorId}`)).toEqual([]);
    expect(own.stats.files).toBeGreaterThan(20);
  }, 180_000);
});
