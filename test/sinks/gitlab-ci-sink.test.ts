import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { createGitlabCiSink } from '../../src/sinks/gitlab-ci-sink.js';
import { runSinkContract } from '../contracts/sink.js';
import { startGitlabCiFake, type GitlabCiFake } from '../fakes/gitlab-ci-fake.js';

const salt = randomBytes(32);
const sinkFor = (fake: GitlabCiFake, scope: Record<string, unknown> = { scope: 'project', project: 'acme/ticketing' }) =>
  createGitlabCiSink({ ...scope, name: 'OPENAI_API_KEY', apiUrl: fake.apiUrl }, { fingerprintSalt: salt, consumerName: 'contract', environment: { GITLAB_TOKEN: fake.token } });

for (const scope of [{ scope: 'project', project: 'acme/ticketing' }, { scope: 'group', group: '42', environmentScope: 'production' }]) {
  runSinkContract('gitlab-ci', async () => {
    const fake = await startGitlabCiFake();
    return {
      sink: sinkFor(fake, scope),
      fingerprintSalt: salt,
      breakReads: async () => fake.denyReads(),
      breakWrites: async () => fake.server.failNext(403, { times: 50 }),
      breakWritesTransiently: async () => fake.server.failNext(429, { times: 1 }),
      cleanup: () => fake.close(),
    };
  });
}

describe('gitlab-ci sink', () => {
  let fake: GitlabCiFake;
  beforeEach(async () => {
    fake = await startGitlabCiFake();
  });
  afterEach(() => fake.close());
  const key = new SecretValue('sk-proj-GLvalue00000000000000000000000000000000001');

  it('keeps masked, protected and raw on update and copies them to new versioned variables', async () => {
    fake.plant('projects/acme/ticketing', { key: 'OPENAI_API_KEY', value: 'sk-old-value-0000', masked: true, protected: true, raw: false, description: 'prod key' });
    const sink = sinkFor(fake);
    await sink.write('main', key);
    await sink.write({ version: 3 }, key);
    expect(fake.variable('projects/acme/ticketing', 'OPENAI_API_KEY')).toMatchObject({ value: key.reveal(), masked: true, protected: true, raw: false, description: 'prod key' });
    expect(fake.variable('projects/acme/ticketing', 'OPENAI_API_KEY_V3')).toMatchObject({ value: key.reveal(), masked: true, protected: true, raw: false });
    const update = fake.server.requests.find((request) => request.method === 'PUT');
    expect(JSON.parse(update?.body.toString() ?? '{}')).toEqual({ value: key.reveal() });
  });

  it('a hidden variable is an error on read, never absent', async () => {
    fake.plant('projects/acme/ticketing', { key: 'OPENAI_API_KEY', value: 'sk-hidden-value-000', masked: true, hidden: true });
    await expect(sinkFor(fake).readFingerprint('main')).rejects.toMatchObject({ code: 'sink', isRetryable: false });
  });
});
