/**
 * `startEmulator`: a loopback HTTP server that speaks the OpenAI, Anthropic and OpenRouter
 * APIs rekey uses, with state in memory (optionally persisted, key values never stored).
 * See README.md in this folder for routes, knobs and what is deliberately not emulated.
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { systemClock, type Clock } from '../core/clock.js';
import { SecretValue } from '../core/secret-value.js';
import { createFaultInjector, type EmulatorKnobs } from './emulator-faults.js';
import { generateKeyValue, redactAnthropic, redactOpenAI, redactOpenRouter, type KeyFormat } from './emulator-random.js';
import { createEmulatorState, isKeyAccepted, type EmulatedKey, type EmulatedKeyKind, type EmulatedProvider, type EmulatorState } from './emulator-state.js';
import { openaiAuthenticate, openaiError, openaiOnError, type EmulatorDeps } from './openai-auth.js';
import { createOpenAIInferenceRoutes } from './openai-inference-routes.js';
import { createOpenAIProjectsRoutes } from './openai-projects-routes.js';
import { createOpenAIProjectSettingsRoutes } from './openai-project-settings-routes.js';
import { createOpenAIOrganizationRoutes } from './openai-organization-routes.js';
import { createOpenAIReportsRoutes } from './openai-reports-routes.js';
import { createOpenAIMembersRoutes } from './openai-members-routes.js';
import { createOpenAIBillingRoutes } from './openai-billing-routes.js';
import type { KeyCondition, KeyConditions } from './emulator-key-conditions.js';
import { createProject, createServiceAccount, mintUserProjectKey, ownerUser } from './openai-objects.js';
import { createAnthropicRoutes, createAnthropicApiKey } from './anthropic-routes.js';
import { seedOrganization, type SeedOrganizationOptions, type SeededOrganization } from './emulator-org-seed.js';
import { createOpenRouterRoutes } from './openrouter-routes.js';

export type { EmulatorKnobs } from './emulator-faults.js';
export type { SeedOrganizationOptions, SeededOrganization, SeededKey } from './emulator-org-seed.js';

export interface EmulatorOptions {
  /** 0 = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Governs ids and fault injection only; key values always come from the OS CSPRNG. */
  seed?: number;
  knobs?: Partial<EmulatorKnobs>;
  openaiAdminKey?: string;
  anthropicAdminKey?: string;
  openrouterManagementKey?: string;
  stateFile?: string;
  clock?: Clock;
}

export interface EmulatedKeySummary {
  provider: 'openai' | 'anthropic' | 'openrouter';
  id: string;
  kind: string;
  name: string | null;
  status: 'active' | 'revoked' | 'inactive' | 'archived' | 'disabled';
  projectId: string | null;
  serviceAccountId: string | null;
}

export interface RunningEmulator {
  url: string;
  /** `${url}/v1` (inference and admin: `${url}/v1/organization/...`). */
  openaiBaseUrl: string;
  /** `${url}/anthropic` (SDK baseURL; routes under /anthropic/v1/...). */
  anthropicBaseUrl: string;
  /** `${url}/openrouter/api/v1`. */
  openrouterBaseUrl: string;
  adminKeys: { openai: SecretValue; anthropic: SecretValue; openrouter: SecretValue };
  setKnobs(knobs: Partial<EmulatorKnobs>): void;
  /** Test/demo introspection, never over HTTP: is this exact key value accepted for inference right now? */
  isKeyLive(value: string): boolean;
  /** Every key the emulator knows (ids, kind, status, names) without values. */
  listAllKeys(): EmulatedKeySummary[];
  /** Create a project + service account and return its key, for seeding demos/tests quickly (`id`: a chosen project id). */
  seedOpenAIProject(name: string, options?: { id?: string }): Promise<{ projectId: string; serviceAccountId: string; keyId: string; key: SecretValue }>;
  /** Emulator-only Anthropic "console": create a workspace API key (the real Admin API cannot). */
  createAnthropicKey(name: string, workspaceId?: string): { id: string; key: SecretValue };
  /**
   * Emulator-only (addition): a user-owned OpenAI project key, as the dashboard would create
   * (the real API cannot). Useful to exercise `DELETE …/api_keys/{id}` on a non-service-account key.
   */
  createOpenAIUserKey(projectId: string, name: string): { keyId: string; key: SecretValue };
  /** Emulator-only: an account condition for the key with this value (out of quota, models it may use); see emulator-key-conditions.ts. */
  setKeyCondition(value: string, condition: KeyCondition): void;
  /** Emulator-only: the key's owner revokes it in the vendor's console (it is refused from now on, after the revocation delay). */
  revokeKeyByValue(value: string): void;
  /** Seeds a realistic organisation at both vendors (see emulator-org-seed.ts); call once. */
  seedOrganization(options?: SeedOrganizationOptions): SeededOrganization;
  close(): Promise<void>;
}

const BOOTSTRAP_FORMATS: Record<EmulatedProvider, { format: KeyFormat; kind: EmulatedKeyKind; redact: (value: string) => string; idPrefix: string }> = {
  openai: { format: 'openai-admin', kind: 'admin', redact: redactOpenAI, idPrefix: 'key_' },
  anthropic: { format: 'anthropic-admin', kind: 'admin', redact: redactAnthropic, idPrefix: 'apikey_01' },
  openrouter: { format: 'openrouter', kind: 'management', redact: redactOpenRouter, idPrefix: '' },
};

