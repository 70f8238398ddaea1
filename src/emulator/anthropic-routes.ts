/** Anthropic (filled in next). */
import { Hono } from 'hono';
import { SecretValue } from '../core/secret-value.js';
import { generateKeyValue, redactAnthropic } from './emulator-random.js';
import type { EmulatedKey, EmulatorState } from './emulator-state.js';
import type { EmulatorDeps } from './openai-auth.js';
import { ownerUser } from './openai-objects.js';

export function createAnthropicApiKey(state: EmulatorState, name: string, workspaceId: string | null): { key: EmulatedKey; value: SecretValue } {
  const value = generateKeyValue('anthropic-api');
  const key = state.addKey(
    {
      provider: 'anthropic',
      id: `apikey_01${state.ids.alphanumeric(22)}`,
      kind: 'api',
      name,
      redacted: redactAnthropic(value),
      createdAt: state.nowMs(),
      skipActivationDelay: false,
      status: 'active',
      expiresAt: null,
      projectId: null,
      serviceAccountId: null,
      ownerUserId: ownerUser(state).id,
      workspaceId,
      scopes: [],
      openrouter: null,
    },
    value,
  );
  return { key, value: new SecretValue(value) };
}

export function createAnthropicRoutes(_deps: EmulatorDeps): Hono {
  return new Hono();
}
