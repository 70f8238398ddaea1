/**
 * Issue 20's "Done when", in the suite: the sample SaaS backend (examples/byok-saas, a real
 * child process importing rekey-cli/byok from the built package) stores a user's OpenAI key
 * through rekey's BYOK routes, calls OpenAI through rekey's proxy with only the user's
 * reference, receives a signed reminder webhook when the key ages past the tenant's reminder
 * (on an injected clock), and an "invalid" notice after the key is revoked at the emulator.
 * The hygiene part: the planted key value appears in no answer the backend got, no notice,
 * no audit event, no proxy log line and nowhere in the SQLite file outside its ciphertext.
 *
 * rekey serve's management API and the proxy run in this process (real HTTP on loopback) so
 * the clock can be moved; the store is real SQLite, the provider is the emulator.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { createNotifier } from '../../src/byok/byok-notices.js';
import { createByokService, type ByokService } from '../../src/byok/byok-service.js';
import { issueByokToken, verifyByokToken } from '../../src/byok/byok-tokens.js';
import { createKeyValidator } from '../../src/byok/key-validation.js';
import { createTenantVault } from '../../src/byok/tenant-vault.js';
import { createManualClock } from '../../src/core/clock.js';
import { generateMasterKey, writeMasterKeyMaterial } from '../../src/crypto/master-key.js';
import { createTenantWrapper } from '../../src/crypto/tenant-keys.js';
import { createEnvelope } from '../../src/crypto/envelope.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { startProxy, type RunningProxy } from '../../src/proxy/proxy-server.js';
import { mountManagementApi } from '../../src/server/api/management-api.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createAccessControl } from '../../src/team/access-control.js';
import { createVault } from '../../src/vault/vault.js';
import { initializeVaultKeys } from '../../src/vault/vault-keys.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DAY = 86_400_000;

describe('BYOK done-when: sample SaaS backend through rekey-cli/byok, the proxy and notices', () => {
  const clock = createManualClock(new Date());
  let emulator: RunningEmulator;
  let store: Store;
  let home: string;
  let service: ByokService;
  let proxy: RunningProxy;
  let serve: ReturnType<typeof createAdaptorServer>;
  let backend: ChildProcessWithoutNullStreams;
  let backendUrl: string;
  let userKey: string;
  const backendLines: string[] = [];
  const proxyLog: string[] = [];
  const answers: string[] = [];

  async function call(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${backendUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await response.text();
    answers.push(text);
    return { status: response.status, json: JSON.parse(text) as Record<string, unknown> };
  }

  async function notices(): Promise<Array<Record<string, string>>> {
    const text = await (await fetch(`${backendUrl}/notices`)).text();
    answers.push(text);
    return JSON.parse(text) as Array<Record<string, string>>;
  }

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 20 });
    userKey = (await emulator.seedOpenAIProject('end-user-project')).key.reveal();
    home = mkdtempSync(join(tmpdir(), 'rekey-byok-dw-'));
    store = await openStore({ sqlitePath: join(home, 'rekey.db') });
    await store.migrate();
    const material = await writeMasterKeyMaterial(home, { kind: 'file', key: generateMasterKey() }, { asNext: false });
    await initializeVaultKeys(store, material);
    const vault = createTenantVault({ store, wrapper: createTenantWrapper(material.key) });
    const audit = createAuditLog({ store, clock });
    const validator = createKeyValidator({ bases: { openai: emulator.openaiBaseUrl, anthropic: emulator.anthropicBaseUrl, openrouter: emulator.openrouterBaseUrl } });
    const notifier = createNotifier({ store, webhookSecret: (tenant) => vault.webhookSecret(tenant), clock });
    service = createByokService({ store, vault, validator, notifier, clock, reportRecheckMs: 0 });
    const verifyToken = (presented: string) => verifyByokToken(store, presented, clock.now(), undefined);

    // rekey serve's management API with the BYOK routes.
    const app = new Hono();
    mountManagementApi(app, {
      store, vault: createVault({ store, envelope: createEnvelope(material.key), fingerprintSalt: Buffer.alloc(32, 1) }), audit, clock,
      rotations: async () => { throw new Error('no rotations in this test'); },
      fingerprintSalt: Buffer.alloc(32, 1), access: createAccessControl({ store }), byok: { service, verifyToken },
    }, { version: 'test' });
    serve = createAdaptorServer({ fetch: app.fetch });
    await new Promise<void>((done) => serve.listen(0, '127.0.0.1', done));
    const serveUrl = `http://127.0.0.1:${(serve.address() as AddressInfo).port}`;

    proxy = await startProxy({
      store, vault: createVault({ store, envelope: createEnvelope(material.key), fingerprintSalt: Buffer.alloc(32, 1) }),
      upstreams: { openai: emulator.openaiBaseUrl, anthropic: emulator.anthropicBaseUrl },
      log: (entry) => proxyLog.push(JSON.stringify(entry)),
      byok: { service, verifyToken, tenant: (id) => store.getByokTenant(id) },
    });

    // The backend's port is known only once it listens; the tenant's webhook points at it.
    const created = await vault.createTenant('acme', { reminderAgeDays: 90, noticeCadenceHours: 24, webhookUrl: 'http://127.0.0.1:9/placeholder' });
    const issued = await issueByokToken(store, { name: 'acme-backend', tenants: ['acme'], createdBy: 'test' }, clock.now(), undefined);
    backend = spawn(process.execPath, [join(ROOT, 'examples/byok-saas/saas-backend.mjs')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', REKEY_URL: serveUrl, REKEY_BYOK_TOKEN: issued.secret, REKEY_TENANT: 'acme', REKEY_NOTICE_SECRET: created.webhookSecret ?? '', REKEY_PROXY_URL: proxy.url, PORT: '0' },
    });
    backend.stderr.on('data', (chunk: Buffer) => backendLines.push(chunk.toString('utf8')));
    const port = await new Promise<number>((done, fail) => {
      backend.stdout.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          backendLines.push(line);
          const parsed = JSON.parse(line) as { listening?: number };
          if (parsed.listening !== undefined) done(parsed.listening);
        }
      });
      backend.once('exit', (code) => fail(new Error(`the sample backend exited with ${code}: ${backendLines.join('')}`)));
    });
    backendUrl = `http://127.0.0.1:${port}`;
    await vault.configureTenant('acme', { webhookUrl: `${backendUrl}/rekey/notices` });
  }, 30_000);

  afterAll(async () => {
    backend?.kill('SIGTERM');
    await proxy?.close();
    await new Promise((done) => serve?.close(done));
    await store?.close();
    await emulator?.close();
  });

  it('stores the key (validated at the provider), calls through the proxy, reminds at 90 days, and notices "invalid" after revocation', async () => {
    const stored = await call('/users/user-42/openai-key', { key: userKey });
    expect(stored).toMatchObject({ status: 200, json: { stored: true, status: 'valid' } });
    // a key the provider refuses is not stored, and says why
    const refused = await call('/users/user-43/openai-key', { key: `sk-proj-${'x'.repeat(40)}` });
    expect(refused).toMatchObject({ status: 422, json: { stored: false, status: 'invalid' } });

    const chat = await call('/users/user-42/chat', { prompt: 'hello' });
    expect(chat).toMatchObject({ status: 200, json: { status: 200, byok: 'user' } });
    expect(typeof chat.json.text).toBe('string');
    const [listed] = await store.listByokKeys('acme');
    expect(listed?.uses).toBe(1);

    // Not yet 90 days old: a round sends nothing.
    clock.advance(89 * DAY);
    await service.round();
    expect(await notices()).toEqual([]);
    clock.advance(2 * DAY);
    const round = await service.round();
    expect(round.notices.age).toBe(1);
    expect((await notices()).map((notice) => notice.reason)).toEqual(['age']);
    // never more often than the cadence (24 h): a second round an hour later sends nothing more
    clock.advance(3_600_000);
    await service.round();
    expect((await notices()).length).toBe(1);

    emulator.revokeKeyByValue(userKey);
    const after = await call('/users/user-42/chat', { prompt: 'hello again' });
    expect(after.json.status).toBe(401);
    const received = await notices();
    expect(received.map((notice) => notice.reason)).toEqual(['age', 'invalid']);
    expect(received[1]).toMatchObject({ userRef: 'user-42', provider: 'openai', tenant: 'acme' });
    expect((await store.listByokKeys('acme'))[0]?.status).toBe('invalid');

    // Hygiene: the planted value is nowhere but in its ciphertext.
    const audit = JSON.stringify(await store.listAudit());
    const seen = [...answers, ...backendLines, ...proxyLog, audit].join('\n');
    expect(seen).not.toContain(userKey);
    expect(seen).not.toContain(userKey.slice(8, 40));
    for (const file of readdirSync(home)) {
      expect(readFileSync(join(home, file)).includes(Buffer.from(userKey.slice(8, 40))), file).toBe(false);
    }
  }, 30_000);
});