/** Registers (or finds, when loaded from a state file) the bootstrap admin key of a vendor. */
function bootstrapKey(state: EmulatorState, provider: EmulatedProvider, given: string | undefined): SecretValue {
  const spec = BOOTSTRAP_FORMATS[provider];
  const value = given ?? generateKeyValue(spec.format);
  const existing = state.findKeyByValue(value);
  if (existing === undefined) {
    const id = provider === 'openrouter' ? state.ids.hex(64) : `${spec.idPrefix}${state.ids.alphanumeric(provider === 'openai' ? 16 : 22)}`;
    state.addKey(
      {
        provider,
        id,
        kind: spec.kind,
        name: 'Emulator bootstrap key',
        redacted: spec.redact(value),
        createdAt: state.nowMs(),
        skipActivationDelay: true,
        status: 'active',
        expiresAt: null,
        projectId: null,
        serviceAccountId: null,
        ownerUserId: ownerUser(state).id,
        workspaceId: null,
        scopes: [],
        openrouter: null,
      },
      value,
    );
  } else if (existing.provider !== provider || existing.kind !== spec.kind) {
    throw new Error(`the ${provider} bootstrap key given to the emulator is already registered as another kind of key`);
  }
  return new SecretValue(value);
}

export function buildEmulatorApp(deps: EmulatorDeps): Hono {
  const app = new Hono();
  const openai = new Hono();
  openai.onError(openaiOnError);
  openai.use('*', async (context, next) => {
    context.header('x-request-id', `req_${deps.state.ids.hex(32)}`);
    await next();
  });
  const admin = new Hono();
  admin.use('*', openaiAuthenticate(deps, 'admin'));
  admin.route('/projects', createOpenAIProjectsRoutes(deps));
  admin.route('/projects', createOpenAIProjectSettingsRoutes(deps));
  admin.route('/', createOpenAIOrganizationRoutes(deps));
  admin.route('/', createOpenAIReportsRoutes(deps));
  admin.route('/', createOpenAIMembersRoutes(deps));
  admin.route('/', createOpenAIBillingRoutes(deps));
  openai.route('/organization', admin);
  openai.route('/', createOpenAIInferenceRoutes(deps));
  openai.notFound((context) => openaiError(context, 404, `Invalid URL (${context.req.method} ${new URL(context.req.url).pathname})`, 'invalid_request_error', null));
  app.route('/v1', openai);
  app.route('/anthropic', createAnthropicRoutes(deps));
  app.route('/openrouter/api/v1', createOpenRouterRoutes(deps));
  return app;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? 1;
  const state = createEmulatorState({ seed, clock, stateFile: options.stateFile });
  const faults = createFaultInjector({ seed, clock, knobs: options.knobs });
  const adminKeys = {
    openai: bootstrapKey(state, 'openai', options.openaiAdminKey),
    anthropic: bootstrapKey(state, 'anthropic', options.anthropicAdminKey),
    openrouter: bootstrapKey(state, 'openrouter', options.openrouterManagementKey),
  };
  state.flush();
  const conditions: KeyConditions = new Map();
  const deps: EmulatorDeps = { state, faults, conditions };
  const app = buildEmulatorApp(deps);

  const host = options.host ?? '127.0.0.1';
  const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;

  const liveFor = (key: EmulatedKey) => {
    const project = key.projectId === null ? undefined : state.findProject(key.projectId);
    return isKeyAccepted(key, state.nowMs(), faults.knobs(), project?.archivedAt != null);
  };

  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: `${url}/anthropic`,
    openrouterBaseUrl: `${url}/openrouter/api/v1`,
    adminKeys,
    setKnobs: (knobs) => faults.setKnobs(knobs),
    isKeyLive(value) {
      const key = state.findKeyByValue(value);
      return key !== undefined && liveFor(key);
    },
    listAllKeys: () =>
      state.data.keys.map((key) => ({
        provider: key.provider,
        id: key.id,
        kind: key.kind,
        name: key.name,
        status: key.status,
        projectId: key.projectId,
        serviceAccountId: key.serviceAccountId,
      })),
    async seedOpenAIProject(name, seedOptions) {
      const project = createProject(state, name, null, seedOptions?.id);
      const { account, minted } = createServiceAccount(state, project, name, true, null);
      if (minted === undefined) throw new Error('service account was created without a key');
      state.changed();
      return { projectId: project.id, serviceAccountId: account.id, keyId: minted.key.id, key: minted.value };
    },
    createAnthropicKey(name, workspaceId) {
      const created = createAnthropicApiKey(state, name, workspaceId ?? null);
      state.changed();
      return { id: created.key.id, key: created.value };
    },
    createOpenAIUserKey(projectId, name) {
      const project = state.findProject(projectId);
      if (project === undefined) throw new Error(`no emulated project ${projectId}`);
      const minted = mintUserProjectKey(state, project, name);
      state.changed();
      return { keyId: minted.key.id, key: minted.value };
    },
    setKeyCondition(value, condition) {
      const key = state.findKeyByValue(value);
      if (key === undefined) throw new Error('the emulator knows no key with that value');
      conditions.set(key.id, { ...conditions.get(key.id), ...condition });
    },
    revokeKeyByValue(value) {
      const key = state.findKeyByValue(value);
      if (key === undefined) throw new Error('the emulator knows no key with that value');
      state.setKeyStatus(key, 'revoked');
      state.changed();
    },
    seedOrganization(seedOptions) {
      const seeded = seedOrganization(state, seedOptions);
      state.changed();
      return seeded;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close((error) => {
          if (error !== undefined) return reject(error);
          state.flush();
          return resolve();
        });
      }),
  };
}
