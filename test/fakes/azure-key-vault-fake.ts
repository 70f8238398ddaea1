/**
 * Azure Key Vault's secrets REST API (data plane) and the App Service managed-identity
 * token endpoint, on loopback, as documented:
 *
 *  - every vault call must carry `api-version` (the client's, `2025-07-01`); a call
 *    without a valid bearer token gets 401 with the challenge
 *    `WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>", resource="<vault origin>"`
 *    (the client's challenge-based flow: it sends the first request unauthenticated and
 *    asks its credential for a token for that resource);
 *  - `PUT /secrets/{name}` adds a version (`{value, tags, contentType}`); `GET
 *    /secrets/{name}[/{version}]` returns a SecretBundle (403 `Forbidden` for a disabled
 *    version, 404 `SecretNotFound`); `PATCH /secrets/{name}/{version}` updates `tags` and
 *    `attributes.enabled`; `GET /secrets/{name}/versions` pages SecretItems (no values);
 *    errors are `{error: {code, message}}`;
 *  - `GET /msi/token?api-version=2019-08-01&resource=…` with `X-IDENTITY-HEADER` issues
 *    `{access_token, expires_on, resource, token_type}`, only for the vault's resource.
 */
import { randomBytes } from 'node:crypto';
import { jsonBody, startFakeHttpServer, type FakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server.js';

export interface AzureSecretVersion {
  version: string;
  value: string;
  enabled: boolean;
  tags: Record<string, string>;
  contentType?: string | undefined;
  created: number;
}

export interface AzureKeyVaultFake {
  server: FakeHttpServer;
  vaultUrl: string;
  /** Set as IDENTITY_ENDPOINT / IDENTITY_HEADER for the managed-identity credential. */
  identityEndpoint: string;
  identityHeader: string;
  apiVersion: string;
  versions(name: string): AzureSecretVersion[];
  plant(name: string, value: string, tags?: Record<string, string>): void;
  /** Reasons the fake refused a request (bad token, api-version, path). */
  rejected: string[];
  /** Tokens issued; the challenge-less requests the client sent first. */
  tokensIssued: number;
  challenges: number;
  denyReads(on?: boolean): void;
  close(): Promise<void>;
}

export async function startAzureKeyVaultFake(options: { apiVersion?: string } = {}): Promise<AzureKeyVaultFake> {
  const apiVersion = options.apiVersion ?? '2025-07-01';
  const tenant = '72f988bf-0000-4000-8000-000000000001';
  const identityHeader = randomBytes(16).toString('hex');
  const tokens = new Set<string>();
  const secrets = new Map<string, AzureSecretVersion[]>();
  const rejected: string[] = [];
  let readsDenied = false;
  let tokensIssued = 0;
  let challenges = 0;
  let clock = 1_760_000_000;
  let origin = '';

  const error = (status: number, code: string, message: string, headers?: Record<string, string>): FakeResponse => ({
    status,
    ...(headers === undefined ? {} : { headers }),
    body: { error: { code, message } },
  });
  const bundle = (name: string, version: AzureSecretVersion, withValue: boolean) => ({
    ...(withValue ? { value: version.value } : {}),
    id: `${origin}/secrets/${name}/${version.version}`,
    ...(version.contentType === undefined ? {} : { contentType: version.contentType }),
    attributes: { enabled: version.enabled, created: version.created, updated: version.created, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 },
    tags: version.tags,
  });
  const add = (name: string, value: string, tags: Record<string, string>, contentType?: string): AzureSecretVersion => {
    clock += 1;
    const version: AzureSecretVersion = { version: randomBytes(16).toString('hex'), value, enabled: true, tags, contentType, created: clock };
    const list = secrets.get(name) ?? [];
    list.push(version);
    secrets.set(name, list);
    return version;
  };

  const handle = (request: FakeRequest): FakeResponse => {
    const path = request.url.pathname;
    if (path === '/msi/token') {
      if (request.headers['x-identity-header'] !== identityHeader) {
        rejected.push('identity header');
        return { status: 401, body: { statusCode: 401, message: 'Unauthorized' } };
      }
      if (request.url.searchParams.get('api-version') !== '2019-08-01') {
        rejected.push('msi api-version');
        return { status: 400, body: { statusCode: 400, message: 'unsupported api-version' } };
      }
      const resource = request.url.searchParams.get('resource');
      if (resource !== origin) {
        rejected.push(`token for another resource: ${String(resource)}`);
        return { status: 400, body: { statusCode: 400, message: 'unknown resource' } };
      }
      const token = `eyAzureFake.${randomBytes(18).toString('hex')}`;
      tokens.add(token);
      tokensIssued += 1;
      return { status: 200, body: { access_token: token, expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource, token_type: 'Bearer', client_id: '00000000-0000-0000-0000-00000000c1d0' } };
    }
    const authorization = request.headers.authorization;
    const bearer = typeof authorization === 'string' && authorization.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    if (bearer === undefined || !tokens.has(bearer)) {
      if (bearer !== undefined) rejected.push('unknown bearer token');
      challenges += 1;
      return error(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', {
        'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${tenant}", resource="${origin}"`,
      });
    }
    if (request.url.searchParams.get('api-version') !== apiVersion) {
      rejected.push(`api-version ${String(request.url.searchParams.get('api-version'))}`);
      return error(400, 'BadParameter', 'The specified version of the API is not supported.');
    }
    if ((path === '/secrets' || path === '/secrets/') && request.method === 'GET') {
      return { status: 200, body: { value: [...secrets.entries()].filter(([, list]) => list.length > 0).map(([name, list]) => ({ id: `${origin}/secrets/${name}`, attributes: { enabled: list.at(-1)?.enabled ?? true }, tags: list.at(-1)?.tags ?? {} })), nextLink: null } };
    }
    const match = /^\/secrets\/([0-9A-Za-z-]{1,127})(?:\/([^/]*))?$/.exec(path);
    if (match === null) {
      rejected.push(`path ${path}`);
      return error(404, 'NotFound', 'Not found');
    }
    const [, name = '', rest] = match;
    const list = secrets.get(name) ?? [];
    if (rest === 'versions' && request.method === 'GET') {
      if (readsDenied) return error(403, 'Forbidden', 'The user does not have secrets list permission.');
      if (list.length === 0) return error(404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`);
      return { status: 200, body: { value: list.map((version) => { const { value: _value, ...item } = bundle(name, version, false) as Record<string, unknown>; return item; }), nextLink: null } };
    }
    if ((rest === undefined || rest === '') && request.method === 'PUT') {
      const body = (jsonBody(request) ?? {}) as { value?: unknown; tags?: Record<string, string>; contentType?: string };
      if (typeof body.value !== 'string') return error(400, 'BadParameter', 'value is required');
      return { status: 200, body: bundle(name, add(name, body.value, body.tags ?? {}, body.contentType), true) };
    }
    const version = rest === undefined || rest === '' ? list.at(-1) : list.find((candidate) => candidate.version === rest);
    if (version === undefined) return error(404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`);
    if (request.method === 'GET') {
      if (readsDenied) return error(403, 'Forbidden', 'The user does not have secrets get permission.');
      if (!version.enabled) return error(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.');
      return { status: 200, body: bundle(name, version, true) };
    }
    if (request.method === 'PATCH' && rest !== undefined && rest !== '') {
      const body = (jsonBody(request) ?? {}) as { tags?: Record<string, string>; attributes?: { enabled?: boolean }; contentType?: string; value?: unknown };
      if (body.value !== undefined) return error(400, 'BadParameter', 'the value of a version cannot be changed');
      if (body.tags !== undefined) version.tags = body.tags;
      if (typeof body.attributes?.enabled === 'boolean') version.enabled = body.attributes.enabled;
      if (body.contentType !== undefined) version.contentType = body.contentType;
      return { status: 200, body: bundle(name, version, false) };
    }
    return error(405, 'MethodNotAllowed', 'method not allowed');
  };

  const server = await startFakeHttpServer(handle);
  origin = server.url;
  return {
    server,
    vaultUrl: server.url,
    identityEndpoint: `${server.url}/msi/token`,
    identityHeader,
    apiVersion,
    versions: (name) => secrets.get(name) ?? [],
    plant: (name, value, tags = {}) => {
      add(name, value, tags);
    },
    rejected,
    get tokensIssued() {
      return tokensIssued;
    },
    get challenges() {
      return challenges;
    },
    denyReads: (on = true) => {
      readsDenied = on;
    },
    close: () => server.close(),
  };
}
