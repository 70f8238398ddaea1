/**
 * `rekey serve` and `rekey proxy` over TLS with certificates made in the test: the SDK and the
 * official OpenAI client as HTTPS clients, a certificate replaced on disk and served to the
 * next connection without a restart, a broken half-renewal that keeps the working certificate,
 * and client-certificate authentication that turns away clients without a certificate the CA
 * issued.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { startProxy } from '../../src/proxy/proxy-server.js';
import { createKeySource, type FetchFunction } from '../../src/sdk/index.js';
import { startKeyServer } from '../../src/server/key-server.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';
import { createTestCertificates, type PemPair, type TestCertificates } from '../helpers/test-certificates.js';

const NAME = 'openai/tls/prod';
let emulator: RunningEmulator;
let fixture: KeyFixture;
let certificates: TestCertificates;
let providerKey: string;
let readToken: string;
let proxyToken: string;

/** A fetch that trusts the test CA (and presents a client certificate when given one). */
function fetchTrusting(ca: string, client?: PemPair): FetchFunction {
  const dispatcher = new Agent({ connect: { ca, ...(client === undefined ? {} : { cert: client.cert, key: client.key }) } });
  return (input, init) => undiciFetch(input as string, { ...(init as object), dispatcher }) as unknown as Promise<Response>;
}

/** The certificate a fresh TLS connection is served. */
function servedCertificate(url: string): Promise<PeerCertificate> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca: certificates.ca.cert, servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.once('error', reject);
  });
}

