/**
 * Load through the proxy during back-to-back rotations: official `openai` clients with
 * virtual tokens, real sockets, 0 failed requests. Short and in-process; the full
 * multi-process run with figures is bench/proxy/load-main.ts.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { startProxy, type RunningProxy } from '../../src/proxy/proxy-server.js';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';
import { createRotationDriver, runLoad } from '../sdk/load-harness.js';

const NAME = 'openai/load-proxy/prod';
const ROTATIONS = 3;
let emulator: RunningEmulator;
let fixture: KeyFixture;
let proxy: RunningProxy;
let first: Awaited<ReturnType<RunningEmulator['seedOpenAIProject']>>;
let tokens: string[];

beforeAll(async () => {
  emulator = await startEmulator({ seed: 31 });
  fixture = await createKeyFixture();
  first = await emulator.seedOpenAIProject('load-proxy-0');
  await fixture.addCredential(NAME, first.key.reveal());
  tokens = [];
  for (let index = 0; index < 4; index += 1) {
    tokens.push((await issueAccessToken(fixture.store, { kind: 'proxy', name: `app-${index}`, credentials: [NAME], allowedModels: [], createdBy: 'load' }, new Date())).secret);
  }
  proxy = await startProxy({ store: fixture.store, vault: fixture.vault, upstreams: { openai: emulator.openaiBaseUrl } });
});
afterAll(async () => {
  await proxy.close();
  await fixture.close();
  await emulator.close();
});

describe('proxy under load during rotations', () => {
  it(`serves every request during ${ROTATIONS} back-to-back rotations`, async () => {
    const clients = Array.from({ length: 8 }, (_unused, index) => new OpenAI({ apiKey: tokens[index % tokens.length], baseURL: `${proxy.url}/v1`, maxRetries: 0, timeout: 20_000 }));
    const driver = createRotationDriver({ fixture, emulator, credential: NAME, first, graceMilliseconds: 2000 });
    let rotating = true;
    const load = runLoad({ clients, ratePerSecond: 250, concurrency: 32, stop: () => !rotating });
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let index = 0; index < ROTATIONS; index += 1) await driver.rotate();
    await new Promise((resolve) => setTimeout(resolve, 300));
    rotating = false;
    const result = await load;
    const versions = proxy.meter.totals().map((total) => total.version);
    console.log(`proxy load: ${JSON.stringify({ rotations: driver.rotations, ...result })}`);
    expect(result.failures, JSON.stringify(result.failuresByKind)).toBe(0);
    expect(result.requests).toBeGreaterThan(100);
    // Traffic moved across every version the rotations created.
    expect(Math.max(...versions)).toBe(ROTATIONS + 1);
  }, 120_000);
});
