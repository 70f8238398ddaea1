/**
 * `rekey status`: one look at every credential — the current key's age, when it is next
 * due, the stage of any rotation in flight or held and why, which consumers a rotation has
 * delivered the current version to — and a list of what needs attention first, each with
 * the command that deals with it. Reads only the store; no provider or sink is contacted.
 */
import type { Clock } from '../core/clock.js';
import type { AuditEvent, Credential, RotationRecord } from '../core/types.js';
import type { Store } from '../store/store.js';
import { isHolderGone } from './lease-holder.js';
import { readRotationData } from './rotation-data.js';

const DAY_MS = 86_400_000;
const AUDIT_PAGE = 1000;

export type StatusStore = Pick<Store, 'listCredentials' | 'getVersionByStage' | 'listRotations' | 'listConsumers' | 'listAudit' | 'getLease'>;

export interface RotationStatus {
  id: string;
  state: string;
  /** `in flight` (a process runs it), `stopped` (no process does), `held` or `awaiting value`. */
  stage: 'in flight' | 'stopped' | 'held' | 'awaiting value';
  /** Why it is held or stopped, or what its grace is waiting for; value-free. */
  why: string | null;
  startedAt: string;
}

export interface CredentialStatus {
  credential: string;
  provider: string;
  environment: string;
  current: { version: number; hint: string; since: string; ageDays: number } | null;
  /** null: no cadence, so never due. */
  nextDue: { at: string; overdue: boolean } | null;
  rotation: RotationStatus | null;
  consumers: { total: number; confirmed: string[]; unconfirmed: string[] };
}

export interface AttentionItem {
  /** high: a rotation needs a person; medium: a key is overdue or missing; low: worth a look. */
  severity: 'high' | 'medium' | 'low';
  credential: string | null;
  what: string;
  /** The command that deals with it. */
  command: string;
}

export interface StatusReport {
  generatedAt: string;
  credentials: CredentialStatus[];
  attention: AttentionItem[];
}

/** `consumer` names a rotation delivered `version` to and read back (or could not read back), per credential. */
async function deliveredVersions(store: Pick<Store, 'listAudit'>): Promise<Map<string, Set<string>>> {
  const delivered = new Map<string, Set<string>>();
  for (let afterSeq = 0; ; ) {
    const page: AuditEvent[] = await store.listAudit({ afterSeq, limit: AUDIT_PAGE });
    for (const event of page) {
      if (event.event !== 'sink-write' || event.outcome !== 'ok' || event.credential === null) continue;
      const key = `${event.credential}\u0000${String(event.detail['version'])}`;
      delivered.set(key, (delivered.get(key) ?? new Set()).add(String(event.detail['consumer'] ?? '')));
    }
    const last = page.at(-1);
    if (page.length < AUDIT_PAGE || last === undefined) return delivered;
    afterSeq = last.seq;
  }
}

async function rotationStatus(store: Pick<Store, 'getLease'>, record: RotationRecord, now: Date): Promise<RotationStatus> {
  const data = readRotationData(record);
  const base = { id: record.id, state: record.state, startedAt: record.createdAt.toISOString() };
  if (record.state === 'hold') return { ...base, stage: 'held', why: data.machine.hold?.reason ?? record.error };
  if (record.state === 'awaiting-value') return { ...base, stage: 'awaiting value', why: 'the provider cannot mint keys by API: a person supplies the new key' };
  const lease = await store.getLease(`rotation:${record.credentialId}`);
  const running = lease !== undefined && lease.expiresAt > now && !isHolderGone(lease.holder);
  if (!running) return { ...base, stage: 'stopped', why: `stopped in state "${record.state}": no process is running it` };
  return { ...base, stage: 'in flight', why: record.state === 'grace' ? (data.grace?.reason ?? 'waiting for the old key to go quiet') : null };
}

