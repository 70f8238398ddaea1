/**
 * `--verify`: one cheap authenticated request per finding's provider (the LLM APIs here,
 * the other AI platforms in ai-platform-probes.ts). Only an explicit 2xx is
 * "live"; 401 and 403 are "dead"; anything else — 404, 429, 5xx, a timeout, a network
 * error, a provider with no probe — is "unknown", never "live". The key travels only in
 * a request header, never in a URL; nothing from the response body is kept. Each distinct
 * value is probed once per verifier. An "unknown" says why (`check`): no probe, the HTTP
 * status and where it came from, a timeout, the host that could not be reached.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PLATFORM_PROBES, type Probe } from './ai-platform-probes.js';
import type { Finding, Verification } from './finding.js';
import type { KeyVerifier } from './scan-service.js';

/** Base URLs, following each vendor SDK's `baseURL` convention. */
export interface VerifierBaseUrls {
  openai: string;
  anthropic: string;
  openrouter: string;
  groq: string;
  xai: string;
  google: string;
  huggingface: string;
  mistral: string;
  deepseek: string;
  together: string;
  fireworks: string;
  perplexity: string;
  cohere: string;
  replicate: string;
  langsmith: string;
}

export const DEFAULT_BASE_URLS: VerifierBaseUrls = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  openrouter: 'https://openrouter.ai/api/v1',
  groq: 'https://api.groq.com/openai/v1',
  xai: 'https://api.x.ai/v1',
  google: 'https://generativelanguage.googleapis.com',
  huggingface: 'https://huggingface.co',
  mistral: 'https://api.mistral.ai/v1',
  deepseek: 'https://api.deepseek.com',
  together: 'https://api.together.xyz/v1',
  fireworks: 'https://api.fireworks.ai/inference/v1',
  perplexity: 'https://api.perplexity.ai',
  cohere: 'https://api.cohere.com',
  replicate: 'https://api.replicate.com/v1',
  langsmith: 'https://api.smith.langchain.com',
};

type ProbeBuilder = (value: string, bases: VerifierBaseUrls, finding: Finding) => Probe | undefined;

const bearer = (value: string): Record<string, string> => ({ authorization: `Bearer ${value}` });

/** Probes by provider. A provider missing here is verified as "unknown". */
const PROBES: Record<string, ProbeBuilder> = {
  openai: (value, bases) => ({ url: `${bases.openai}/models`, headers: bearer(value) }),
  anthropic: (value, bases, finding) => ({
    url: finding.detectorId === 'anthropic-admin-key'
      ? `${bases.anthropic}/v1/organizations/api_keys?limit=1`
      : `${bases.anthropic}/v1/models`,
    headers: { 'x-api-key': value, 'anthropic-version': '2023-06-01' },
  }),
  openrouter: (value, bases) => ({ url: `${bases.openrouter}/key`, headers: bearer(value) }),
  groq: (value, bases) => ({ url: `${bases.groq}/models`, headers: bearer(value) }),
  xai: (value, bases) => ({ url: `${bases.xai}/api-key`, headers: bearer(value) }),
  google: (value, bases) => ({ url: `${bases.google}/v1beta/models?pageSize=1`, headers: { 'x-goog-api-key': value } }),
  huggingface: (value, bases) => ({ url: `${bases.huggingface}/api/whoami-v2`, headers: bearer(value) }),
  mistral: (value, bases) => ({ url: `${bases.mistral}/models`, headers: bearer(value) }),
  deepseek: (value, bases) => ({ url: `${bases.deepseek}/user/balance`, headers: bearer(value) }),
  together: (value, bases) => ({ url: `${bases.together}/models`, headers: bearer(value) }),
  fireworks: (value, bases) => ({ url: `${bases.fireworks}/models`, headers: bearer(value) }),
  cohere: (value, bases) => ({ url: `${bases.cohere}/v1/models?page_size=1`, headers: bearer(value) }),
  replicate: (value, bases) => ({ url: `${bases.replicate}/account`, headers: bearer(value) }),
  langsmith: (value, bases) => ({ url: `${bases.langsmith}/api/v1/sessions?limit=1`, headers: { 'x-api-key': value } }),
  'azure-openai': (value, _bases, finding) =>
    finding.host === undefined
      ? undefined
      : { url: `https://${finding.host}/openai/models?api-version=2024-10-21`, headers: { 'api-key': value } },
  // Perplexity has no read-only endpoint that costs nothing: not probed.
};

