import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeKey, seededRandom } from '../../bench/scan/fake-key-generator.js';
import type { RunningEmulator } from '../../src/emulator/emulator.js';
import { startEmulator } from '../../src/emulator/emulator.js';
import { createKeyVerifier } from '../../src/scan/key-verifier.js';
import { createScanService } from '../../src/scan/scan-service.js';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator.close();
});

async function verifyText(text: string, baseUrls = {
  openai: emulator.openaiBaseUrl, anthropic: emulator.anthropicBaseUrl, openrouter: emulator.openrouterBaseUrl,
}) {
  const stream = new PassThrough();
  stream.end(text);
  const service = createScanService({ verifier: createKeyVerifier({ baseUrls, timeoutMs: 20_000 }) });
  const report = await service.scan({ stream });
  return report.findings.map((finding) => [finding.detectorId, finding.verification]);
}

describe('--verify against the emulator', () => {
  const random = seededRandom(61);

  it('live keys are live, unknown keys of the same shape are dead', async () => {
    const openai = await emulator.seedOpenAIProject('verify-test');
    const anthropic = emulator.createAnthropicKey('verify-test');
    const text = [
      `OPENAI_API_KEY=${openai.key.reveal()}`,
      `ANTHROPIC_API_KEY=${anthropic.key.reveal()}`,
      `OPENROUTER_MANAGEMENT_KEY=${emulator.adminKeys.openrouter.reveal()}`,
      `OLD_OPENAI=${fakeKey('openai-project-key', random)}`,
      `OLD_ANTHROPIC=${fakeKey('anthropic-api-key', random)}`,
      `OLD_OPENROUTER=${fakeKey('openrouter-api-key', random)}`,
      '',
    ].join('\n');
    expect(await verifyText(text)).toEqual([
      ['openai-service-account-key', 'live'],
      ['anthropic-api-key', 'live'],
      ['openrouter-api-key', 'live'],
      ['openai-project-key', 'dead'],
      ['anthropic-api-key', 'dead'],
      ['openrouter-api-key', 'dead'],
    ]);
  });

  it('a server error, a wrong path or an unreachable host is unknown, never live', async () => {
    const openai = await emulator.seedOpenAIProject('verify-unknown');
    const line = `OPENAI_API_KEY=${openai.key.reveal()}\n`;
    emulator.setKnobs({ rate5xx: 1 });
    try {
      expect(await verifyText(line)).toEqual([['openai-service-account-key', 'unknown']]);
    } finally {
      emulator.setKnobs({ rate5xx: 0 });
    }
    expect(await verifyText(line, { openai: `${emulator.url}/nowhere`, anthropic: '', openrouter: '' })).toEqual([['openai-service-account-key', 'unknown']]);
    expect(await verifyText(line, { openai: 'http://127.0.0.1:9/v1', anthropic: '', openrouter: '' })).toEqual([['openai-service-account-key', 'unknown']]);
  });

  it('a provider without a probe is unknown, and no request carries the key in its URL', async () => {
    const urls: string[] = [];
    const verifier = createKeyVerifier({
      fetch: async (input) => {
        urls.push(String(input));
        return new Response(null, { status: 200 });
      },
    });
    const stream = new PassThrough();
    const perplexity = fakeKey('perplexity-api-key', random);
    const groq = fakeKey('groq-api-key', random);
    stream.end(`${perplexity}\n${groq}\n`);
    const report = await createScanService({ verifier }).scan({ stream });
    expect(report.findings.map((finding) => finding.verification)).toEqual(['unknown', 'live']);
    expect(urls).toEqual(['https://api.groq.com/openai/v1/models']);
  });
});