/** One HTTP/1.1 GET over a raw TLS socket: the status line, or how the server ended the connection. */
function rawGet(url: string, path: string, client?: PemPair): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), ca: certificates.ca.cert, servername: 'localhost', ...(client === undefined ? {} : { cert: client.cert, key: client.key }) }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer ${readToken}\r\nconnection: close\r\n\r\n`);
    });
    socket.once('data', (chunk: Buffer) => {
      resolve(chunk.toString().split('\r\n')[0] ?? '');
      socket.destroy();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.once('close', () => resolve('closed'));
  });
}

/** Resolves with the first notice or error line matching `pattern`. */
function nextLine(lines: string[], pattern: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const check = () => {
      const found = lines.find((line) => pattern.test(line));
      if (found !== undefined) resolve(found);
      else setTimeout(check, 5);
    };
    check();
  });
}

beforeAll(async () => {
  emulator = await startEmulator({ seed: 17 });
  fixture = await createKeyFixture();
  certificates = await createTestCertificates();
  providerKey = (await emulator.seedOpenAIProject('tls')).key.reveal();
  await fixture.addCredential(NAME, providerKey);
  readToken = (await issueAccessToken(fixture.store, { kind: 'read', name: 'tls-app', credentials: [NAME], allowedModels: [], createdBy: 'test' }, new Date())).secret;
  proxyToken = (await issueAccessToken(fixture.store, { kind: 'proxy', name: 'tls-chat', credentials: [NAME], allowedModels: [], createdBy: 'test' }, new Date())).secret;
});
afterAll(async () => {
  await fixture.close();
  await emulator.close();
  certificates.close();
});

describe('TLS listeners', () => {
  it('rekey serve over HTTPS: the SDK reads the key, and a client that does not trust the CA is refused', async () => {
    const files = await certificates.write(await certificates.server('serve'), { cert: 'serve-cert.pem', key: 'serve-key.pem' });
    const server = await startKeyServer({ store: fixture.store, vault: fixture.vault, transport: { tls: files } });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const source = createKeySource({ credential: NAME, from: { url: server.url, token: readToken, checkInIntervalMilliseconds: 0 }, fetch: fetchTrusting(certificates.ca.cert) });
      expect((await source.current()).value.reveal()).toBe(providerKey);
      await source.close();

      const untrusting = createKeySource({ credential: NAME, from: { url: server.url, token: readToken, checkInIntervalMilliseconds: 0 } });
      await expect(untrusting.current()).rejects.toThrow(/unreachable/);
      await untrusting.close();
      await expect(fetch(server.url.replace('https:', 'http:') + '/healthz')).rejects.toThrow();
    } finally {
      await server.close();
    }
  });

  it('rekey proxy over HTTPS with the official OpenAI client', async () => {
    const files = await certificates.write(await certificates.server('proxy'), { cert: 'proxy-cert.pem', key: 'proxy-key.pem' });
    const proxy = await startProxy({ store: fixture.store, vault: fixture.vault, upstreams: { openai: emulator.openaiBaseUrl }, transport: { tls: files }, meterFlushMilliseconds: 3_600_000 });
    try {
      const openai = new OpenAI({ apiKey: proxyToken, baseURL: `${proxy.url}/v1`, maxRetries: 0, fetch: fetchTrusting(certificates.ca.cert) });
      const reply = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'over tls' }] });
      expect(reply.choices[0]?.message.content).toEqual(expect.any(String));
      expect(proxy.meter.totals().find((total) => total.token === 'tls-chat')?.statuses).toEqual({ '200': 1 });
    } finally {
      await proxy.close();
    }
  });

  it('serves a replaced certificate to the next connection without a restart; a half-written renewal keeps the old one', async () => {
    const first = await certificates.server('first');
    const files = await certificates.write(first, { cert: 'reload-cert.pem', key: 'reload-key.pem' });
    const notices: string[] = [];
    const errors: string[] = [];
    const server = await startKeyServer({
      store: fixture.store,
      vault: fixture.vault,
      transport: { tls: files },
      onNotice: (message) => notices.push(message),
      onError: (message) => errors.push(message),
    });
    try {
      expect((await servedCertificate(server.url)).fingerprint256).toBe(first.fingerprint256);
      const source = createKeySource({ credential: NAME, from: { url: server.url, token: readToken, checkInIntervalMilliseconds: 0 }, fetch: fetchTrusting(certificates.ca.cert) });

      // Renewal step one: only the certificate is new, its key is still the old one.
      const second = await certificates.server('second');
      await writeFile(files.certFile, second.cert);
      expect(await nextLine(errors, /do not make a usable certificate: .*still serving the previous certificate/)).not.toContain(second.key);
      expect((await servedCertificate(server.url)).fingerprint256).toBe(first.fingerprint256);

      // Step two: the key arrives, as a rename into place.
      await writeFile(join(certificates.directory, 'reload-key.pem.tmp'), second.key);
      await rename(join(certificates.directory, 'reload-key.pem.tmp'), files.keyFile);
      expect(await nextLine(notices, /TLS certificate reloaded from .*reload-cert\.pem/)).toBeDefined();
      expect((await servedCertificate(server.url)).fingerprint256).toBe(second.fingerprint256);
      expect((await source.current()).value.reveal()).toBe(providerKey);
      await source.close();
      for (const line of [...notices, ...errors]) expect(line).not.toContain('PRIVATE KEY');
    } finally {
      await server.close();
    }
  });

  it('with --tls-client-ca, refuses clients without a certificate from that CA and serves those with one', async () => {
    const files = await certificates.write(await certificates.server('mtls'), { cert: 'mtls-cert.pem', key: 'mtls-key.pem' });
    const clientCaFile = join(certificates.directory, 'clients-ca.pem');
    await writeFile(clientCaFile, certificates.ca.cert);
    const server = await startKeyServer({ store: fixture.store, vault: fixture.vault, transport: { tls: { ...files, clientCaFile } } });
    try {
      const keysPath = `/v1/credentials/${encodeURIComponent(NAME)}/keys`;
      expect(await rawGet(server.url, keysPath)).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
      expect(await rawGet(server.url, keysPath, await certificates.client('stranger', { stranger: true }))).toMatch(/^(ERR_SSL_TLSV13_ALERT_\w+|ECONNRESET|closed)$/);
      expect(await rawGet(server.url, keysPath, await certificates.client('billing-api'))).toBe('HTTP/1.1 200 OK');
      await expect(fetchTrusting(certificates.ca.cert)(`${server.url}${keysPath}`, { headers: { authorization: `Bearer ${readToken}` } })).rejects.toThrow(/fetch failed/);

      const withCertificate = fetchTrusting(certificates.ca.cert, await certificates.client('billing-api'));
      const source = createKeySource({ credential: NAME, from: { url: server.url, token: readToken, checkInIntervalMilliseconds: 0 }, fetch: withCertificate });
      expect((await source.current()).value.reveal()).toBe(providerKey);
      await source.close();
    } finally {
      await server.close();
    }
  });

  it('refuses to start with unreadable or mismatched files, naming the file', async () => {
    const pair = await certificates.server('bad');
    const other = await certificates.server('other');
    const files = await certificates.write({ ...pair, key: other.key }, { cert: 'bad-cert.pem', key: 'bad-key.pem' });
    await expect(startKeyServer({ store: fixture.store, vault: fixture.vault, transport: { tls: files } })).rejects.toThrow(/bad-cert\.pem, .*bad-key\.pem do not make a usable certificate/);
    await expect(startKeyServer({ store: fixture.store, vault: fixture.vault, transport: { tls: { ...files, certFile: join(certificates.directory, 'missing.pem') } } })).rejects.toThrow(
      /the TLS certificate .*missing\.pem could not be read: ENOENT/,
    );
  });
});
