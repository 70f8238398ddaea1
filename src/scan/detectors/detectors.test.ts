import { describe, expect, it } from 'vitest';
import { companionLine, fakeKey, keyGenerators, keywordOf, seededRandom, structuredOnly } from '../../../bench/scan/fake-key-generator.js';
import { scanText } from '../scan-engine.js';
import { allDetectors } from './detector-registry.js';

function embed(detectorId: string, key: string): string {
  const keyword = keywordOf[detectorId];
  const companion = companionLine(detectorId, 0);
  if (companion !== undefined) return `${companion}\n${keyword}=${key}\n`;
  if (structuredOnly.has(detectorId)) return `{"type": "service_account", "project_id": "p", "private_key": "${key}"}\n`;
  if (keyword !== undefined) return `${keyword}="${key}"\n`;
  return `export API_KEY="${key}"\n`;
}

describe('detectors', () => {
  it('has a generator for every detector and a detector for every generator', () => {
    expect(Object.keys(keyGenerators).sort()).toEqual(allDetectors.map((detector) => detector.id).sort());
  });

  const random = seededRandom(7);
  for (const [detectorId, generators] of Object.entries(keyGenerators)) {
    generators.forEach((_generator, variant) => {
      it(`finds ${detectorId} (variant ${variant}) with the exact span`, () => {
        for (let round = 0; round < 25; round += 1) {
          const key = fakeKey(detectorId, random, variant);
          const text = embed(detectorId, key);
          const found = scanText(text);
          expect(found.map((match) => match.detector.id)).toEqual([detectorId]);
          expect(found[0]?.value === key).toBe(true);
          expect(text.slice(found[0]?.start, found[0]?.end) === key).toBe(true);
        }
      });
    });
  }

  it('finds a key that ends in - or _ (no \\b boundary)', () => {
    const key = `AIzaSy${'Qb3dEf9hIwK7MnOpZr5tUvG4Yz0L2a4x'}-`;
    expect(key.length).toBe(39);
    expect(scanText(`key=${key}\n`).map((match) => match.value === key)).toEqual([true]);
  });

  it('does not match a key glued to more key characters', () => {
    const key = fakeKey('groq-api-key', seededRandom(3));
    expect(scanText(`x${key}`)).toEqual([]);
    expect(scanText(`${key}-x`)).toEqual([]);
  });

  it('finds a key after an escaped newline or a percent-escape', () => {
    const key = fakeKey('anthropic-api-key', seededRandom(4));
    expect(scanText(`{"log":"boot\\n${key}\\n"}`)).toHaveLength(1);
    expect(scanText(`https://example.test/?k=%22${key}%22`)).toHaveLength(1);
  });

  it('does not report an Azure-shaped key without an Azure OpenAI host', () => {
    const key = fakeKey('azure-openai-key', seededRandom(5));
    expect(scanText(`AZURE_OPENAI_API_KEY=${key}\n`)).toEqual([]);
    const paired = scanText(`endpoint: https://res1.openai.azure.com\napi-key: ${key}\n`);
    expect(paired.map((match) => match.host)).toEqual(['res1.openai.azure.com']);
  });

  it('ignores placeholders and near-misses', () => {
    const near = [
      'sk-...', 'sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'YOUR_KEY_HERE', 'sk-proj-XXXXXXXXXXXXXXXX',
      'sk-ant-api03-xxxxxxxx', 'gsk_' + 'a'.repeat(52), 'hf_' + 'x'.repeat(34), 'AIza' + 'X'.repeat(35),
      'sk-or-v1-' + '0'.repeat(64), '550e8400-e29b-41d4-a716-446655440000',
      'COHERE_API_KEY=' + 'e'.repeat(40), 'MISTRAL_API_KEY=<your-key>',
    ];
    for (const text of near) expect(scanText(text)).toEqual([]);
  });
});
