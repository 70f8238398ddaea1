/**
 * Local accounts: add, list, disable, reset MFA, set a password. Every change is audited
 * with the acting person; disabling a user or resetting their MFA ends their sessions.
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError, UsageError } from '../core/errors.js';
import type { UserRecord } from '../store/team-store-types.js';
import { hashPassword, type ScryptParameters } from './password-hash.js';
import { sessionResealer } from './session-integrity.js';
import type { TeamDeps } from './team-deps.js';

const USER_NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/;

export function checkUserName(name: string): string {
  if (!USER_NAME.test(name)) throw new UsageError(`user name "${name.slice(0, 70)}" must be 1-64 characters of a-z, 0-9, . _ @ - (starting with a letter or digit)`);
  return name;
}

export function checkGroupName(name: string): string {
  if (!GROUP_NAME.test(name)) throw new UsageError(`group name "${name.slice(0, 130)}" must be 1-128 characters of letters, digits and . _ : / @ -`);
  return name;
}

/**
 * The fields of a user row that its MAC covers. Whether TOTP is enrolled is covered, not the
 * sealed secret itself: that is already bound to the user and the master key, and
 * `master-key rotate` re-wraps it without re-sealing the row.
 */
export function userMacFields(user: Pick<UserRecord, 'id' | 'name' | 'passwordHash' | 'groups' | 'status' | 'totpSealed' | 'totpConfirmed'>): Record<string, unknown> {
  return { id: user.id, name: user.name, passwordHash: user.passwordHash, groups: [...user.groups].sort(), status: user.status, totp: user.totpSealed !== null, totpConfirmed: user.totpConfirmed };
}

export async function requireUser(deps: Pick<TeamDeps, 'store'>, name: string): Promise<UserRecord> {
  const user = await deps.store.getUser(name);
  if (user === undefined) throw new NotFoundError(`no user named ${name}`, { hint: 'rekey user list' });
  return user;
}

/** Stores the user's row MAC after a change (when row integrity is wired in). */
export async function retagUser(deps: TeamDeps, user: UserRecord): Promise<UserRecord> {
  if (deps.integrity === undefined) return user;
  return deps.store.updateUser(user.id, { mac: deps.integrity.tag('users', userMacFields(user)) });
}

export interface AddUserInput {
  name: string;
  displayName?: string | null | undefined;
  password: string | null;
  groups?: readonly string[] | undefined;
  /** Lower only in tests; default the OWASP parameters. */
  scrypt?: ScryptParameters | undefined;
}

export async function addUser(deps: TeamDeps, input: AddUserInput): Promise<UserRecord> {
  const name = checkUserName(input.name);
  const groups = [...new Set((input.groups ?? []).map(checkGroupName))].sort();
  const passwordHash = input.password === null ? null : await hashPassword(input.password, input.scrypt);
  const draft = { id: `usr_${randomUUID()}`, name, displayName: input.displayName ?? null, passwordHash, groups, createdAt: deps.clock.now(), createdBy: deps.actor };
  const user = await retagUser(deps, await deps.store.createUser({ ...draft, mac: null }));
  await deps.audit.record({ event: 'user-add', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { user: name, id: user.id, groups, password: passwordHash !== null } });
  return user;
}

export async function setUserGroups(deps: TeamDeps, name: string, groups: readonly string[]): Promise<UserRecord> {
  const user = await requireUser(deps, name);
  const sorted = [...new Set(groups.map(checkGroupName))].sort();
  const updated = await retagUser(deps, await deps.store.updateUser(user.id, { groups: sorted }));
  await deps.audit.record({ event: 'user-groups', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { user: name, groups: sorted, before: user.groups } });
  return updated;
}

export async function setUserPassword(deps: TeamDeps, name: string, password: string, scrypt?: ScryptParameters): Promise<UserRecord> {
  const user = await requireUser(deps, name);
  const updated = await retagUser(deps, await deps.store.updateUser(user.id, { passwordHash: await hashPassword(password, scrypt) }));
  const ended = await deps.store.revokeUserSessions(user.id, deps.clock.now(), sessionResealer(deps.integrity));
  await deps.audit.record({ event: 'user-password', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { user: name, sessionsEnded: ended } });
  return updated;
}

export async function disableUser(deps: TeamDeps, name: string): Promise<{ user: UserRecord; sessionsEnded: number }> {
  const user = await requireUser(deps, name);
  const now = deps.clock.now();
  const updated = user.status === 'disabled' ? user : await retagUser(deps, await deps.store.updateUser(user.id, { status: 'disabled', disabledAt: now }));
  const sessionsEnded = await deps.store.revokeUserSessions(user.id, now, sessionResealer(deps.integrity));
  await deps.audit.record({ event: 'user-disable', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { user: name, sessionsEnded } });
  return { user: updated, sessionsEnded };
}

export async function enableUser(deps: TeamDeps, name: string): Promise<UserRecord> {
  const user = await requireUser(deps, name);
  const updated = await retagUser(deps, await deps.store.updateUser(user.id, { status: 'active', disabledAt: null }));
  await deps.audit.record({ event: 'user-enable', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { user: name } });
  return updated;
}

/** Withdraws TOTP, recovery codes and passkeys (a lost phone or key): the user enrols again at next login; their sessions end. */
export async function resetUserMfa(deps: TeamDeps, name: string): Promise<{ user: UserRecord; sessionsEnded: number; passkeysRemoved: number }> {
  const user = await requireUser(deps, name);
  const now = deps.clock.now();
  const updated = await retagUser(deps, await deps.store.updateUser(user.id, { totpSealed: null, totpConfirmed: false }));
  await deps.store.setRecoveryCodes(user.id, [], now);
  const passkeysRemoved = await deps.store.removeUserPasskeys(user.id);
  const sessionsEnded = await deps.store.revokeUserSessions(user.id, now, sessionResealer(deps.integrity));
  await deps.audit.record({ event: 'user-reset-mfa', actor: deps.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { user: name, sessionsEnded, passkeysRemoved } });
  return { user: updated, sessionsEnded, passkeysRemoved };
}

/** A user row whose MAC fails is treated as absent power: the caller refuses it. */
export function userIntact(deps: Pick<TeamDeps, 'integrity'>, user: UserRecord): boolean {
  return deps.integrity === undefined || deps.integrity.check('users', userMacFields(user), user.mac);
}
