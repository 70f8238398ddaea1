/**
 * The emulator's whole world, as plain JSON-serialisable data plus a few indexes.
 * Key values are never stored: only a SHA-256 of each value and its redacted form, so a
 * saved state file cannot reveal a key (and neither can a heap dump of a running emulator).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import { createIdGenerator, createSeededRandom, hashKeyValue, type IdGenerator } from './emulator-random.js';

export type EmulatedProvider = 'openai' | 'anthropic' | 'openrouter';
export type EmulatedKeyStatus = 'active' | 'revoked' | 'inactive' | 'archived' | 'disabled';
export type EmulatedKeyKind = 'admin' | 'project' | 'service_account' | 'api' | 'inference' | 'management';

export interface EmulatedKey {
  provider: EmulatedProvider;
  id: string;
  kind: EmulatedKeyKind;
  name: string | null;
  hash: string;
  redacted: string;
  /** Milliseconds since the epoch (all times in state are ms; routes convert). */
  createdAt: number;
  /** Bootstrap keys skip the activation delay. */
  skipActivationDelay: boolean;
  status: EmulatedKeyStatus;
  /** When the key last left `active` (the revocation delay counts from here). */
  statusChangedAt: number | null;
  lastUsedAt: number | null;
  expiresAt: number | null;
  projectId: string | null;
  serviceAccountId: string | null;
  ownerUserId: string | null;
  workspaceId: string | null;
  scopes: string[];
  openrouter: { limit: number | null; limitReset: string | null; includeByokInLimit: boolean; updatedAt: number | null } | null;
}

export interface EmulatedProject {
  id: string;
  name: string;
  createdAt: number;
  archivedAt: number | null;
  externalKeyId: string | null;
}

export interface EmulatedServiceAccount {
  id: string;
  projectId: string;
  name: string;
  role: 'owner' | 'member' | 'none';
  createdAt: number;
  deletedAt: number | null;
}

export interface EmulatedUser {
  id: string;
  name: string;
  email: string;
  role: 'owner' | 'reader';
  addedAt: number;
  /** Removed from the organisation (kept so that its keys still name it as owner). */
  removedAt?: number | null;
}

export interface EmulatedRateLimit {
  id: string;
  projectId: string;
  model: string;
  limits: Record<string, number>;
}

export interface EmulatedAuditLog {
  id: string;
  type: string;
  effectiveAt: number;
  projectId: string | null;
  actorKeyId: string | null;
  /** The property named after the event type (e.g. `api_key.created` → `{id, data}`). */
  details: Record<string, unknown>;
}

/** The OpenAI usage kinds (`/organization/usage/{kind}`) plus Anthropic messages. */
export type EmulatedUsageKind =
  | 'completions'
  | 'embeddings'
  | 'moderations'
  | 'images'
  | 'audio_speeches'
  | 'audio_transcriptions'
  | 'vector_stores'
  | 'code_interpreter_sessions'
  | 'file_search_calls'
  | 'web_search_calls'
  | 'messages';

export interface EmulatedUsage {
  at: number;
  provider: EmulatedProvider;
  kind: EmulatedUsageKind;
  keyId: string;
  projectId: string | null;
  userId: string | null;
  workspaceId: string | null;
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** Requests this record stands for (seeded records aggregate an hour); default 1. */
  requests?: number;
  /** Kind-specific amounts: images, characters, seconds, usage_bytes, num_sessions, num_requests. */
  amounts?: Record<string, number>;
  /** Kind-specific dimensions: size, source, vector_store_id, context_level. */
  dims?: Record<string, string>;
}

export interface EmulatedInvite {
  id: string;
  email: string;
  role: 'owner' | 'reader';
  status: 'accepted' | 'expired' | 'pending';
  createdAt: number;
  expiresAt: number;
  acceptedAt: number | null;
  projects: Array<{ id: string; role: 'member' | 'owner' }>;
}

export interface EmulatedProjectMember {
  projectId: string;
  userId: string;
  role: 'owner' | 'member';
  addedAt: number;
}

export interface EmulatedSpendAlert {
  id: string;
  /** null: an organisation alert. */
  projectId: string | null;
  thresholdAmount: number;
  recipients: string[];
  subjectPrefix: string | null;
}

