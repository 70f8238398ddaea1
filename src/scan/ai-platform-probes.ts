/**
 * `--verify` probes for the AI/ML platforms of ai-platform-detectors.ts and friends: one
 * cheap authenticated request each, as the vendor documents it (endpoint and auth header).
 * Where an endpoint might also answer without a valid key (OpenAI-compatible `/models`
 * lists), the probe asks for a `control` request with a junk key: a 2xx to that too means
 * the endpoint does not authenticate, and the result is "unknown", never "live".
 * Providers with no cheap read-only endpoint (DeepAI, Eden AI, Private AI, Voyage, Jina,
 * Lepton, Bedrock, Google service accounts) and Langfuse (whose secret key verifies only
 * together with its public key) are not probed: their findings are "unknown".
 */
import type { Finding } from './finding.js';

export interface Probe {
  method?: 'GET' | 'POST' | undefined;
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
  /** For APIs that answer 200 with an error body (GraphQL): live only if this holds on the JSON. */
  confirm?: ((json: unknown) => boolean) | undefined;
  /** Also send the request with a junk key: if that succeeds too, the answer proves nothing. */
  control?: boolean | undefined;
}

export type ProbeBuilder = (value: string, base: string, finding: Finding) => Probe | undefined;

export interface PlatformProbe {
  /** Default base URL (override with `--verify-base-url <provider>=<url>`). */
  base: string;
  build: ProbeBuilder;
}

const bearer = (value: string): Record<string, string> => ({ authorization: `Bearer ${value}` });
const json = { 'content-type': 'application/json' };

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const name of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[name];
  }
  return current;
}

/** Probes by provider id (the detectors' `provider`). */
export const PLATFORM_PROBES: Record<string, PlatformProbe> = {
  elevenlabs: { base: 'https://api.elevenlabs.io', build: (value, base) => ({ url: `${base}/v1/user`, headers: { 'xi-api-key': value } }) },
  deepgram: { base: 'https://api.deepgram.com', build: (value, base) => ({ url: `${base}/v1/projects`, headers: { authorization: `Token ${value}` } }) },
  assemblyai: { base: 'https://api.assemblyai.com', build: (value, base) => ({ url: `${base}/v2/transcript?limit=1`, headers: { authorization: value } }) },
  // NGC keys (nvapi- and legacy) are exchanged for a session token; 200 only for a valid key.
  nvidia: { base: 'https://authn.nvidia.com', build: (value, base) => ({ url: `${base}/token`, headers: { authorization: `ApiKey ${value}` } }) },
  wandb: {
    base: 'https://api.wandb.ai',
    build: (value, base) => ({
      method: 'POST',
      url: `${base}/graphql`,
      headers: { ...json, authorization: `Basic ${Buffer.from(`api:${value}`).toString('base64')}` },
      body: JSON.stringify({ query: 'query { viewer { id } }' }),
      confirm: (answer) => field(answer, 'data', 'viewer', 'id') !== undefined && field(answer, 'data', 'viewer', 'id') !== null,
    }),
  },
  braintrust: { base: 'https://api.braintrust.dev', build: (value, base) => ({ url: `${base}/v1/project?limit=1`, headers: bearer(value) }) },
  clarifai: { base: 'https://api.clarifai.com', build: (value, base) => ({ url: `${base}/v2/users/me`, headers: { authorization: `Key ${value}` } }) },
  sourcegraph: {
    base: 'https://sourcegraph.com',
    build: (value, base) => ({
      method: 'POST',
      url: `${base}/.api/graphql`,
      headers: { ...json, authorization: `token ${value}` },
      body: JSON.stringify({ query: 'query { currentUser { username } }' }),
      confirm: (answer) => typeof field(answer, 'data', 'currentUser', 'username') === 'string',
    }),
  },
  pinecone: { base: 'https://api.pinecone.io', build: (value, base) => ({ url: `${base}/indexes`, headers: { 'api-key': value, 'x-pinecone-api-version': '2025-01' } }) },
  stability: { base: 'https://api.stability.ai', build: (value, base) => ({ url: `${base}/v1/user/account`, headers: bearer(value) }) },
  runway: { base: 'https://api.dev.runwayml.com', build: (value, base) => ({ url: `${base}/v1/organization`, headers: { ...bearer(value), 'x-runway-version': '2024-11-06' } }) },
  luma: { base: 'https://api.lumalabs.ai', build: (value, base) => ({ url: `${base}/dream-machine/v1/generations?limit=1`, headers: bearer(value) }) },
  leonardo: { base: 'https://cloud.leonardo.ai/api/rest', build: (value, base) => ({ url: `${base}/v1/me`, headers: bearer(value) }) },
  cerebras: { base: 'https://api.cerebras.ai/v1', build: (value, base) => ({ url: `${base}/models`, headers: bearer(value), control: true }) },
  sambanova: { base: 'https://api.sambanova.ai/v1', build: (value, base) => ({ url: `${base}/models`, headers: bearer(value), control: true }) },
  hyperbolic: { base: 'https://api.hyperbolic.xyz/v1', build: (value, base) => ({ url: `${base}/models`, headers: bearer(value), control: true }) },
  novita: { base: 'https://api.novita.ai/v3/openai', build: (value, base) => ({ url: `${base}/models`, headers: bearer(value), control: true }) },
  nebius: { base: 'https://api.studio.nebius.com/v1', build: (value, base) => ({ url: `${base}/models`, headers: bearer(value), control: true }) },
  'azure-ai-foundry': {
    base: '',
    build: (value, _base, finding) =>
      finding.host === undefined ? undefined : { url: `https://${finding.host}/openai/models?api-version=2024-10-21`, headers: { 'api-key': value } },
  },
};
