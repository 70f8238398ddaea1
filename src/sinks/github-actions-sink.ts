/**
 * GitHub Actions secrets sink, at repository, environment or organisation level, through
 * GitHub's documented REST paths with plain fetch. GitHub only accepts a secret sealed
 * with the scope's public key (a libsodium sealed box: X25519 + XSalsa20-Poly1305), so
 * rekey fetches the key, seals, and PUTs `{ encrypted_value, key_id }`. GitHub never
 * returns a secret's value: this sink is write-only (no readFingerprint; rotation reports
 * it as unverifiable), and its plan can tell only whether a secret of that name exists.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { SecretValue } from '../core/secret-value.js';
import { requireSecureUrl, sinkTokenVariable, tokenEnvOptions, type TokenVariableOptions } from './sink-credentials.js';
import { createSinkHttp, type SinkHttp } from './sink-http.js';
import type { Sink, SinkContext, SinkFactory, SinkSlot } from './sink-spec.js';
import { parseSinkConfig, planChanges, slotName } from './sink-support.js';

const secretName = z.string().regex(/^(?!GITHUB_)[A-Za-z_][A-Za-z0-9_]*$/i, 'must be letters, digits and _, not starting with a digit or GITHUB_');
const common = {
  name: secretName,
  /** REST API base; GitHub Enterprise Server uses https://HOST/api/v3. */
  apiUrl: z.url().optional(),
  ...tokenEnvOptions,
};
const githubConfigSchema = z.discriminatedUnion('scope', [
  z.object({ scope: z.literal('repository'), repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/repo'), ...common }).strict(),
  z.object({ scope: z.literal('environment'), repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/repo'), environment: z.string().min(1).max(255), ...common }).strict(),
  z
    .object({
      scope: z.literal('organization'),
      organization: z.string().regex(/^[\w.-]+$/),
      /** Who may use the secret; default: keep what GitHub has, `private` for a new one. */
      visibility: z.enum(['all', 'private', 'selected']).optional(),
      selectedRepositoryIds: z.array(z.number().int().positive()).optional(),
      ...common,
    })
    .strict(),
]);

export type GithubActionsSinkConfig = z.input<typeof githubConfigSchema>;

/** Seal `value` for GitHub with the scope's base64 public key; the answer is base64. */
export async function sealForGithub(value: string, publicKeyBase64: string): Promise<string> {
  const sodium = (await import('libsodium-wrappers')).default;
  await sodium.ready;
  const publicKey = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
  return sodium.to_base64(sodium.crypto_box_seal(sodium.from_string(value), publicKey), sodium.base64_variants.ORIGINAL);
}

export function githubSecretsPath(config: GithubActionsSinkConfig): string {
  const encode = (path: string): string => path.split('/').map(encodeURIComponent).join('/');
  if (config.scope === 'organization') return `/orgs/${encodeURIComponent(config.organization)}/actions/secrets`;
  if (config.scope === 'environment') return `/repos/${encode(config.repository)}/environments/${encodeURIComponent(config.environment)}/secrets`;
  return `/repos/${encode(config.repository)}/actions/secrets`;
}

/** Checks the token variable and the URL now; the returned factory reads the token per request. */
export function createGithubHttp(options: { apiUrl?: string | undefined } & TokenVariableOptions, context: SinkContext, label: string, sink: string): () => SinkHttp {
  const token = sinkTokenVariable(options, context, { variable: 'GITHUB_TOKEN', label: 'GitHub' });
  const baseUrl = options.apiUrl ?? 'https://api.github.com';
  requireSecureUrl(baseUrl, `consumer ${context.consumerName}: apiUrl`);
  return () => createSinkHttp({
    sink,
    label,
    baseUrl,
    headers: { authorization: `Bearer ${token.read()}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'rekey' },
  });
}

export function createGithubActionsSink(config: Record<string, unknown>, context: SinkContext): Sink {
  const options = parseSinkConfig(githubConfigSchema, config, context, 'github-actions', 'github-actions options: { scope: "repository"|"environment"|"organization", repository?: "owner/repo", environment?, organization?, name }');
  const where =
    options.scope === 'organization' ? `org ${options.organization}` : options.scope === 'environment' ? `${options.repository} environment ${options.environment}` : options.repository;
  const label = `GitHub Actions secret ${options.name} (${where})`;
  const base = githubSecretsPath(options);
  const http = createGithubHttp(options, context, label, 'github-actions');
  const nameFor = (slot: SinkSlot): string => slotName(options.name, slot).toUpperCase();

  const metadata = async (slot: SinkSlot): Promise<{ visibility?: string } | undefined> => {
    const response = await http().request({ method: 'GET', path: `${base}/${nameFor(slot)}`, accept: [404], action: `look up ${nameFor(slot)}` });
    return response.status === 404 ? undefined : ((response.body ?? {}) as { visibility?: string });
  };

  return {
    kind: 'github-actions',
    describe: () => label,

    async write(slot, value: SecretValue) {
      const client = http();
      const key = await client.request({ method: 'GET', path: `${base}/public-key`, action: 'fetch the public key' });
      const { key_id: keyId, key: publicKey } = (key.body ?? {}) as { key_id?: unknown; key?: unknown };
      if (typeof keyId !== 'string' || typeof publicKey !== 'string') {
        throw new ConfigError(`${label}: GitHub answered the public-key request without key_id and key`);
      }
      const body: Record<string, unknown> = { encrypted_value: await sealForGithub(value.reveal(), publicKey), key_id: keyId };
      if (options.scope === 'organization') {
        const existing = options.visibility === undefined ? await metadata(slot) : undefined;
        body['visibility'] = options.visibility ?? existing?.visibility ?? 'private';
        if (options.selectedRepositoryIds !== undefined) body['selected_repository_ids'] = options.selectedRepositoryIds;
      }
      await client.request({ method: 'PUT', path: `${base}/${nameFor(slot)}`, body, action: `store ${nameFor(slot)}` });
    },

    async remove(slot) {
      await http().request({ method: 'DELETE', path: `${base}/${nameFor(slot)}`, accept: [404], action: `delete ${nameFor(slot)}` });
    },

    async plan(changes) {
      return planChanges(changes, {
        fingerprintSalt: context.fingerprintSalt,
        targetOf: (slot) => `${nameFor(slot)} in GitHub ${where}`,
        current: async (slot) => ((await metadata(slot)) === undefined ? { state: 'absent' } : { state: 'present', fingerprint: null, hint: '(write-only)' }),
      });
    },
  };
}

createGithubActionsSink satisfies SinkFactory;
