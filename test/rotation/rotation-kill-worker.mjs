// A real rekey worker process for the SIGKILL harness (rotation-sigkill.test.ts). It runs
// the built engine (dist/) against a SQLite file, the emulator and an env file, and kills
// itself with SIGKILL at the point named in its arguments: after a journal entry, after a
// saved transition, or in the middle of a provider or sink call. Secrets come through the
// environment, never argv (REKEY_TEST_DATABASE_URL selects PostgreSQL instead of the file).
//
//   node rotation-kill-worker.mjs start  <sqlitePath> <credential> <killPoint|none> <standard|emergency>
//   node rotation-kill-worker.mjs resume <sqlitePath> <rotationId>
import { resolve } from 'node:path';

const dist = resolve(import.meta.dirname, '../../dist/src');
const load = (path) => import(`${dist}/${path}`);

const [mode, sqlitePath, target, killPoint = 'none', rotationMode = 'standard'] = process.argv.slice(2);
const { openStore } = await load('store/open-store.js');
const { createEnvelope } = await load('crypto/envelope.js');
const { createVault } = await load('vault/vault.js');
const { createAuditLog } = await load('audit/audit-log.js');
const { systemClock } = await load('core/clock.js');
const { createOpenAIProvider } = await load('providers/openai/openai-provider.js');
const { createSinkResolver } = await load('sinks/sink-resolver.js');
const { createRotationExecutor } = await load('rotation/rotation-executor.js');
const { SecretValue } = await load('core/secret-value.js');

const die = (point) => {
  if (point === killPoint) process.kill(process.pid, 'SIGKILL');
};

const databaseUrl = process.env.REKEY_TEST_DATABASE_URL || undefined;
const realStore = await openStore({ sqlitePath, databaseUrl });
const store = new Proxy(realStore, {
  get(object, property) {
    if (property === 'appendJournal') {
      return async (entry) => {
        const written = await object.appendJournal(entry);
        die(`after-${entry.phase}:${entry.step}`);
        return written;
      };
    }
    if (property === 'updateRotation') {
      return async (id, revision, patch) => {
        const updated = await object.updateRotation(id, revision, patch);
        if (patch.state !== undefined) die(`after-save:${patch.state}`);
        return updated;
      };
    }
    return Reflect.get(object, property);
  },
});

const fingerprintSalt = Buffer.from(process.env.REKEY_TEST_SALT ?? '', 'base64');
const vault = createVault({ store, envelope: createEnvelope(Buffer.from(process.env.REKEY_TEST_MASTER_KEY ?? '', 'base64')), fingerprintSalt });
const audit = createAuditLog({ store, clock: systemClock });
const openai = createOpenAIProvider({
  adminKey: new SecretValue(process.env.REKEY_TEST_ADMIN_KEY ?? ''),
  baseUrl: process.env.REKEY_TEST_BASE_URL,
  environment: {},
});
// In the middle of a provider call: the provider has acted, the worker never sees the answer.
const provider = {
  ...openai,
  async mint(request) {
    const minted = await openai.mint(request);
    die('in-mint');
    return minted;
  },
  async test(request) {
    const result = await openai.test(request);
    die('in-test');
    return result;
  },
  async revoke(request) {
    const result = await openai.revoke(request);
    die('in-revoke');
    return result;
  },
};
const resolver = createSinkResolver({ fingerprintSalt });
const sinks = {
  reload: resolver.reload,
  async create(consumer) {
    const sink = await resolver.create(consumer);
    return {
      ...sink,
      describe: sink.describe,
      async write(slot, value) {
        await sink.write(slot, value);
        if (slot === 'main') die('in-sink-write');
      },
    };
  },
};

const executor = createRotationExecutor({
  store,
  vault,
  audit,
  providers: { resolve: () => provider },
  sinks,
  clock: systemClock,
  settings: { leaseTtlMs: 1500, leaseWaitMs: 10_000, gracePollMinMs: 200, testTimeoutMs: 30_000, revokeConfirmTimeoutMs: 30_000 },
});

const outcome =
  mode === 'start'
    ? await executor.start({ credential: target, actor: 'harness', emergency: rotationMode === 'emergency', graceQuietSeconds: 1, graceMaxSeconds: 60 })
    : await executor.resume(target, { actor: 'harness' });
await realStore.close();
process.stdout.write(JSON.stringify({ rotationId: outcome.rotationId, state: outcome.state }) + '\n');
