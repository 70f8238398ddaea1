/**
 * HashiCorp Vault KV secrets engine v2, as its HTTP API documents it, on loopback:
 * `GET|POST|PUT|DELETE /v1/<mount>/data/<path>`, `LIST /v1/<mount>/metadata/<path>` (or
 * `GET ...?list=true`), versions with soft delete, check-and-set through `options.cas`
 * (400 "check-and-set parameter did not match the current version"), the
 * `X-Vault-Token` header (403 "permission denied" otherwise) and Vault's `{ errors: [] }`
 * error envelope.
 */
import { jsonBody, startFakeHttpServer, type FakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server.js';

interface StoredVersion {
  data: Record<string, unknown>;
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

export interface VaultKvFake {
  server: FakeHttpServer;
  address: string;
  token: string;
  /** Put data straight in (a planted copy for discovery tests). */
  plant(path: string, data: Record<string, unknown>): void;
  /** The latest live data at a path. */
  latest(path: string): Record<string, unknown> | undefined;
  versionCount(path: string): number;
  /** Answer reads with 403 from now on (a token that lost read access). */
  denyReads(): void;
  /** Change the secret behind the sink's back once, between its read and its write. */
  interleaveWrite(path: string, data: Record<string, unknown>): void;
  close(): Promise<void>;
}

const errors = (status: number, ...messages: string[]): FakeResponse => ({ status, body: { errors: messages } });

export async function startVaultKvFake(options: { mount?: string; token?: string } = {}): Promise<VaultKvFake> {
  const mount = options.mount ?? 'secret';
  const token = options.token ?? 'hvs.fake-root-token';
  const secrets = new Map<string, StoredVersion[]>();
  let readsDenied = false;
  let interleave: { path: string; data: Record<string, unknown> } | undefined;
  const now = (): string => new Date().toISOString();

  const put = (path: string, data: Record<string, unknown>): number => {
    const versions = secrets.get(path) ?? [];
    versions.push({ data, created_time: now(), deletion_time: '', destroyed: false });
    secrets.set(path, versions);
    return versions.length;
  };
  const metadataOf = (versions: StoredVersion[], index: number) => ({
    created_time: versions[index]?.created_time,
    custom_metadata: null,
    deletion_time: versions[index]?.deletion_time ?? '',
    destroyed: versions[index]?.destroyed ?? false,
    version: index + 1,
  });

  const handle = (request: FakeRequest): FakeResponse => {
    if (request.headers['x-vault-token'] !== token) return errors(403, 'permission denied');
    const prefix = `/v1/${mount}/`;
    const pathname = decodeURIComponent(request.url.pathname);
    if (!pathname.startsWith(prefix)) return errors(404, `no handler for route "${pathname}"`);
    const rest = pathname.slice(prefix.length);
    const isList = request.method === 'LIST' || (request.method === 'GET' && request.url.searchParams.get('list') === 'true');
    if (rest.startsWith('metadata') && isList) {
      if (readsDenied) return errors(403, 'permission denied');
      const folder = rest.slice('metadata'.length).replace(/^\/+/, '').replace(/\/*$/, '');
      const base = folder === '' ? '' : `${folder}/`;
      const keys = new Set<string>();
      for (const [path, versions] of secrets) {
        if (!path.startsWith(base) || versions.length === 0) continue;
        const tail = path.slice(base.length);
        const slash = tail.indexOf('/');
        keys.add(slash === -1 ? tail : tail.slice(0, slash + 1));
      }
      if (keys.size === 0) return errors(404);
      return { status: 200, body: { data: { keys: [...keys].sort() } } };
    }
    if (!rest.startsWith('data/')) return errors(404, `no handler for route "${pathname}"`);
    const path = rest.slice('data/'.length);
    const versions = secrets.get(path) ?? [];
    if (request.method === 'GET') {
      if (readsDenied) return errors(403, 'permission denied');
      const wanted = Number(request.url.searchParams.get('version') ?? versions.length);
      const index = wanted - 1;
      const version = versions[index];
      if (version === undefined) return errors(404);
      if (version.deletion_time !== '' || version.destroyed) {
        return { status: 404, body: { data: { data: null, metadata: metadataOf(versions, index) } } };
      }
      return { status: 200, body: { request_id: 'fake', lease_duration: 0, renewable: false, data: { data: version.data, metadata: metadataOf(versions, index) } } };
    }
    if (request.method === 'POST' || request.method === 'PUT') {
      const body = jsonBody(request) as { data?: unknown; options?: { cas?: unknown } } | undefined;
      if (body === undefined || typeof body.data !== 'object' || body.data === null || Array.isArray(body.data)) {
        return errors(400, 'no data provided');
      }
      if (interleave !== undefined && interleave.path === path) {
        put(interleave.path, interleave.data);
        interleave = undefined;
      }
      const cas = body.options?.cas;
      const current = secrets.get(path)?.length ?? 0;
      if (cas !== undefined && cas !== current) return errors(400, 'check-and-set parameter did not match the current version');
      const version = put(path, body.data as Record<string, unknown>);
      return { status: 200, body: { data: metadataOf(secrets.get(path) ?? [], version - 1) } };
    }
    if (request.method === 'DELETE') {
      const latest = versions[versions.length - 1];
      if (latest !== undefined) latest.deletion_time = now();
      return { status: 204 };
    }
    return errors(405);
  };

  const server = await startFakeHttpServer(handle);
  return {
    server,
    address: server.url,
    token,
    plant: (path, data) => void put(path, data),
    latest(path) {
      const versions = secrets.get(path) ?? [];
      const version = versions[versions.length - 1];
      return version === undefined || version.deletion_time !== '' ? undefined : version.data;
    },
    versionCount: (path) => secrets.get(path)?.length ?? 0,
    denyReads: () => {
      readsDenied = true;
    },
    interleaveWrite: (path, data) => {
      interleave = { path, data };
    },
    close: () => server.close(),
  };
}