export interface EmulatedCertificate {
  id: string;
  name: string | null;
  createdAt: number;
  validAt: number;
  expiresAt: number;
  active: boolean;
}

export interface AnthropicUser {
  id: string;
  email: string;
  name: string;
  role: 'user' | 'developer' | 'billing' | 'admin' | 'claude_code_user';
  addedAt: number;
}

export interface AnthropicInvite {
  id: string;
  email: string;
  role: AnthropicUser['role'];
  status: 'accepted' | 'expired' | 'deleted' | 'pending';
  invitedAt: number;
  expiresAt: number;
}

export interface AnthropicWorkspace {
  id: string;
  name: string;
  createdAt: number;
  archivedAt: number | null;
  displayColor: string;
}

export interface AnthropicWorkspaceMember {
  workspaceId: string;
  userId: string;
  role: 'workspace_user' | 'workspace_developer' | 'workspace_admin' | 'workspace_billing';
}

/** One Claude Code usage record: one actor on one day. */
export interface ClaudeCodeRecord {
  day: string;
  actor: { type: 'user_actor'; emailAddress: string } | { type: 'api_actor'; apiKeyName: string };
  terminalType: string;
  sessions: number;
  linesAdded: number;
  linesRemoved: number;
  commits: number;
  pullRequests: number;
  editAccepted: number;
  editRejected: number;
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** Cents. */
  estimatedCostCents: number;
}

/** The Anthropic organisation (absent in state files written before it existed). */
export interface AnthropicOrganization {
  users: AnthropicUser[];
  invites: AnthropicInvite[];
  workspaces: AnthropicWorkspace[];
  members: AnthropicWorkspaceMember[];
  claudeCode: ClaudeCodeRecord[];
}

export interface EmulatorData {
  version: 1;
  idRandomState: number;
  organizationId: string;
  keys: EmulatedKey[];
  projects: EmulatedProject[];
  serviceAccounts: EmulatedServiceAccount[];
  users: EmulatedUser[];
  rateLimits: EmulatedRateLimit[];
  auditLogs: EmulatedAuditLog[];
  usage: EmulatedUsage[];
  /** Project settings (absent in state files written before they existed). */
  modelPermissions?: Record<string, { mode: 'allow_list' | 'deny_list'; modelIds: string[] }>;
  spendLimits?: Record<string, { thresholdAmount: number }>;
  invites?: EmulatedInvite[];
  projectMembers?: EmulatedProjectMember[];
  spendAlerts?: EmulatedSpendAlert[];
  certificates?: EmulatedCertificate[];
  anthropic?: AnthropicOrganization;
}

export interface EmulatorState {
  data: EmulatorData;
  ids: IdGenerator;
  clock: Clock;
  nowMs(): number;
  nowSeconds(): number;
  addKey(key: Omit<EmulatedKey, 'hash' | 'statusChangedAt' | 'lastUsedAt'>, value: string): EmulatedKey;
  findKeyByValue(value: string): EmulatedKey | undefined;
  findKey(provider: EmulatedProvider, id: string): EmulatedKey | undefined;
  setKeyStatus(key: EmulatedKey, status: EmulatedKeyStatus): void;
  findProject(id: string): EmulatedProject | undefined;
  recordUsage(usage: Omit<EmulatedUsage, 'at'>): void;
  audit(entry: Omit<EmulatedAuditLog, 'id' | 'effectiveAt'>): void;
  /** Called after every change; saves to the state file (debounced) when there is one. */
  changed(): void;
  /** Writes a pending change now (called on close). */
  flush(): void;
}

export interface CreateStateOptions {
  seed: number;
  clock: Clock;
  stateFile?: string | undefined;
}

function freshData(ids: IdGenerator, nowMs: number): EmulatorData {
  const ownerId = `user-${ids.alphanumeric(24)}`;
  return {
    version: 1,
    idRandomState: 0,
    organizationId: `org-${ids.alphanumeric(24)}`,
    keys: [],
    projects: [{ id: `proj_${ids.alphanumeric(24)}`, name: 'Default project', createdAt: nowMs, archivedAt: null, externalKeyId: null }],
    serviceAccounts: [],
    users: [{ id: ownerId, name: 'Emulator Owner', email: 'owner@emulator.invalid', role: 'owner', addedAt: nowMs }],
    rateLimits: [],
    auditLogs: [],
    usage: [],
  };
}