/** A verdict and, for `unknown`, why (value-free). */
interface Checked {
  verdict: Verification;
  reason?: string | undefined;
}

export interface KeyVerifierOptions {
  /** By provider id: the LLM providers above and every provider of ai-platform-probes.ts. */
  baseUrls?: Partial<VerifierBaseUrls> | Partial<Record<string, string>> | undefined;
  fetch?: typeof fetch | undefined;
  /** Per request; a timeout is "unknown". */
  timeoutMs?: number | undefined;
}

export function classifyStatus(status: number): Verification {
  if (status >= 200 && status < 300) return 'live';
  if (status === 401 || status === 403) return 'dead';
  return 'unknown';
}

/** The JSON of a response, read up to 64 KB; undefined when it is not JSON or larger. */
async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.length > 65_536) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function createKeyVerifier(options: KeyVerifierOptions = {}): KeyVerifier {
  const bases: Record<string, string> = { ...DEFAULT_BASE_URLS };
  for (const [provider, probe] of Object.entries(PLATFORM_PROBES)) bases[provider] = probe.base;
  for (const [provider, url] of Object.entries(options.baseUrls ?? {})) {
    if (url !== undefined) bases[provider] = url.replace(/\/+$/, '');
  }
  const fetchImplementation = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const cache = new Map<string, Promise<Checked>>();

  function build(finding: Finding, value: string): Probe | undefined {
    const classic = PROBES[finding.provider];
    if (classic !== undefined) return classic(value, bases as unknown as VerifierBaseUrls, finding);
    const platform = PLATFORM_PROBES[finding.provider];
    return platform?.build(value, bases[finding.provider] ?? platform.base, finding);
  }

  /** Where a probe went, for a reason: origin and path only (a key never travels in a URL, and no query is kept). */
  const where = (request: Probe): string => {
    const url = new URL(request.url);
    return `${request.method ?? 'GET'} ${url.origin}${url.pathname}`;
  };

  async function send(request: Probe): Promise<Checked> {
    const response = await fetchImplementation(request.url, {
      method: request.method ?? 'GET',
      headers: { ...request.headers, 'user-agent': 'rekey-verify/0.1', accept: 'application/json' },
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const verdict = classifyStatus(response.status);
    if (verdict === 'live' && request.confirm !== undefined) {
      return request.confirm(await readJson(response)) ? { verdict: 'live' } : { verdict: 'unknown', reason: `${where(request)} answered, but not with what a valid key gets` };
    }
    await response.body?.cancel().catch(() => undefined);
    return verdict === 'unknown' ? { verdict, reason: `${where(request)} answered HTTP ${response.status}` } : { verdict };
  }

  /** Why a probe got no answer: a timeout, or the network error's code and the host. */
  const unreachable = (request: Probe, error: unknown): string => {
    const host = new URL(request.url).host;
    if ((error as Error | undefined)?.name === 'TimeoutError') return `no answer from ${host} within ${timeoutMs} ms`;
    const code = ((error as { cause?: { code?: unknown } } | undefined)?.cause?.code as string | undefined) ?? (error as NodeJS.ErrnoException | undefined)?.code;
    return `could not reach ${host}${typeof code === 'string' ? ` (${code})` : ''}`;
  };

  async function probe(finding: Finding): Promise<Checked> {
    const request = build(finding, finding.secret.reveal());
    if (request === undefined) return { verdict: 'unknown', reason: `no verification request is known for ${finding.provider} keys` };
    try {
      const checked = await send(request);
      if (checked.verdict !== 'live' || request.control !== true) return checked;
      // The same request with a key that cannot be valid: if it also succeeds, nothing was proved.
      const control = build(finding, `rekey-verify-control-${randomBytes(16).toString('hex')}`);
      return control !== undefined && (await send(control)).verdict === 'dead' ? { verdict: 'live' } : { verdict: 'unknown', reason: `${where(request)} accepted a made-up key too, so its answer proves nothing` };
    } catch (error) {
      return { verdict: 'unknown', reason: unreachable(request, error) };
    }
  }

  function check(finding: Finding): Promise<Checked> {
    const cacheKey = createHash('sha256').update(`${finding.detectorId}\0${finding.host ?? ''}\0${finding.secret.reveal()}`).digest('hex');
    let pending = cache.get(cacheKey);
    if (pending === undefined) {
      pending = probe(finding);
      cache.set(cacheKey, pending);
    }
    return pending;
  }

  return {
    check,
    async verify(finding) {
      return (await check(finding)).verdict;
    },
  };
}
