/**
 * `--verify` for the AI/ML platforms, against a loopback fake of each vendor's documented
 * endpoint and auth header (test/fakes/ai-platform-fake.ts): a registered key is live,
 * another of the same shape dead; a GraphQL 200 without a viewer, an endpoint that answers
 * anyone, a server error and a vendor with no probe are unknown, never live.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeKey, keywordOf, seededRandom } from '../../bench/scan/fake-key-generator.js';
import { allDetectors } from '../../src/scan/detectors/detector-registry.js';
import { createKeyVerifier } from '../../src/scan/key-verifier.js';
import { createScanService } from '../../src/scan/scan-service.js';
import { FAKED_PROVIDERS, startAiPlatformFake, type AiPlatformFake } from '../fakes/ai-platform-fake.js';

let fake: AiPlatformFake;
beforeAll(async () => {
  fake = await startAiPlatformFake();
});
afterAll(async () => {
  await fake.close();
});

const random = seededRandom(1919);

/** One detector per faked provider (the first registered for it). */
const detectorFor = new Map<string, string>();
for (const detector of allDetectors) if (FAKED_PROVIDERS.includes(detector.provider) && !detectorFor.has(detector.provider)) detectorFor.set(detector.provider, detector.id);

function line(detectorId: string, key: string): string {
  const provider = allDetectors.find((detector) => detector.id === detectorId)?.provider ?? 'x';
  return `${keywordOf[detectorId] ?? `${provider.toUpperCase()}_API_KEY`}=${key}\n`;
}

async function verify(text: string): Promise<Array<[string, string | undefined]>> {
  const baseUrls = Object.fromEntries(FAKED_PROVIDERS.map((provider) => [provider, fake.baseUrl(provider)]));
  const stream = new PassThrough();
  stream.end(text);
  const report = await createScanService({ verifier: createKeyVerifier({ baseUrls, timeoutMs: 5000 }) }).scan({ stream });
  return report.findings.map((finding) => [finding.detectorId, finding.verification]);
}

describe('--verify against the AI-platform fakes', () => {
  it('covers every faked provider with a detector', () => {
    expect([...detectorFor.keys()].sort()).toEqual([...FAKED_PROVIDERS].sort());
  });

  it.each([...detectorFor.entries()])('%s: the registered key is live, another of its shape dead', async (provider, detectorId) => {
    const live = fakeKey(detectorId, random);
    const dead = fakeKey(detectorId, random);
    fake.addKey(provider, live);
    expect(await verify(line(detectorId, live) + '\n' + line(detectorId, dead))).toEqual([[detectorId, 'live'], [detectorId, 'dead']]);
  });

  it('the legacy NGC key verifies through the same token exchange as nvapi- keys', async () => {
    const key = fakeKey('ngc-api-key', random);
    fake.addKey('nvidia', key);
    expect(await verify(line('ngc-api-key', key))).toEqual([['ngc-api-key', 'live']]);
  });

  it('an endpoint that answers a junk key too is unknown, not live', async () => {
    const key = fakeKey('cerebras-api-key', random);
    fake.addKey('cerebras', key);
    fake.openModels.add('cerebras');
    try {
      expect(await verify(line('cerebras-api-key', key))).toEqual([['cerebras-api-key', 'unknown']]);
    } finally {
      fake.openModels.delete('cerebras');
    }
  });

  it('a GraphQL 200 that names no viewer is unknown; a 5xx is unknown', async () => {
    const key = fakeKey('wandb-api-key', random);
    fake.addKey('wandb', key);
    const verifier = createKeyVerifier({
      baseUrls: { wandb: fake.baseUrl('wandb') },
      fetch: async () => new Response(JSON.stringify({ data: { viewer: null } }), { status: 200 }),
    });
    const stream = new PassThrough();
    stream.end(line('wandb-api-key', key));
    const report = await createScanService({ verifier }).scan({ stream });
    expect(report.findings.map((finding) => finding.verification)).toEqual(['unknown']);
    fake.server.failNext(503);
    expect(await verify(line('wandb-api-key', key))).toEqual([['wandb-api-key', 'unknown']]);
  });

  it('vendors with no cheap endpoint are unknown, and no request carries a key in its URL', async () => {
    const text = ['deepai-api-key', 'voyage-api-key', 'jina-api-key', 'langfuse-secret-key', 'lepton-api-key']
      .map((id) => line(id, fakeKey(id, random))).join('\n');
    expect((await verify(text)).map(([, verdict]) => verdict)).toEqual(['unknown', 'unknown', 'unknown', 'unknown', 'unknown']);
    for (const request of fake.server.requests) {
      expect(request.rawTarget).not.toMatch(/sk_|nvapi-|csk-|pcsk_|key_|luma-|sgp_|[0-9a-f]{32}/);
    }
  });
});
