import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { createGithubActionsSink, githubSecretsPath, type GithubActionsSinkConfig } from '../../src/sinks/github-actions-sink.js';
import { slotName } from '../../src/sinks/sink-support.js';
import { runSinkContract } from '../contracts/sink.js';
import { startGithubActionsFake, type GithubActionsFake } from '../fakes/github-actions-fake.js';

const salt = randomBytes(32);
const scopes: Array<Record<string, unknown>> = [
  { scope: 'repository', repository: 'acme/ticketing' },
  { scope: 'environment', repository: 'acme/ticketing', environment: 'production' },
  { scope: 'organization', organization: 'acme' },
];
const sinkFor = (fake: GithubActionsFake, scope: Record<string, unknown>) =>
  createGithubActionsSink({ ...scope, name: 'OPENAI_API_KEY', apiUrl: fake.apiUrl }, { fingerprintSalt: salt, consumerName: 'contract', environment: { GITHUB_TOKEN: fake.token } });

for (const scope of scopes) {
  runSinkContract('github-actions', async () => {
    const fake = await startGithubActionsFake();
    const scopePath = githubSecretsPath({ ...scope, name: 'X' } as unknown as GithubActionsSinkConfig).replace(/\/secrets$/, '');
    return {
      sink: sinkFor(fake, scope),
      fingerprintSalt: salt,
      // What the fake opened with its private key: proof the sealed value arrived intact.
      readBack: async (slot) => {
        const value = fake.opened(scopePath, slotName('OPENAI_API_KEY', slot));
        return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(salt, value) };
      },
      breakReads: async () => undefined,
      breakWrites: async () => fake.server.failNext(403, { times: 50 }),
      breakWritesTransiently: async () => fake.server.failNext(502, { times: 1 }),
      cleanup: () => fake.close(),
    };
  });
}

describe('github-actions sink', () => {
  let fake: GithubActionsFake;
  beforeEach(async () => {
    fake = await startGithubActionsFake();
  });
  afterEach(() => fake.close());
  const key = new SecretValue('sk-proj-GHvalue00000000000000000000000000000000001');

  it('sends only a sealed box: the plaintext never crosses the wire, the fake opens it', async () => {
    await sinkFor(fake, scopes[0] ?? { scope: 'repository', repository: 'a/b' }).write('main', key);
    expect(fake.opened('/repos/acme/ticketing/actions', 'OPENAI_API_KEY')).toBe(key.reveal());
    for (const request of fake.server.requests) expect(request.body.toString()).not.toContain(key.reveal());
    expect(fake.server.requests.map((request) => `${request.method} ${request.url.pathname}`)).toEqual([
      'GET /repos/acme/ticketing/actions/secrets/public-key',
      'PUT /repos/acme/ticketing/actions/secrets/OPENAI_API_KEY',
    ]);
  });

  it('organisation secrets keep their visibility on update', async () => {
    const sink = createGithubActionsSink(
      { scope: 'organization', organization: 'acme', name: 'OPENAI_API_KEY', apiUrl: fake.apiUrl, visibility: 'selected', selectedRepositoryIds: [7] },
      { fingerprintSalt: salt, consumerName: 'org', environment: { GITHUB_TOKEN: fake.token } },
    );
    await sink.write('main', key);
    await sinkFor(fake, { scope: 'organization', organization: 'acme' }).write('main', key);
    expect(fake.secret('/orgs/acme/actions', 'OPENAI_API_KEY')).toMatchObject({ visibility: 'selected', selected_repository_ids: [7] });
  });

  it('is write-only: no readFingerprint, so delivery reports it unverifiable', () => {
    expect(sinkFor(fake, { scope: 'repository', repository: 'acme/x' }).readFingerprint).toBeUndefined();
  });
});
