/**
 * The proxy's telemetry (issue #18 item 4): OpenTelemetry spans exported over OTLP/HTTP to a
 * real receiver on loopback (decoding the JSON export), latency histograms per credential on
 * /metrics, and tokens of streamed answers in the access log — with planted keys and tokens
 * searched for in everything exported.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import type { ProxyLogEntry } from '../../src/proxy/proxy-handler.js';
import { startProxy, type RunningProxy } from '../../src/proxy/proxy-server.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';

const NAME = 'openai/telemetry/prod';
let emulator: RunningEmulator;
let fixture: KeyFixture;
let proxy: RunningProxy;
let receiver: Server;
let token: string;
const exports: { contentType: string | undefined; text: string }[] = [];
const logs: ProxyLogEntry[] = [];
const planted: string[] = [];

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean };
}
interface OtlpSpan {
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttribute[];
}

function spans(): { service: string | undefined; attributes: Record<string, string | number | boolean | undefined> }[] {
  return exports.flatMap((one) => {
    const body = JSON.parse(one.text) as { resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
    return body.resourceSpans.flatMap((resource) =>
      resource.scopeSpans.flatMap((scope) =>
        scope.spans.map((span) => ({
          service: resource.resource.attributes.find((attribute) => attribute.key === 'service.name')?.value.stringValue,
          attributes: Object.fromEntries(span.attributes.map((attribute) => [attribute.key, attribute.value.stringValue ?? (attribute.value.intValue === undefined ? attribute.value.boolValue : Number(attribute.value.intValue))])),
        })),
      ),
    );
  });
}

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') exports.push({ contentType: request.headers['content-type'], text: Buffer.concat(parts).toString('utf8') });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  emulator = await startEmulator({ seed: 44 });
  fixture = await createKeyFixture();
  const seeded = await emulator.seedOpenAIProject('telemetry');
  planted.push(seeded.key.reveal());
  await fixture.addCredential(NAME, seeded.key.reveal());
  token = (await issueAccessToken(fixture.store, { kind: 'proxy', name: 'telemetry-app', credentials: [NAME], allowedModels: [], createdBy: 'test' }, new Date())).secret;
  planted.push(token);
  proxy = await startProxy({
    store: fixture.store,
    vault: fixture.vault,
    upstreams: { openai: emulator.openaiBaseUrl },
    meterFlushMilliseconds: 3_600_000,
    log: (entry) => logs.push(entry),
    otel: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`, serviceName: 'rekey-proxy-test', exportDelayMilliseconds: 50 },
  });
});
afterAll(async () => {
  await fixture.close();
  await emulator.close();
  await new Promise((resolve) => receiver.close(resolve));
});

describe('proxy telemetry', () => {
  it('exports one span per request with token, credential, version, model and status, logs streamed tokens, and histograms latency per credential; never a key', async () => {
    const client = new OpenAI({ apiKey: token, baseURL: `${proxy.url}/v1`, maxRetries: 0 });
    const reply = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
    let usageTokens = 0;
    for await (const chunk of await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'stream with usage' }], stream: true, stream_options: { include_usage: true } })) usageTokens = chunk.usage?.completion_tokens ?? usageTokens;
    let events = 0;
    for await (const chunk of await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'stream without usage' }], stream: true })) if ((chunk.choices[0]?.delta.content ?? '') !== '') events += 1;
    await expect(new OpenAI({ apiKey: 'rk_proxy_not-a-token', baseURL: `${proxy.url}/v1`, maxRetries: 0 }).models.list()).rejects.toThrow();

    const metrics = await fetch(`${proxy.url}/metrics`, { headers: { authorization: `Bearer ${token}` } }).then((response) => response.text());
    expect(metrics).toContain('# TYPE rekey_proxy_request_duration_seconds histogram');
    expect(metrics).toMatch(new RegExp(`rekey_proxy_request_duration_seconds_bucket\\{credential="${NAME}",le="\\+Inf"\\} 3\\n`));
    expect(metrics).toMatch(new RegExp(`rekey_proxy_request_duration_seconds_count\\{credential="${NAME}"\\} 3\\n`));
    await proxy.close();

    // Access log: the sized answer and both streams carry their tokens.
    const completions = logs.filter((entry) => entry.path === '/v1/chat/completions');
    expect(completions.map((entry) => [entry.tokensFrom, entry.outputTokens])).toEqual([
      ['usage', reply.usage?.completion_tokens],
      ['usage', usageTokens],
      ['stream-events', events],
    ]);
    expect(usageTokens).toBeGreaterThan(0);
    expect(events).toBeGreaterThan(0);

    // Traces: a real OTLP/HTTP JSON export, one span per request.
    expect(exports.length).toBeGreaterThan(0);
    expect(exports.every((one) => one.contentType?.startsWith('application/json'))).toBe(true);
    const all = spans();
    expect(all.every((span) => span.service === 'rekey-proxy-test')).toBe(true);
    const served = all.filter((span) => span.attributes['url.path'] === '/v1/chat/completions');
    expect(served).toHaveLength(3);
    for (const span of served) {
      expect(span.attributes).toMatchObject({ 'rekey.token': 'telemetry-app', 'rekey.credential': NAME, 'rekey.key_version': 1, 'gen_ai.request.model': 'gpt-4o-mini', 'http.response.status_code': 200, 'http.request.method': 'POST' });
    }
    expect(served[0]?.attributes['gen_ai.usage.output_tokens']).toBe(reply.usage?.completion_tokens);
    const refused = all.find((span) => span.attributes['http.response.status_code'] === 401);
    expect(refused?.attributes['rekey.token']).toBeUndefined();

    const everything = [...exports.map((one) => one.text), JSON.stringify(logs), metrics].join('\n');
    for (const secret of [...planted, 'rk_proxy_not-a-token']) expect(everything).not.toContain(secret);
  });
});
