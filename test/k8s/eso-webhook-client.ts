/**
 * External Secrets Operator's webhook provider, as its documentation and code define it
 * (external-secrets `providers/v1/webhook`, `docs/provider/webhook.md`), for replaying a
 * SecretStore/ExternalSecret pair against a real `rekey serve`:
 *
 * - template data: `.remoteRef.{key,version,property,namespace}` and, for every entry of
 *   `spec.provider.webhook.secrets`, `.<name>.<dataKey>` with the referenced Secret's
 *   decoded data; a referenced Secret must carry `external-secrets.io/type: webhook`;
 * - the URL is rendered with the remoteRef values passed through Go's `url.QueryEscape`;
 *   headers and `result.jsonPath` with the raw values;
 * - method defaults to GET; a 404 means the secret is gone, 304 not modified, any other
 *   status outside 2xx an error;
 * - `result.jsonPath` is evaluated on the JSON body (ESO uses PaesslerAG/jsonpath; here
 *   jsonpath-plus, whose result for a plain member path is the same value — a missing
 *   member is an error in ESO and is made one here), then the value is turned into bytes
 *   as ESO's `extractSecretData` does: a string as is, null as empty, a number or boolean
 *   printed, an array's first element, an object as JSON.
 *
 * Templates are Go text/template; this renders the part the shipped pair uses — field
 * chains such as `{{ .remoteRef.key }}` — and refuses anything else, so a store that
 * relies on more fails here instead of being rendered wrongly.
 */
import { JSONPath } from 'jsonpath-plus';

export interface KubernetesSecret {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  /** As the API server holds it: base64. */
  data: Record<string, string>;
}

export interface WebhookSpec {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  timeout?: string;
  result?: { jsonPath?: string };
  secrets?: Array<{ name: string; secretRef: { name: string; namespace?: string } }>;
}

export interface RemoteRef {
  key: string;
  property?: string;
  version?: string;
}

type TemplateData = Record<string, Record<string, string>>;

/** Go's `url.QueryEscape`: everything but [A-Za-z0-9-_.~] percent-encoded, space as '+'. */
export function goQueryEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

export function renderGoTemplate(template: string, data: TemplateData): string {
  return template.replace(/\{\{(-?)\s*(.*?)\s*(-?)\}\}/g, (_match, _left: string, action: string) => {
    const chain = /^\.([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)$/.exec(action);
    if (chain === null) throw new Error(`template action {{ ${action} }} is beyond the field chains this replay renders`);
    const [, object, field] = chain as unknown as [string, string, string];
    // Go's text/template prints a missing map key as "<no value>".
    return data[object]?.[field] ?? '<no value>';
  });
}

function templateData(ref: RemoteRef, namespace: string, escape: boolean, secrets: WebhookSpec['secrets'], kube: readonly KubernetesSecret[]): TemplateData {
  const encode = escape ? goQueryEscape : (value: string) => value;
  const data: TemplateData = {
    remoteRef: { key: encode(ref.key), version: encode(ref.version ?? ''), property: encode(ref.property ?? ''), namespace },
  };
  for (const entry of secrets ?? []) {
    const secret = kube.find((candidate) => candidate.metadata.name === entry.secretRef.name && (candidate.metadata.namespace ?? namespace) === (entry.secretRef.namespace ?? namespace));
    if (secret === undefined) throw new Error(`failed to get webhook secret ${entry.secretRef.name}`);
    if (secret.metadata.labels?.['external-secrets.io/type'] !== 'webhook') {
      throw new Error("secret does not contain needed label 'external-secrets.io/type: webhook'");
    }
    data[entry.name] = { ...data[entry.name] };
    for (const [key, value] of Object.entries(secret.data)) data[entry.name]![key] = Buffer.from(value, 'base64').toString('utf8');
  }
  return data;
}

function durationMilliseconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)(ms|s|m)$/.exec(text);
  if (match === null) throw new Error(`unsupported timeout ${text}`);
  return Number(match[1]) * (match[2] === 'ms' ? 1 : match[2] === 's' ? 1000 : 60_000);
}

function extractSecretData(value: unknown): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return value.toFixed(0);
  if (Array.isArray(value)) {
    if (value.length === 0) throw new Error("filter worked but didn't get any result");
    return extractSecretData(value[0]);
  }
  if (typeof value === 'object') return JSON.stringify(value);
  throw new Error(`failed to get response (wrong type: ${typeof value})`);
}

export interface WebhookRequestRecord {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** ESO's `GetSecret` for one `data` entry of an ExternalSecret; `requests` records what was sent. */
export async function esoGetSecret(
  spec: WebhookSpec,
  ref: RemoteRef,
  context: { namespace: string; secrets: readonly KubernetesSecret[]; requests?: WebhookRequestRecord[] },
): Promise<{ status: 'ok'; value: string } | { status: 'no-secret' | 'not-modified' }> {
  const escaped = templateData(ref, context.namespace, true, spec.secrets, context.secrets);
  const raw = templateData(ref, context.namespace, false, spec.secrets, context.secrets);
  const url = renderGoTemplate(spec.url, escaped);
  const method = spec.method === undefined || spec.method === '' ? 'GET' : spec.method;
  const headers = Object.fromEntries(Object.entries(spec.headers ?? {}).map(([name, value]) => [name, renderGoTemplate(value, raw)]));
  context.requests?.push({ method, url, headers });
  const timeout = durationMilliseconds(spec.timeout);
  const response = await fetch(url, { method, headers, signal: timeout === undefined ? undefined : AbortSignal.timeout(timeout) });
  const body = await response.text();
  if (response.status === 404) return { status: 'no-secret' };
  if (response.status === 304) return { status: 'not-modified' };
  if (response.status < 200 || response.status >= 300) throw new Error(`endpoint gave error ${response.status}`);
  const path = renderGoTemplate(spec.result?.jsonPath ?? '', raw);
  if (path === '') return { status: 'ok', value: body };
  const json: unknown = JSON.parse(body);
  const found: unknown = JSONPath({ path, json: json as object, wrap: false });
  if (found === undefined) throw new Error(`failed to get response path ${path}: unknown key`);
  return { status: 'ok', value: extractSecretData(found) };
}
