/**
 * The conditions the alert worker and the scheduler re-evaluate each round, as events
 * (value-free: names, version numbers, counts and times). Each source reports every
 * condition true now through `AlertService.sync`, which raises them (grouped while open)
 * and resolves those that cleared:
 *
 * - rotations held (grace exceeded its maximum when the hold is at grace), naming who is
 *   still on the old version and for how long; rotations that failed or were rolled back
 *   (until a later rotation of the credential succeeds);
 * - key age: N days before `rotateEveryDays`/`maxAgeDays` is reached, and overdue;
 * - traffic on a revoked key (usage reports after the revoke);
 * - authentication failures at serve or the proxy above a rate;
 * - usage anomalies per credential and metric (usage-anomalies.ts, the pure detector on
 *   the hourly series of proxy metering and SDK check-ins);
 * - two-person approval requests waiting (approval-alerts.ts);
 * - the scheduler's heartbeat missing (only once a scheduler has ever beaten);
 * - a leak alert resolves once the leaked version is no longer usable.
 */
import type { Clock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import type { Credential, RotationRecord, VersionRecord } from '../core/types.js';
import type { Store } from '../store/store.js';
import type { AlertSettings } from './alert-config.js';
import type { AlertService } from './alert-service.js';
import type { AlertEvent, AlertFact } from './alert-types.js';
import { approvalWaitingEvents } from './approval-alerts.js';
import { usageAnomalyEvents } from './usage-anomalies.js';

const DAY_MS = 86_400_000;
export const SCHEDULER_HEARTBEAT = 'scheduler';

export type ConditionStore = Pick<
  Store,
  'listCredentials' | 'getCredentialById' | 'getVersionByStage' | 'listVersions' | 'listRotations' | 'listConsumerUsage' | 'getHeartbeat' | 'countAuthFailures' | 'listAlerts' | 'getAlert' | 'listUsageMinutes' | 'listApprovalRequests'
>;

export interface ConditionDeps {
  store: ConditionStore;
  service: Pick<AlertService, 'sync' | 'resolve' | 'raise'>;
  clock: Clock;
  settings: Pick<AlertSettings, 'dueReminderDays' | 'authFailuresPerMinute' | 'heartbeatMissingAfterMs'>;
}

/** What the rotation engine says when it holds (src/rotation's alert effect). */
export interface RotationHoldNotice {
  rotationId: string;
  credential: string;
  environment: string | null;
  reason: string;
  holders: string[];
  /** The step a resume goes back to; `grace` means the grace reached its maximum. */
  resumeTo: string | null;
  oldVersion: number | null;
  newVersion: number | null;
  heldSince: Date;
  graceStartedAt: Date | null;
  /** Per consumer still on the old version: when it last used it. */
  lastUse?: Array<{ consumer: string; lastUsedAt: Date | null; requests: number }> | undefined;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function rotationHoldEvent(notice: RotationHoldNotice, now: Date): AlertEvent {
  const graceExceeded = notice.resumeTo === 'grace';
  const facts: AlertFact[] = [{ label: 'reason', value: notice.reason }];
  const onOld = notice.oldVersion === null ? 'the old version' : `v${notice.oldVersion}`;
  const since = notice.graceStartedAt ?? notice.heldSince;
  for (const holder of notice.holders) facts.push({ label: `still on ${onOld}`, value: `${holder} (for ${formatDuration((now.getTime() - since.getTime()) / 1000)})` });
  for (const use of notice.lastUse ?? []) {
    if (use.lastUsedAt !== null) facts.push({ label: `last use of ${onOld}`, value: `${use.consumer} at ${use.lastUsedAt.toISOString()} (${use.requests} requests since grace began)` });
  }
  facts.push({ label: 'rotation', value: notice.rotationId });
  const name = notice.credential;
  return {
    kind: graceExceeded ? 'grace-exceeded' : 'rotation-held',
    severity: 'error',
    key: `rotation-held:${name}:${notice.rotationId}`,
    title: graceExceeded ? `Rotation of ${name} is held: grace exceeded its maximum` : `Rotation of ${name} is held`,
    summary: `${capitalised(notice.reason)}. rekey did not revoke ${onOld}. Move the consumers still on it, then run \`rekey rotations resume ${notice.rotationId}\` (or roll back with \`rekey rotations rollback ${notice.rotationId}\`).`,
    credential: name,
    environment: notice.environment,
    facts,
    since: notice.heldSince,
    data: { rotation: notice.rotationId, oldVersion: notice.oldVersion, newVersion: notice.newVersion },
  };
}

interface MachineView {
  oldVersion?: number;
  pendingVersion?: number | null;
  hold?: { reason?: string; resumeTo?: string; holders?: string[] } | null;
  failure?: string | null;
}

function machineOf(rotation: RotationRecord): MachineView {
  const machine = (rotation.data['machine'] ?? {}) as MachineView;
  return typeof machine === 'object' && machine !== null ? machine : {};
}

async function holdNoticeOf(store: ConditionStore, rotation: RotationRecord, credential: Credential): Promise<RotationHoldNotice> {
  const machine = machineOf(rotation);
  const graceText = rotation.data['graceStartedAt'];
  const graceStartedAt = typeof graceText === 'string' ? new Date(graceText) : null;
  const oldVersion = typeof machine.oldVersion === 'number' ? machine.oldVersion : null;
  const lastUse =
    oldVersion === null || graceStartedAt === null
      ? []
      : (await store.listConsumerUsage(credential.id, oldVersion, graceStartedAt)).filter((use) => use.requests > 0).map((use) => ({ consumer: `${use.source}:${use.consumer}`, lastUsedAt: use.lastUsedAt, requests: use.requests }));
  return {
    rotationId: rotation.id,
    credential: credential.name,
    environment: credential.environment,
    reason: machine.hold?.reason ?? rotation.error ?? 'rotation held',
    holders: machine.hold?.holders ?? [],
    resumeTo: machine.hold?.resumeTo ?? null,
    oldVersion,
    newVersion: typeof machine.pendingVersion === 'number' ? machine.pendingVersion : null,
    heldSince: rotation.updatedAt,
    graceStartedAt,
    lastUse,
  };
}

export async function rotationEvents(deps: ConditionDeps): Promise<{ held: AlertEvent[]; ended: AlertEvent[] }> {
  const { store, clock } = deps;
  const now = clock.now();
  const held: AlertEvent[] = [];
  const ended: AlertEvent[] = [];
  const credentials = new Map((await store.listCredentials()).map((credential) => [credential.id, credential]));
  for (const credential of credentials.values()) {
    const [latest] = await store.listRotations({ credentialId: credential.id, limit: 1 });
    if (latest === undefined) continue;
    for (const active of await store.listRotations({ credentialId: credential.id, active: true })) {
      if (active.state === 'hold') held.push(rotationHoldEvent(await holdNoticeOf(store, active, credential), now));
    }
    if ((latest.state === 'failed' || latest.state === 'rolled-back') && latest.finishedAt !== null && now.getTime() - latest.finishedAt.getTime() < 7 * DAY_MS) {
      const machine = machineOf(latest);
      const failed = latest.state === 'failed';
      ended.push({
        kind: failed ? 'rotation-failed' : 'rotation-rolled-back',
        severity: failed ? 'error' : 'warning',
        key: `${failed ? 'rotation-failed' : 'rotation-rolled-back'}:${credential.name}:${latest.id}`,
        title: failed ? `Rotation of ${credential.name} failed` : `Rotation of ${credential.name} was rolled back`,
        summary: `${capitalised(latest.error ?? machine.failure ?? (failed ? 'the rotation failed' : 'the rotation was rolled back'))}. ${typeof machine.oldVersion === 'number' ? `v${machine.oldVersion} stays current. ` : ''}Start a new rotation once the cause is fixed.`,
        credential: credential.name,
        environment: credential.environment,
        facts: [
          { label: 'rotation', value: latest.id },
          { label: 'ended', value: latest.finishedAt.toISOString() },
          ...(machine.hold?.holders ?? []).map((holder) => ({ label: 'was still on the old version', value: holder })),
        ],
        since: latest.finishedAt,
        data: { rotation: latest.id },
      });
    }
  }
  return { held, ended };
}

export async function keyAgeEvents(deps: ConditionDeps): Promise<AlertEvent[]> {
  const { store, clock, settings } = deps;
  const now = clock.now().getTime();
  const events: AlertEvent[] = [];
  for (const credential of await store.listCredentials()) {
    const limits = [
      { days: credential.policy.rotateEveryDays, what: 'rotation is due', past: 'rotation was due' },
      { days: credential.policy.maxAgeDays, what: 'the key reaches its maximum age', past: 'the key reached its maximum age' },
    ].filter((limit): limit is { days: number; what: string; past: string } => limit.days !== undefined && limit.days > 0);
    if (limits.length === 0) continue;
    const current = await store.getVersionByStage(credential.id, 'current');
    if (current === undefined) continue;
    // The nearest limit decides.
    const nearest = limits.map((limit) => ({ ...limit, at: current.createdAt.getTime() + limit.days * DAY_MS })).sort((a, b) => a.at - b.at)[0] as { days: number; what: string; past: string; at: number };
    const daysLeft = (nearest.at - now) / DAY_MS;
    const ageDays = Math.floor((now - current.createdAt.getTime()) / DAY_MS);
    const facts: AlertFact[] = [
      { label: 'version', value: `v${current.number} (${current.hint})` },
      { label: 'age', value: `${ageDays} days` },
      { label: 'limit', value: `${nearest.days} days (${nearest.what})` },
      { label: 'due', value: new Date(nearest.at).toISOString() },
    ];
    if (daysLeft <= 0) {
      events.push({
        kind: 'key-overdue',
        severity: 'error',
        key: `key-overdue:${credential.name}:v${current.number}`,
        title: `${credential.name} is overdue: ${nearest.past} on ${new Date(nearest.at).toISOString().slice(0, 10)}`,
        summary: `Version ${current.number} is ${ageDays} days old; the policy allows ${nearest.days}. Rotate it: \`rekey rotate ${credential.name}\` (the scheduler does so when it runs).`,
        credential: credential.name,
        environment: credential.environment,
        facts,
        since: new Date(nearest.at),
        data: { version: current.number },
      });
    } else if (daysLeft <= settings.dueReminderDays) {
      const whole = Math.ceil(daysLeft);
      events.push({
        kind: 'key-age-due',
        severity: 'warning',
        key: `key-age-due:${credential.name}:v${current.number}`,
        title: `${credential.name}: ${nearest.what} in ${whole} day${whole === 1 ? '' : 's'}`,
        summary: `Version ${current.number} reaches its ${nearest.days}-day limit on ${new Date(nearest.at).toISOString().slice(0, 10)}. Rotate before then: \`rekey rotate ${credential.name}\`.`,
        credential: credential.name,
        environment: credential.environment,
        facts,
        since: new Date(nearest.at - settings.dueReminderDays * DAY_MS),
        data: { version: current.number },
      });
    }
  }
  return events;
}

/** Requests made with a revoked version after its revoke (the last hour only). */
export async function revokedTrafficEvents(deps: ConditionDeps): Promise<AlertEvent[]> {
  const { store, clock } = deps;
  const now = clock.now();
  const events: AlertEvent[] = [];
  for (const credential of await store.listCredentials()) {
    const revoked = (await store.listVersions(credential.id)).filter((version: VersionRecord) => version.stage === 'revoked');
    for (const version of revoked) {
      const since = new Date(Math.max(version.stageChangedAt.getTime(), now.getTime() - 3600_000));
      const users = (await store.listConsumerUsage(credential.id, version.number, since)).filter((use) => use.requests > 0 && use.lastUsedAt !== null && use.lastUsedAt >= version.stageChangedAt);
      if (users.length === 0) continue;
      const total = users.reduce((sum, use) => sum + use.requests, 0);
      events.push({
        kind: 'revoked-key-traffic',
        severity: 'critical',
        key: `revoked-key-traffic:${credential.name}:v${version.number}`,
        title: `Traffic on revoked key v${version.number} of ${credential.name}`,
        summary: `${total} request(s) were made with v${version.number} after it was revoked at ${version.stageChangedAt.toISOString()}: something still holds the old key (a consumer rekey does not know, or a copy outside it). Find it with \`rekey discover ${credential.name}\`.`,
        credential: credential.name,
        environment: credential.environment,
        facts: [{ label: 'revoked at', value: version.stageChangedAt.toISOString() }, ...users.map((use) => ({ label: `${use.source}:${use.consumer}`, value: `${use.requests} request(s), last ${use.lastUsedAt?.toISOString() ?? '?'}` }))],
        since: users.map((use) => use.lastUsedAt as Date).sort((a, b) => a.getTime() - b.getTime())[0] ?? now,
        data: { version: version.number },
      });
    }
  }
  return events;
}

const AUTH_WINDOW_MINUTES = 5;

export async function authFailureEvents(deps: ConditionDeps): Promise<AlertEvent[]> {
  const { store, clock, settings } = deps;
  const now = clock.now();
  const since = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - (AUTH_WINDOW_MINUTES - 1) * 60_000);
  const events: AlertEvent[] = [];
  for (const { source, failures } of await store.countAuthFailures(since)) {
    const perMinute = failures / AUTH_WINDOW_MINUTES;
    if (perMinute <= settings.authFailuresPerMinute) continue;
    events.push({
      kind: 'auth-failures',
      severity: 'warning',
      key: `auth-failures:${source}`,
      title: `${source}: ${failures} refused tokens in ${AUTH_WINDOW_MINUTES} minutes`,
      summary: `${source} refused ${perMinute.toFixed(1)} tokens a minute (threshold ${settings.authFailuresPerMinute}): token guessing, or an app with a wrong or revoked token.`,
      credential: null,
      environment: null,
      facts: [
        { label: 'expected', value: `at most ${settings.authFailuresPerMinute} a minute` },
        { label: 'seen', value: `${perMinute.toFixed(1)} a minute over ${AUTH_WINDOW_MINUTES} minutes` },
      ],
      since,
    });
  }
  return events;
}

export async function heartbeatEvents(deps: ConditionDeps): Promise<AlertEvent[]> {
  const { store, clock, settings } = deps;
  const beat = await store.getHeartbeat(SCHEDULER_HEARTBEAT);
  const now = clock.now();
  if (beat === undefined || now.getTime() - beat.beatAt.getTime() <= settings.heartbeatMissingAfterMs) return [];
  return [
    {
      kind: 'scheduler-heartbeat-missing',
      severity: 'error',
      key: 'scheduler-heartbeat-missing',
      title: `The rekey scheduler has not run since ${beat.beatAt.toISOString()}`,
      summary: `No scheduler beat for ${formatDuration((now.getTime() - beat.beatAt.getTime()) / 1000)} (allowed ${formatDuration(settings.heartbeatMissingAfterMs / 1000)}): scheduled rotations and reminders are not happening. Last seen: ${beat.holder}.`,
      credential: null,
      environment: null,
      facts: [
        { label: 'last beat', value: beat.beatAt.toISOString() },
        { label: 'last holder', value: beat.holder },
      ],
      since: beat.beatAt,
    },
  ];
}

/** Leak alerts resolve once the leaked version is revoked or discarded. */
async function resolveLeaksThatAreDead(deps: ConditionDeps): Promise<void> {
  const { store, service } = deps;
  for (const alert of await store.listAlerts({ states: ['open', 'acknowledged'] })) {
    if (alert.kind !== 'leak-found') continue;
    const data = (alert.event['data'] ?? {}) as Record<string, unknown>;
    const credentialId = data['credentialId'];
    const versionNumber = data['version'];
    if (typeof credentialId !== 'string' || typeof versionNumber !== 'number') continue;
    const version = (await store.listVersions(credentialId)).find((item) => item.number === versionNumber);
    if (version === undefined || version.stage === 'revoked' || version.stage === 'discarded') await service.resolve(alert.key);
  }
}

export async function evaluateAlertConditions(deps: ConditionDeps, options: { heartbeat?: boolean; extra?: Array<{ kinds: AlertEvent['kind'][]; events: AlertEvent[] }> } = {}): Promise<void> {
  const { service } = deps;
  const rotations = await rotationEvents(deps);
  await service.sync(['rotation-held', 'grace-exceeded'], rotations.held);
  await service.sync(['rotation-failed', 'rotation-rolled-back'], rotations.ended);
  await service.sync(['key-age-due', 'key-overdue'], await keyAgeEvents(deps));
  await service.sync(['revoked-key-traffic'], await revokedTrafficEvents(deps));
  await service.sync(['auth-failures'], await authFailureEvents(deps));
  await service.sync(['usage-anomaly'], await usageAnomalyEvents(deps));
  await service.sync(['approval-waiting'], await approvalWaitingEvents(deps));
  if (options.heartbeat === true) await service.sync(['scheduler-heartbeat-missing'], await heartbeatEvents(deps));
  for (const source of options.extra ?? []) await service.sync(source.kinds, source.events);
  await resolveLeaksThatAreDead(deps);
}

/** What a leak response did (src/rotation/leak-response.ts), value-free. */
export interface LeakNotice {
  credential: string;
  credentialId: string;
  environment: string | null;
  version: number;
  action: string;
  rotationId: string | null;
  secondsFromFindingToDead: number | null;
  reason: string | null;
  where: string | null;
  foundAt: Date;
}

const LEAK_ACTIONS: Record<string, string> = {
  'emergency-rotation': 'rotated at once (emergency rotation)',
  'grace-ended': 'the rotation in grace was ended and the leaked key revoked',
  'pending-discarded': 'the leaked pending key was discarded',
  'already-dead': 'nothing: the key was already revoked',
  'alert-only': 'not rotated',
  failed: 'the response failed',
};

export function leakFoundEvent(notice: LeakNotice): AlertEvent {
  const dead = notice.secondsFromFindingToDead;
  const done = LEAK_ACTIONS[notice.action] ?? notice.action;
  const facts: AlertFact[] = [
    { label: 'leaked version', value: `v${notice.version}` },
    { label: 'found', value: `${notice.where ?? 'a scan'} at ${notice.foundAt.toISOString()}` },
    { label: 'what rekey did', value: dead === null ? done : `${done}; the key was dead ${dead.toFixed(1)} s after it was found` },
  ];
  if (notice.reason !== null) facts.push({ label: dead === null ? 'why not' : 'note', value: notice.reason });
  if (notice.rotationId !== null) facts.push({ label: 'rotation', value: notice.rotationId });
  return {
    kind: 'leak-found',
    severity: dead === null ? 'critical' : 'error',
    key: `leak-found:${notice.credential}:v${notice.version}`,
    title: `Leaked key of ${notice.credential} found${dead === null ? ' (still alive)' : ` (dead in ${dead.toFixed(1)} s)`}`,
    summary:
      dead === null
        ? `Version ${notice.version} of ${notice.credential} was found in ${notice.where ?? 'a scan'} and still works: ${notice.reason ?? done}. Rotate it now: \`rekey rotate ${notice.credential} --emergency\`.`
        : `Version ${notice.version} of ${notice.credential} was found in ${notice.where ?? 'a scan'}; ${done}. Remove the copy from where it was found.`,
    credential: notice.credential,
    environment: notice.environment,
    facts,
    since: notice.foundAt,
    data: { credentialId: notice.credentialId, version: notice.version },
  };
}