function loadData(stateFile: string): EmulatorData | undefined {
  if (!existsSync(stateFile)) return undefined;
  const parsed = JSON.parse(readFileSync(stateFile, 'utf8')) as Partial<EmulatorData>;
  if (parsed.version !== 1 || !Array.isArray(parsed.keys)) {
    throw new Error(`emulator state file ${stateFile} is not a version 1 emulator state`);
  }
  return parsed as EmulatorData;
}

/** Write + fsync + rename, mode 0600: a crash never leaves a half-written state file. */
function saveData(stateFile: string, data: EmulatorData): void {
  const temporary = `${stateFile}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, JSON.stringify(data), { mode: 0o600 });
  const descriptor = openSync(temporary, 'r');
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  renameSync(temporary, stateFile);
}

/** Saves are coalesced: a busy emulator rewrites its state file at most this often. */
const SAVE_DEBOUNCE_MS = 200;

export function createEmulatorState(options: CreateStateOptions): EmulatorState {
  const { clock, stateFile } = options;
  const loaded = stateFile === undefined ? undefined : loadData(stateFile);
  const random = createSeededRandom(loaded?.idRandomState ?? options.seed);
  const ids = createIdGenerator(random);
  const data = loaded ?? freshData(ids, clock.now().getTime());
  const keysByHash = new Map<string, EmulatedKey>(data.keys.map((key) => [key.hash, key]));
  const keysById = new Map<string, EmulatedKey>(data.keys.map((key) => [`${key.provider}:${key.id}`, key]));
  let pendingSave: ReturnType<typeof setTimeout> | undefined;

  const state: EmulatorState = {
    data,
    ids,
    clock,
    nowMs: () => clock.now().getTime(),
    nowSeconds: () => Math.floor(clock.now().getTime() / 1000),
    addKey(fields, value) {
      const key: EmulatedKey = { ...fields, hash: hashKeyValue(value), statusChangedAt: null, lastUsedAt: null };
      data.keys.push(key);
      keysByHash.set(key.hash, key);
      keysById.set(`${key.provider}:${key.id}`, key);
      return key;
    },
    findKeyByValue: (value) => keysByHash.get(hashKeyValue(value)),
    findKey: (provider, id) => keysById.get(`${provider}:${id}`),
    setKeyStatus(key, status) {
      if (key.status === status) return;
      const wasActive = key.status === 'active';
      key.status = status;
      key.statusChangedAt = status === 'active' ? null : wasActive ? state.nowMs() : key.statusChangedAt;
    },
    findProject: (id) => data.projects.find((project) => project.id === id),
    recordUsage(usage) {
      data.usage.push({ ...usage, at: state.nowMs() });
    },
    audit(entry) {
      const day = clock.now().toISOString().slice(0, 10).replaceAll('-', '');
      data.auditLogs.push({ ...entry, id: `audit_log-${ids.alphanumeric(12)}_${day}`, effectiveAt: state.nowMs() });
    },
    changed() {
      if (stateFile === undefined || pendingSave !== undefined) return;
      pendingSave = setTimeout(() => state.flush(), SAVE_DEBOUNCE_MS);
      pendingSave.unref();
    },
    flush() {
      if (pendingSave !== undefined) clearTimeout(pendingSave);
      pendingSave = undefined;
      if (stateFile === undefined) return;
      data.idRandomState = random.state();
      saveData(stateFile, data);
    },
  };
  return state;
}

export interface LivenessKnobs {
  activationDelayMs: number;
  revocationDelayMs: number;
}

/**
 * Whether a key is accepted right now. A new key is refused until the activation delay has
 * passed; a key that left `active` keeps working until the revocation delay has passed.
 */
export function isKeyAccepted(key: EmulatedKey, nowMs: number, knobs: LivenessKnobs, projectArchived: boolean): boolean {
  if (!key.skipActivationDelay && nowMs < key.createdAt + knobs.activationDelayMs) return false;
  if (key.expiresAt !== null && nowMs >= key.expiresAt) return false;
  if (projectArchived) return false;
  if (key.status === 'active') return true;
  return key.statusChangedAt !== null && nowMs < key.statusChangedAt + knobs.revocationDelayMs;
}
