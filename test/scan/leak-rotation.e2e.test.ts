/**
 * A leaked key of ours, end to end at the service level: an OpenAI key that is the
 * current version of a credential is committed to a git repository (then removed); the
 * history scan recognises it by its vault fingerprint, and the `onOwnKeyFound` hook runs
 * the rotation engine's leak response (`respondToLeak`). The old key ends dead at the
 * emulator, the consumer holds the new key. The CLI's `--rotate` wires the same hook.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { systemClock } from '../../src/core/clock.js';
import { createEnvelope } from '../../src/crypto/envelope.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { createOpenAIProvider } from '../../src/providers/openai/openai-provider.js';
import { respondToLeak, type LeakResponse } from '../../src/rotation/leak-response.js';
import { createRotationExecutor } from '../../src/rotation/rotation-executor.js';
import { findingPlace } from '../../src/scan/finding.js';
import { createScanService } from '../../src/scan/scan-service.js';
import { createSinkResolver } from '../../src/sinks/sink-resolver.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createVault } from '../../src/vault/vault.js';
import { createTempRepository } from './git-repo-helper.js';
import { seedCredential } from '../helpers/credential-seed.js';

describe('leak of one of our keys → emergency rotation (scanner + rotation engine + emulator)', () => {
  let emulator: RunningEmulator;
  let directory: string;
  let store: Store;
  let repositoryRoot: string;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: 9 });
    directory = await mkdtemp(join(tmpdir(), 'rekey-scan-leak-'));
    store = await openStore({ sqlitePath: join(directory, 'rekey.db') });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await emulator.close();
    await rm(directory, { recursive: true, force: true });
    if (repositoryRoot !== undefined) await rm(repositoryRoot, { recursive: true, force: true });
  });

  it('finds the key in git history, names the credential, and leaves the old key dead and the consumer on a new one', async () => {
    const seeded = await emulator.seedOpenAIProject('support-bot');
    const fingerprintSalt = randomBytes(32);
    const vault = createVault({ store, envelope: createEnvelope(randomBytes(32)), fingerprintSalt });
    const audit = createAuditLog({ store, clock: systemClock });
    const { credential } = await seedCredential({ store, vault }, {
      name: 'openai/support-bot/prod', value: seeded.key, providerKeyId: seeded.keyId, scope: { project: seeded.projectId }, environment: 'prod',
      owner: 'platform', allowedModels: ['gpt-4o-mini'], policy: { onLeak: 'rotate' },
    });
    const envPath = join(directory, 'support.env');
    await store.addConsumer({ credentialId: credential.id, name: 'support-env', kind: 'env-file', config: { path: envPath, name: 'OPENAI_API_KEY' }, reload: null });
    const executor = createRotationExecutor({
      store, vault, audit,
      providers: { resolve: () => createOpenAIProvider({ adminKey: emulator.adminKeys.openai, baseUrl: emulator.openaiBaseUrl, environment: {} }) },
      sinks: createSinkResolver({ fingerprintSalt }),
      clock: systemClock,
      settings: { testTimeoutMs: 30_000, revokeConfirmTimeoutMs: 30_000 },
    });

    const repository = createTempRepository('rekey-scan-leak-repo-');
    repositoryRoot = repository.root;
    repository.write('bot/settings.py', `OPENAI_API_KEY = "${seeded.key.reveal()}"\n`);
    repository.git('add', '.');
    repository.git('commit', '-q', '-m', 'wire the bot');
    repository.write('bot/settings.py', 'OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]\n');
    repository.git('commit', '-q', '-am', 'read the key from the environment');

    const responses: LeakResponse[] = [];
    const service = createScanService({
      ownKeys: {
        fingerprintOf: vault.fingerprintOf,
        lookup: async (print) => {
          const [version] = await store.findVersionsByFingerprint(print);
          if (version === undefined) return undefined;
          const owner = await store.getCredentialById(version.credentialId);
          return owner === undefined ? undefined : { credential: owner.name, stage: version.stage };
        },
      },
      onOwnKeyFound: async (event) => {
        responses.push(...await respondToLeak(
          { store, executor, audit, clock: systemClock },
          { fingerprint: event.fingerprint, foundAt: event.foundAt, actor: 'scan:e2e', where: findingPlace(event.finding) },
        ));
      },
    });
    const report = await service.scan({ gitHistory: repository.root });

    expect(report.hookErrors).toEqual([]);
    expect(report.findings.map((finding) => [finding.detectorId, finding.location.path, finding.ownership])).toEqual([
      ['openai-service-account-key', 'bot/settings.py', { credential: 'openai/support-bot/prod', stage: 'current' }],
    ]);
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ credential: 'openai/support-bot/prod', stage: 'current', action: 'emergency-rotation', reason: null });
    expect(responses[0]?.secondsFromFindingToDead).toBeGreaterThanOrEqual(0);

    expect(emulator.isKeyLive(seeded.key.reveal())).toBe(false);
    const versions = await store.listVersions(credential.id);
    expect(versions.map((version) => [version.number, version.stage])).toEqual([[1, 'revoked'], [2, 'current']]);
    const next = await vault.reveal(credential, 2);
    expect(emulator.isKeyLive(next.reveal())).toBe(true);
    expect(await readFile(envPath, 'utf8')).toContain(`OPENAI_API_KEY=${next.reveal()}\n`);
  }, 120_000);
});