function attentionFor(status: CredentialStatus, credential: Credential): AttentionItem[] {
  const name = status.credential;
  const items: AttentionItem[] = [];
  const rotation = status.rotation;
  if (rotation?.stage === 'held') {
    items.push({ severity: 'high', credential: name, what: `rotation ${rotation.id} is held: ${rotation.why ?? 'see rekey rotations show'}`, command: `rekey rotations show ${rotation.id}; then rekey rotations resume ${rotation.id} (or rollback)` });
  } else if (rotation?.stage === 'stopped') {
    items.push({ severity: 'high', credential: name, what: `rotation ${rotation.id} is ${rotation.why ?? 'stopped'}`, command: `rekey rotations resume ${rotation.id}` });
  } else if (rotation?.stage === 'awaiting value') {
    items.push({ severity: 'medium', credential: name, what: `rotation ${rotation.id} waits for the new key`, command: `rekey rotations resume ${rotation.id} --value-from-stdin` });
  }
  if (status.current === null) {
    items.push({ severity: 'medium', credential: name, what: 'has no current key', command: `rekey credential set-value ${name} --stage current` });
  } else if (status.nextDue?.overdue === true && rotation === null) {
    items.push({ severity: 'medium', credential: name, what: `is overdue: the current key (v${status.current.version}) is ${status.current.ageDays} days old, due since ${status.nextDue.at.slice(0, 10)}`, command: `rekey rotate ${name}` });
  }
  if (status.current !== null && status.consumers.unconfirmed.length > 0 && rotation === null) {
    items.push({
      severity: 'low',
      credential: name,
      what: `no rotation has delivered v${status.current.version} to ${status.consumers.unconfirmed.join(', ')} (added since, or delivery failed)`,
      command: `rekey rotate ${name} --dry-run`,
    });
  }
  if (credential.policy.rotateEveryDays === undefined && status.current !== null) {
    items.push({ severity: 'low', credential: name, what: 'has no rotation cadence, so it is never due', command: `rekey credential edit ${name} --rotate-every-days 90` });
  }
  return items;
}

const SEVERITY_ORDER: Record<AttentionItem['severity'], number> = { high: 0, medium: 1, low: 2 };

export async function buildStatusReport(deps: { store: StatusStore; clock: Clock }): Promise<StatusReport> {
  const { store } = deps;
  const now = deps.clock.now();
  const delivered = await deliveredVersions(store);
  const credentials: CredentialStatus[] = [];
  const attention: AttentionItem[] = [];
  for (const credential of (await store.listCredentials()).sort((left, right) => left.name.localeCompare(right.name))) {
    const current = await store.getVersionByStage(credential.id, 'current');
    const every = credential.policy.rotateEveryDays;
    const dueAt = current === undefined || every === undefined || every <= 0 ? undefined : new Date(current.createdAt.getTime() + every * DAY_MS);
    const [active] = await store.listRotations({ credentialId: credential.id, active: true, limit: 1 });
    const consumers = (await store.listConsumers(credential.id)).map((consumer) => consumer.name);
    const reached = current === undefined ? new Set<string>() : (delivered.get(`${credential.name}\u0000${current.number}`) ?? new Set<string>());
    const status: CredentialStatus = {
      credential: credential.name,
      provider: credential.provider,
      environment: credential.environment,
      current: current === undefined ? null : { version: current.number, hint: current.hint, since: current.createdAt.toISOString(), ageDays: Math.floor((now.getTime() - current.createdAt.getTime()) / DAY_MS) },
      nextDue: dueAt === undefined ? null : { at: dueAt.toISOString(), overdue: dueAt <= now },
      rotation: active === undefined ? null : await rotationStatus(store, active, now),
      consumers: { total: consumers.length, confirmed: consumers.filter((name) => reached.has(name)), unconfirmed: consumers.filter((name) => !reached.has(name)) },
    };
    credentials.push(status);
    attention.push(...attentionFor(status, credential));
  }
  if (credentials.length === 0) {
    attention.push({ severity: 'medium', credential: null, what: 'no credentials yet', command: 'rekey credential add <provider>/<app>/<env> --provider openai --scope project=proj_… --read-value (or rehearse: rekey quickstart)' });
  }
  attention.sort((left, right) => SEVERITY_ORDER[left.severity] - SEVERITY_ORDER[right.severity]);
  return { generatedAt: now.toISOString(), credentials, attention };
}
