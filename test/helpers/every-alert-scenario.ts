/**
 * One scenario that makes every alert source speak, through the real code: the rotation
 * engine (held past its maximum grace then rolled back, a failed mint), the leak response
 * (rotated at once, and only reported by policy), key age (due in 7 days, overdue and
 * acknowledged), traffic on the revoked leaked key, token guessing at the proxy, a night-time
 * usage burst and a scheduler that stopped beating, with reminders for what stays open.
 * Every message goes to every channel given. The hygiene test searches what the channels
 * received; the README test prints the messages.
 */
import { SCHEDULER_HEARTBEAT } from '../../src/alerts/alert-conditions.js';
import { alertLeakResponses, createRotationAlerts, runAlertRound } from '../../src/alerts/alert-round.js';
import { createAlertService } from '../../src/alerts/alert-service.js';
import type { AlertKind } from '../../src/alerts/alert-types.js';
import type { AlertChannel } from '../../src/alerts/channels/channel-spec.js';
import { drainOutbox } from '../../src/alerts/outbox-worker.js';
import type { Credential, CredentialPolicy } from '../../src/core/types.js';
import { respondToLeak } from '../../src/rotation/leak-response.js';
import { createRotationExecutor } from '../../src/rotation/rotation-executor.js';
import type { RotationFixture } from '../rotation/rotation-fixture.js';
import { usualRequests, writeHourlyUsage } from './usage-series.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SETTINGS = { dueReminderDays: 7, authFailuresPerMinute: 20, heartbeatMissingAfterMs: 10 * 60_000 };

/** Kinds the scenario does not raise: shadow keys and models outside the list (no source yet), the test message, approvals (test/alerts/approval-alert.test.ts) and a hold before grace (a failed delivery). */
export const NOT_RAISED_BY_THE_SCENARIO: readonly AlertKind[] = ['shadow-key', 'approval-waiting', 'model-not-allowed', 'alert-test', 'rotation-held'];

export async function raiseEveryAlertKind(fixture: RotationFixture, channels: ReadonlyMap<string, AlertChannel>): Promise<void> {
  const { store, clock, fake } = fixture;
  const service = createAlertService({ store, clock, rules: [{ events: ['*'], routes: [...channels.keys()] }], remindAfterMs: 4 * HOUR });
  const deliver = () => drainOutbox({ store, channels, clock, holder: 'scenario-worker' });
  const round = (checkHeartbeat = false) => runAlertRound({ store, service, clock, settings: SETTINGS, deliver }, { checkHeartbeat });
  const executor = createRotationExecutor({ ...fixture.deps(), alerts: createRotationAlerts({ open: async () => ({ service, deliver }), now: () => clock.now() }) });
  const addCredential = async (name: string, policy: CredentialPolicy = {}): Promise<Credential> => {
    const credential = await store.createCredential({ name, provider: 'openai', scope: { project: 'proj_1' }, environment: 'prod', owner: null, purpose: null, allowedModels: [], tags: {}, policy });
    await fixture.vault.putVersion({ credential, value: fake.seed(name), stage: 'current', providerKeyId: fake.keys.at(-1)?.id ?? null, mintedBy: 'cli:test' });
    return credential;
  };

  await addCredential('openai/billing/prod', { rotateEveryDays: 30 });
  await addCredential('openai/reports/prod', { maxAgeDays: 10 });
  const leaked = await addCredential('openai/support/prod');
  const reportedOnly = await addCredential('openai/search/prod', { onLeak: 'alert' });
  const failing = await addCredential('openai/embeddings/prod');
  const busy = await addCredential('openai/batch/prod');
  await store.recordHeartbeat(SCHEDULER_HEARTBEAT, 'ops-1:4242:scheduler', clock.now());
  clock.advance(23 * DAY);
  const burst = Math.floor(clock.now().getTime() / DAY) * DAY + DAY + 3 * HOUR; // 03:00 UTC tomorrow
  await writeHourlyUsage(store, { credentialId: busy.id, from: new Date(burst - 5 * 7 * DAY), until: new Date(burst + 2 * HOUR), requests: (hour) => (hour === burst ? 500 : usualRequests(hour, 150)) });

  // Held past its maximum grace (the old key keeps carrying traffic), later rolled back by a person.
  fake.knobs.trafficOnUsagePoll = true;
  const held = await executor.start({ credential: fixture.credential.name, actor: 'cli:test', graceQuietSeconds: 10, graceMaxSeconds: 60 });
  if (held.state !== 'hold') throw new Error(`scenario: expected a hold, got ${held.state}`);
  fake.knobs.trafficOnUsagePoll = false;
  // A mint that keeps failing: the rotation fails.
  fake.knobs.mintFailures = 1_000;
  await executor.start({ credential: failing.name, actor: 'cli:test' });
  fake.knobs.mintFailures = 0;
  // Two leaks: one rotated at once, one only reported (its policy says alert).
  for (const credential of [leaked, reportedOnly]) {
    const version = await store.getVersion(credential.id, 1);
    const foundAt = clock.now();
    const responses = await respondToLeak({ store, executor, audit: fixture.audit, clock }, { fingerprint: version?.fingerprint ?? '', foundAt, actor: 'scan:test', where: 'deploy/values.yaml:7' });
    await alertLeakResponses({ store, service, deliver }, responses, { foundAt, where: 'deploy/values.yaml:7' });
  }
  // Something still calls with the revoked leaked key; token guessing at the proxy.
  await store.recordUsage([{ credentialId: leaked.id, versionNumber: 1, source: 'proxy', consumer: 'nightly-export', at: new Date(clock.now().getTime() + 60_000), requests: 3, status2xx: 0, status4xx: 3, status5xx: 0, inputTokens: 0, outputTokens: 0 }]);
  await store.recordAuthFailures('proxy', clock.now(), 400);
  clock.advance(2 * 60_000);
  await round();
  await service.acknowledge('key-overdue:openai/reports/prod:v1', 'user:alice');
  await executor.decide(held.rotationId, 'rollback', 'user:alice');
  // The scheduler has stopped; the burst happens at night; reminders come due.
  clock.advance(burst + HOUR + 5 * 60_000 - clock.now().getTime());
  await round(true);
  await deliver();
}
