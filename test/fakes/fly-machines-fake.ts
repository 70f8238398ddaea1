/**
 * Fly.io's Machines API for app secrets and machines, on loopback, as documented: `GET
 * /v1/apps/{app}/secrets` (names and digests, never values), `POST
 * /v1/apps/{app}/secrets/{name}` with `{value}`, `DELETE` the same, `GET
 * /v1/apps/{app}/machines`, `POST /v1/apps/{app}/machines/{id}/restart`;
 * `Authorization: Bearer`. `values` is for the test to check what arrived.
 */
import { createHash, randomBytes } from 'node:crypto';
import { jsonBody, startFakeHttpServer, type FakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server.js';

export interface FlyFake {
  server: FakeHttpServer;
  apiUrl: string;
  token: string;
  values(app: string): Map<string, string>;
  restarts: string[];
  rejected: string[];
  close(): Promise<void>;
}

export async function startFlyFake(): Promise<FlyFake> {
  const token = `FlyV1 fm2_${randomBytes(12).toString('hex')}`;
  const apps = new Map<string, Map<string, string>>();
  const restarts: string[] = [];
  const rejected: string[] = [];
  const machines = [{ id: '3d8d9014b32389', state: 'started' }, { id: '9080e6f3a12487', state: 'started' }, { id: '1781973f03e489', state: 'stopped' }];
  const error = (status: number, message: string): FakeResponse => ({ status, body: { error: message } });
  const valuesOf = (app: string): Map<string, string> => {
    let values = apps.get(app);
    if (values === undefined) apps.set(app, (values = new Map()));
    return values;
  };
  const handle = (request: FakeRequest): FakeResponse => {
    if (request.headers.authorization !== `Bearer ${token}`) {
      rejected.push('token');
      return error(401, 'unauthorized');
    }
    const match = /^\/v1\/apps\/([a-z0-9-]+)\/(secrets|machines)(?:\/([^/]+))?(?:\/(restart))?$/.exec(request.url.pathname);
    if (match === null) {
      rejected.push(`path ${request.url.pathname}`);
      return error(404, 'not found');
    }
    const [, app = '', collection, name, restart] = match;
    if (collection === 'machines') {
      if (name === undefined && request.method === 'GET') return { status: 200, body: machines };
      if (restart !== undefined && request.method === 'POST') {
        restarts.push(name ?? '');
        return { status: 200, body: { ok: true } };
      }
      return error(405, 'method');
    }
    const values = valuesOf(app);
    if (name === undefined && request.method === 'GET') {
      return { status: 200, body: { secrets: [...values.entries()].map(([key, value]) => ({ name: key, digest: createHash('sha256').update(value).digest('hex').slice(0, 16), created_at: '2026-12-08T00:00:00Z' })) } };
    }
    if (name === undefined) return error(405, 'method');
    if (request.method === 'POST') {
      const body = (jsonBody(request) ?? {}) as { value?: unknown };
      if (typeof body.value !== 'string') return error(400, 'value is required');
      values.set(decodeURIComponent(name), body.value);
      return { status: 201, body: { name: decodeURIComponent(name), digest: createHash('sha256').update(body.value).digest('hex').slice(0, 16) } };
    }
    if (request.method === 'DELETE') {
      if (!values.delete(decodeURIComponent(name))) return error(404, 'secret not found');
      return { status: 200, body: { ok: true } };
    }
    return error(405, 'method');
  };
  const server = await startFakeHttpServer(handle);
  return { server, apiUrl: server.url, token, values: valuesOf, restarts, rejected, close: () => server.close() };
}
