/**
 * Google Cloud Secret Manager's v1 REST API, on loopback, as documented (and as the
 * official client's HTTP/JSON transport sends it):
 *
 *  - `Authorization: Bearer <access token>` on every call (401 `UNAUTHENTICATED` else);
 *    the client asks for `$alt=json;enum-encoding=int`, so enums go back as numbers;
 *  - `GET|PATCH /v1/projects/{p}/secrets/{s}` (PATCH needs `updateMask=versionAliases`,
 *    checks the `etag` when given: 409 `ABORTED`), `POST /v1/projects/{p}/secrets?secretId=`,
 *    `POST …/secrets/{s}:addVersion` (`payload.data` base64, `payload.dataCrc32c` checked),
 *    `GET …/versions/{v}:access` (number, alias or `latest`; 400 `FAILED_PRECONDITION`
 *    for a disabled or destroyed version), `POST …/versions/{v}:disable|:destroy`;
 *  - version names carry the project number, aliases must name a live version, and
 *    errors are `{error: {code, message, status}}`.
 */
import { randomBytes } from 'node:crypto';
import { crc32c } from '../../src/sinks/gcp-secret-manager-sink.js';
import { jsonBody, startFakeHttpServer, type FakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server.js';

export type GcpVersionState = 'ENABLED' | 'DISABLED' | 'DESTROYED';
const STATE_NUMBER: Record<GcpVersionState, number> = { ENABLED: 1, DISABLED: 2, DESTROYED: 3 };

export interface GcpStoredVersion {
  number: number;
  /** Empty once destroyed. */
  value: string;
  state: GcpVersionState;
}

interface StoredSecret {
  id: string;
  versions: GcpStoredVersion[];
  aliases: Record<string, number>;
  etag: string;
  labels: Record<string, string>;
}

export interface GcpSecretManagerFake {
  server: FakeHttpServer;
  endpoint: string;
  token: string;
  projectNumber: string;
  secret(project: string, id: string): { versions: GcpStoredVersion[]; aliases: Record<string, number> } | undefined;
  plant(project: string, id: string, values: string[], aliases?: Record<string, number>): void;
  rejected: string[];
  denyReads(on?: boolean): void;
  close(): Promise<void>;
}

export async function startGcpSecretManagerFake(): Promise<GcpSecretManagerFake> {
  const token = `ya29.fake-${randomBytes(12).toString('hex')}`;
  const projectNumber = '417230000042';
  const secrets = new Map<string, StoredSecret>();
  const rejected: string[] = [];
  let readsDenied = false;

  const error = (code: number, status: string, message: string): FakeResponse => ({ status: code, body: { error: { code, message, status } } });
  const newEtag = (): string => `"${randomBytes(8).toString('hex')}"`;
  const keyOf = (project: string, id: string): string => `${project}/${id}`;

  const handle = (request: FakeRequest): FakeResponse => {
    if (request.headers.authorization !== `Bearer ${token}`) {
      rejected.push('bearer token');
      return error(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    }
    const intEnums = (request.url.searchParams.get('$alt') ?? '').includes('enum-encoding=int');
    const enumOf = (state: GcpVersionState): number | string => (intEnums ? STATE_NUMBER[state] : state);
    const match = /^\/v1\/projects\/([^/]+)\/secrets(?:\/([A-Za-z0-9_-]+)(?::(addVersion)|\/versions\/([^/:]+):(access|disable|destroy))?)?$/.exec(request.url.pathname);
    if (match === null) {
      rejected.push(`path ${request.method} ${request.url.pathname}`);
      return error(404, 'NOT_FOUND', 'unknown method');
    }
    const [, project = '', id, addVersion, versionRef, verb] = match;
    const secretView = (secret: StoredSecret) => ({
      name: `projects/${projectNumber}/secrets/${secret.id}`,
      replication: { automatic: {} },
      createTime: '2026-12-08T00:00:00Z',
      labels: secret.labels,
      etag: secret.etag,
      versionAliases: Object.fromEntries(Object.entries(secret.aliases).map(([alias, number]) => [alias, String(number)])),
    });
    const versionView = (secret: StoredSecret, version: GcpStoredVersion) => ({
      name: `projects/${projectNumber}/secrets/${secret.id}/versions/${version.number}`,
      createTime: '2026-12-08T00:00:00Z',
      state: enumOf(version.state),
      etag: `"${version.number}"`,
    });

    if (id === undefined && request.method === 'GET') {
      const listed = [...secrets.entries()].filter(([key]) => key.startsWith(`${project}/`)).map(([, secret]) => secretView(secret));
      return { status: 200, body: { secrets: listed, totalSize: listed.length } };
    }
    if (id === undefined) {
      if (request.method !== 'POST') return error(405, 'UNIMPLEMENTED', 'method');
      const secretId = request.url.searchParams.get('secretId') ?? '';
      const body = (jsonBody(request) ?? {}) as { replication?: unknown; labels?: Record<string, string> };
      if (!/^[A-Za-z0-9_-]{1,255}$/.test(secretId)) return error(400, 'INVALID_ARGUMENT', 'secretId');
      if (body.replication === undefined) return error(400, 'INVALID_ARGUMENT', 'Secret.replication is required');
      if (secrets.has(keyOf(project, secretId))) return error(409, 'ALREADY_EXISTS', 'Secret already exists');
      const secret: StoredSecret = { id: secretId, versions: [], aliases: {}, etag: newEtag(), labels: body.labels ?? {} };
      secrets.set(keyOf(project, secretId), secret);
      return { status: 200, body: secretView(secret) };
    }
    const secret = secrets.get(keyOf(project, id));
    if (secret === undefined) return error(404, 'NOT_FOUND', `Secret [projects/${projectNumber}/secrets/${id}] not found or has no versions.`);

    if (addVersion !== undefined) {
      const body = (jsonBody(request) ?? {}) as { payload?: { data?: string; dataCrc32c?: string | number } };
      if (typeof body.payload?.data !== 'string') return error(400, 'INVALID_ARGUMENT', 'payload.data is required');
      const data = Buffer.from(body.payload.data, 'base64');
      if (body.payload.dataCrc32c !== undefined && Number(body.payload.dataCrc32c) !== crc32c(data)) return error(400, 'INVALID_ARGUMENT', 'Checksum mismatch');
      const version: GcpStoredVersion = { number: secret.versions.length + 1, value: data.toString('utf8'), state: 'ENABLED' };
      secret.versions.push(version);
      return { status: 200, body: versionView(secret, version) };
    }
    if (versionRef !== undefined) {
      const number = /^\d+$/.test(versionRef) ? Number(versionRef) : versionRef === 'latest' ? secret.versions.filter((candidate) => candidate.state === 'ENABLED').at(-1)?.number : secret.aliases[versionRef];
      const version = secret.versions.find((candidate) => candidate.number === number);
      if (version === undefined) return error(404, 'NOT_FOUND', 'Secret Version not found.');
      if (verb === 'access' && request.method === 'GET') {
        if (readsDenied) return error(403, 'PERMISSION_DENIED', "Permission 'secretmanager.versions.access' denied");
        if (version.state !== 'ENABLED') return error(400, 'FAILED_PRECONDITION', `Secret Version is in ${version.state} state.`);
        return { status: 200, body: { name: versionView(secret, version).name, payload: { data: Buffer.from(version.value, 'utf8').toString('base64'), dataCrc32c: String(crc32c(Buffer.from(version.value, 'utf8'))) } } };
      }
      if (request.method !== 'POST') return error(405, 'UNIMPLEMENTED', 'method');
      if (verb === 'disable') {
        if (version.state === 'DESTROYED') return error(400, 'FAILED_PRECONDITION', 'destroyed');
        version.state = 'DISABLED';
      } else if (verb === 'destroy') {
        if (Object.values(secret.aliases).includes(version.number)) return error(400, 'FAILED_PRECONDITION', 'a version with aliases cannot be destroyed');
        version.state = 'DESTROYED';
        version.value = '';
      }
      return { status: 200, body: versionView(secret, version) };
    }
    if (request.method === 'GET') {
      if (readsDenied) return error(403, 'PERMISSION_DENIED', "Permission 'secretmanager.secrets.get' denied");
      return { status: 200, body: secretView(secret) };
    }
    if (request.method === 'PATCH') {
      const mask = request.url.searchParams.get('updateMask');
      if (mask !== 'versionAliases' && mask !== 'version_aliases') {
        rejected.push(`updateMask ${String(mask)}`);
        return error(400, 'INVALID_ARGUMENT', 'update_mask must be version_aliases');
      }
      const body = (jsonBody(request) ?? {}) as { etag?: string; versionAliases?: Record<string, string | number> };
      if (body.etag !== undefined && body.etag !== secret.etag) return error(409, 'ABORTED', 'etag mismatch');
      const aliases: Record<string, number> = {};
      for (const [alias, target] of Object.entries(body.versionAliases ?? {})) {
        const number = Number(target);
        if (!/^[a-z][a-z0-9_-]{0,62}$/.test(alias)) return error(400, 'INVALID_ARGUMENT', `alias ${alias}`);
        if (secret.versions.find((candidate) => candidate.number === number)?.state !== 'ENABLED') return error(400, 'INVALID_ARGUMENT', 'alias to a version that is not enabled');
        aliases[alias] = number;
      }
      secret.aliases = aliases;
      secret.etag = newEtag();
      return { status: 200, body: secretView(secret) };
    }
    return error(405, 'UNIMPLEMENTED', 'method');
  };

  const server = await startFakeHttpServer(handle);
  return {
    server,
    endpoint: server.url,
    token,
    projectNumber,
    secret: (project, id) => {
      const found = secrets.get(keyOf(project, id));
      return found === undefined ? undefined : { versions: found.versions, aliases: found.aliases };
    },
    plant: (project, id, values, aliases = {}) => {
      secrets.set(keyOf(project, id), { id, versions: values.map((value, index) => ({ number: index + 1, value, state: 'ENABLED' })), aliases, etag: newEtag(), labels: {} });
    },
    rejected,
    denyReads: (on = true) => {
      readsDenied = on;
    },
    close: () => server.close(),
  };
}
