/**
 * GitHub's Actions secrets REST API (repository, environment and organisation level) as
 * documented: `GET .../secrets/public-key` → `{ key_id, key }`, `PUT .../secrets/{name}`
 * with `{ encrypted_value, key_id }` (201 created, 204 updated; 422 for a stale key id or
 * a box that does not open), `GET` metadata without the value, list, `DELETE` (204/404),
 * bearer auth. The fake holds the scope's X25519 key pair and OPENS each sealed box with
 * its private key, which proves the value that arrived is the one rekey sent.
 */
import sodium from 'libsodium-wrappers';
import { jsonBody, startFakeHttpServer, type FakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server.js';

interface StoredSecret {
  value: string;
  created_at: string;
  updated_at: string;
  visibility?: string;
  selected_repository_ids?: number[];
}

export interface GithubActionsFake {
  server: FakeHttpServer;
  apiUrl: string;
  token: string;
  /** The value that arrived (opened with the private key), by scope path and name. */
  opened(scopePath: string, name: string): string | undefined;
  secret(scopePath: string, name: string): StoredSecret | undefined;
  /** Plant a secret (for discovery: it can list names, never values). */
  plant(scopePath: string, name: string, value: string): void;
  close(): Promise<void>;
}

const SCOPE = /^(\/repos\/[^/]+\/[^/]+\/actions|\/repos\/[^/]+\/[^/]+\/environments\/[^/]+|\/orgs\/[^/]+\/actions)\/secrets(?:\/([^/]+))?$/;

export async function startGithubActionsFake(): Promise<GithubActionsFake> {
  await sodium.ready;
  const token = 'ghp_fakeTokenForTests0000000000000000000';
  const keyPair = sodium.crypto_box_keypair();
  const keyId = '568250167242549743';
  const scopes = new Map<string, Map<string, StoredSecret>>();
  const scopeOf = (path: string): Map<string, StoredSecret> => {
    let scope = scopes.get(path);
    if (scope === undefined) scopes.set(path, (scope = new Map()));
    return scope;
  };
  const notFound: FakeResponse = { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' } };

  const handle = (request: FakeRequest): FakeResponse => {
    if (request.headers.authorization !== `Bearer ${token}`) return { status: 401, body: { message: 'Bad credentials', status: '401' } };
    const match = SCOPE.exec(decodeURIComponent(request.url.pathname));
    if (match === null) return notFound;
    const [, scopePath = '', name] = match;
    const scope = scopeOf(scopePath);
    const isOrg = scopePath.startsWith('/orgs/');
    if (name === undefined) {
      if (request.method !== 'GET') return notFound;
      const secrets = [...scope.entries()].map(([secretName, secret]) => ({ name: secretName, created_at: secret.created_at, updated_at: secret.updated_at, ...(isOrg ? { visibility: secret.visibility } : {}) }));
      return { status: 200, body: { total_count: secrets.length, secrets } };
    }
    if (name === 'public-key' && request.method === 'GET') {
      return { status: 200, body: { key_id: keyId, key: sodium.to_base64(keyPair.publicKey, sodium.base64_variants.ORIGINAL) } };
    }
    const upper = name.toUpperCase();
    const existing = scope.get(upper);
    if (request.method === 'GET') {
      if (existing === undefined) return notFound;
      return { status: 200, body: { name: upper, created_at: existing.created_at, updated_at: existing.updated_at, ...(isOrg ? { visibility: existing.visibility } : {}) } };
    }
    if (request.method === 'DELETE') {
      if (existing === undefined) return notFound;
      scope.delete(upper);
      return { status: 204 };
    }
    if (request.method === 'PUT') {
      const body = jsonBody(request) as { encrypted_value?: unknown; key_id?: unknown; visibility?: unknown; selected_repository_ids?: unknown } | undefined;
      if (typeof body?.encrypted_value !== 'string' || body.key_id !== keyId) return { status: 422, body: { message: 'Invalid request: bad key_id or encrypted_value', status: '422' } };
      if (isOrg && !['all', 'private', 'selected'].includes(String(body.visibility))) return { status: 422, body: { message: 'visibility is required', status: '422' } };
      let value: string;
      try {
        value = sodium.to_string(sodium.crypto_box_seal_open(sodium.from_base64(body.encrypted_value, sodium.base64_variants.ORIGINAL), keyPair.publicKey, keyPair.privateKey));
      } catch {
        return { status: 422, body: { message: 'encrypted_value could not be decrypted', status: '422' } };
      }
      const now = new Date().toISOString();
      scope.set(upper, {
        value,
        created_at: existing?.created_at ?? now,
        updated_at: now,
        ...(isOrg ? { visibility: String(body.visibility) } : {}),
        // Selected repositories are their own resource: an update without the list keeps it.
        ...(Array.isArray(body.selected_repository_ids)
          ? { selected_repository_ids: body.selected_repository_ids as number[] }
          : existing?.selected_repository_ids === undefined
            ? {}
            : { selected_repository_ids: existing.selected_repository_ids }),
      });
      return { status: existing === undefined ? 201 : 204 };
    }
    return notFound;
  };

  const server = await startFakeHttpServer(handle);
  return {
    server,
    apiUrl: server.url,
    token,
    opened: (scopePath, name) => scopes.get(scopePath)?.get(name.toUpperCase())?.value,
    secret: (scopePath, name) => scopes.get(scopePath)?.get(name.toUpperCase()),
    plant(scopePath, name, value) {
      const now = new Date().toISOString();
      scopeOf(scopePath).set(name.toUpperCase(), { value, created_at: now, updated_at: now });
    },
    close: () => server.close(),
  };
}
