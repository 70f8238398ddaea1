/**
 * Attack (issue #17, item 1): a sink's `tokenEnv` could name any environment variable and
 * send it to any URL. A gitlab-ci consumer with `tokenEnv: REKEY_MASTER_KEY` and an
 * `apiUrl` of a listener made `rotate --dry-run` send the master key as `private-token`;
 * a vault-kv consumer sent OPENAI_ADMIN_KEY as `x-vault-token`. Now rekey's and the
 * providers' secret variables are never read by a sink, another variable than the kind's
 * default needs the consumer's `allowEnv`, and a dry run contacts no remote target.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { createSink } from '../../src/sinks/sink-registry.js';
import { startFakeHttpServer, type FakeHttpServer } from '../fakes/fake-http-server.js';
import { createRotationFixture, type RotationFixture } from '../rotation/rotation-fixture.js';

const MASTER = `rekey-master-${randomBytes(16).toString('hex')}`;
const ADMIN = `sk-admin-${randomBytes(20).toString('hex')}`;
const GITLAB = `glpat-${randomBytes(10).toString('hex')}`;
const planted: Record<string, string> = { REKEY_MASTER_KEY: MASTER, OPENAI_ADMIN_KEY: ADMIN, GITLAB_TOKEN: GITLAB, MY_GITLAB_TOKEN: GITLAB };
const actor = 'cli:attack-test';

describe('attack: a sink token variable that names a secret of rekey or a provider', () => {
  let listener: FakeHttpServer;
  let fixture: RotationFixture | undefined;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    listener = await startFakeHttpServer(() => ({ status: 200, body: [] }));
    for (const [name, value] of Object.entries(planted)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
    listener.requests.length = 0;
  });
  afterAll(async () => {
    await listener.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const sentText = (): string => JSON.stringify(listener.requests.map((request) => ({ headers: request.headers, body: request.body.toString('utf8'), url: request.rawTarget })));

  it('rotate --dry-run sends neither the master key nor an admin key, and names the refused variable', async () => {
    fixture = await createRotationFixture();
    await fixture.store.addConsumer({
      credentialId: fixture.credential.id, name: 'ci-vars', kind: 'gitlab-ci',
      config: { scope: 'project', project: 'group/app', name: 'OPENAI_API_KEY', apiUrl: listener.url, tokenEnv: 'REKEY_MASTER_KEY' }, reload: null,
    });
    await fixture.store.addConsumer({
      credentialId: fixture.credential.id, name: 'vault-app', kind: 'vault-kv',
      config: { address: listener.url, path: 'app', name: 'OPENAI_API_KEY', tokenEnv: 'OPENAI_ADMIN_KEY' }, reload: null,
    });
    const plan = await fixture.executor.plan({ credential: 'openai/ticketing/dev', actor });
    const sent = sentText();
    expect(sent.includes(MASTER), 'the master key was sent').toBe(false);
    expect(sent.includes(ADMIN), 'the admin key was sent').toBe(false);
    expect(plan.problems.join('\n')).toMatch(/ci-vars.*REKEY_MASTER_KEY/);
    expect(plan.problems.join('\n')).toMatch(/vault-app.*OPENAI_ADMIN_KEY/);
  });

  it('a real rotation does not send them either: the consumer is refused before any request', async () => {
    fixture = await createRotationFixture({ consumer: false });
    await fixture.store.addConsumer({
      credentialId: fixture.credential.id, name: 'ci-vars', kind: 'gitlab-ci',
      config: { scope: 'project', project: 'group/app', name: 'OPENAI_API_KEY', apiUrl: listener.url, tokenEnv: 'REKEY_MASTER_KEY' }, reload: null,
    });
    await fixture.executor.start({ credential: 'openai/ticketing/dev', actor }).catch(() => undefined);
    expect(sentText().includes(MASTER)).toBe(false);
  });

  it('a dry run with a legitimate token contacts no remote target at all', async () => {
    fixture = await createRotationFixture();
    await fixture.store.addConsumer({
      credentialId: fixture.credential.id, name: 'ci-vars', kind: 'gitlab-ci',
      config: { scope: 'project', project: 'group/app', name: 'OPENAI_API_KEY', apiUrl: listener.url }, reload: null,
    });
    const plan = await fixture.executor.plan({ credential: 'openai/ticketing/dev', actor });
    expect(listener.requests).toEqual([]);
    expect(plan.problems).toEqual([]);
    expect(plan.consumers.find((consumer) => consumer.name === 'ci-vars')?.diff.join('\n')).toMatch(/not contacted/);
  });

  it('refuses every guarded variable, even when the consumer lists it in allowEnv', async () => {
    const salt = randomBytes(32);
    for (const variable of ['REKEY_MASTER_KEY', 'REKEY_PASSPHRASE', 'REKEY_DATABASE_URL', 'OPENAI_ADMIN_KEY', 'ANTHROPIC_ADMIN_KEY', 'OPENROUTER_MANAGEMENT_KEY', 'AZURE_MANAGEMENT_TOKEN', 'OPENAI_API_KEY', 'AWS_SECRET_ACCESS_KEY']) {
      const config = { scope: 'project', project: 'p', name: 'X', apiUrl: listener.url, tokenEnv: variable, allowEnv: [variable] };
      await expect(createSink({ name: 'c', kind: 'gitlab-ci', config }, salt, { [variable]: 'x'.repeat(20) }), variable).rejects.toThrow(ConfigError);
    }
  });

  it('reads another variable than the default only when the consumer allows it', async () => {
    const salt = randomBytes(32);
    const config = { scope: 'project', project: 'p', name: 'X', apiUrl: listener.url, tokenEnv: 'MY_GITLAB_TOKEN' };
    await expect(createSink({ name: 'c', kind: 'gitlab-ci', config }, salt, planted)).rejects.toThrow(/allowEnv/);
    await expect(createSink({ name: 'c', kind: 'gitlab-ci', config: { ...config, allowEnv: ['MY_GITLAB_TOKEN'] } }, salt, planted)).resolves.toBeDefined();
    await expect(createSink({ name: 'c', kind: 'vault-kv', config: { address: listener.url, path: 'a', name: 'X', tokenEnv: 'MY_GITLAB_TOKEN' } }, salt, planted)).rejects.toThrow(/allowEnv/);
  });
});
