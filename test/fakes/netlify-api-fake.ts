/**
 * Netlify's environment variables API, on loopback, as documented: `GET|PATCH|DELETE
 * /api/v1/accounts/{account}/env/{key}?site_id=`, `POST /api/v1/accounts/{account}/env`
 * (an array of `{key, values: [{context, value}]}`), `DELETE …/env/{key}/value/{id}`,
 * `POST /api/v1/sites/{site}/builds`; `Authorization: Bearer`; secret values are not returned.
 */
import { randomBytes } from 'node:crypto';
import { jsonBody, startFakeHttpServer, type FakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server.js';

export interface NetlifyEnvRecord {
  key: string;
  is_secret: boolean;
  values: Array<{ id: string; context: string; value: string }>;
}

export interface NetlifyFake {
  server: FakeHttpServer;
  apiUrl: string;
  token: string;
  env(account: string, site: string): NetlifyEnvRecord[];
  builds: string[];
  rejected: string[];
  denyReads(on?: boolean): void;
  close(): Promise<void>;
}

export async function startNetlifyFake(): Promise<NetlifyFake> {
  const token = `nfp_${randomBytes(12).toString('hex')}`;
  const scopes = new Map<string, NetlifyEnvRecord[]>();
  const builds: string[] = [];
  const rejected: string[] = [];
  let readsDenied = false;
  const error = (code: number, message: string): FakeResponse => ({ status: code, body: { code, message } });
  const listOf = (account: string, site: string): NetlifyEnvRecord[] => {
    const key = `${account}/${site}`;
    let list = scopes.get(key);
    if (list === undefined) scopes.set(key, (list = []));
    return list;
  };
  const view = (record: NetlifyEnvRecord) => ({ key: record.key, is_secret: record.is_secret, scopes: ['builds', 'functions', 'runtime', 'post-processing'], values: record.values.map((entry) => ({ id: entry.id, context: entry.context, ...(record.is_secret ? {} : { value: entry.value }) })) });

  const handle = (request: FakeRequest): FakeResponse => {
    if (request.headers.authorization !== `Bearer ${token}`) {
      rejected.push('token');
      return error(401, 'Access Denied');
    }
    const build = /^\/api\/v1\/sites\/([^/]+)\/builds$/.exec(request.url.pathname);
    if (build !== null && request.method === 'POST') {
      builds.push(decodeURIComponent(build[1] ?? ''));
      return { status: 200, body: { id: randomBytes(6).toString('hex'), done: false } };
    }
    const match = /^\/api\/v1\/accounts\/([^/]+)\/env(?:\/([^/]+)(?:\/value\/([^/]+))?)?$/.exec(request.url.pathname);
    if (match === null) {
      rejected.push(`path ${request.url.pathname}`);
      return error(404, 'Not Found');
    }
    const [, account = '', rawKey, valueId] = match;
    const list = listOf(decodeURIComponent(account), request.url.searchParams.get('site_id') ?? '');
    if (rawKey === undefined && request.method === 'GET') return { status: 200, body: list.map(view) };
    if (rawKey === undefined && request.method === 'POST') {
      const body = jsonBody(request) as Array<{ key?: string; values?: Array<{ context?: string; value?: string }> }> | undefined;
      if (!Array.isArray(body)) return error(422, 'body must be an array');
      for (const entry of body) {
        if (typeof entry.key !== 'string' || list.some((record) => record.key === entry.key)) return error(422, 'key exists or is missing');
        list.push({ key: entry.key, is_secret: false, values: (entry.values ?? []).map((value) => ({ id: randomBytes(6).toString('hex'), context: value.context ?? 'all', value: value.value ?? '' })) });
      }
      return { status: 201, body: body.map((entry) => view(list.find((record) => record.key === entry.key) as NetlifyEnvRecord)) };
    }
    const record = list.find((candidate) => candidate.key === decodeURIComponent(rawKey ?? ''));
    if (record === undefined) return error(404, 'Not Found');
    if (request.method === 'GET') return readsDenied ? error(403, 'Forbidden') : { status: 200, body: view(record) };
    if (request.method === 'PATCH') {
      const body = (jsonBody(request) ?? {}) as { context?: string; value?: string };
      if (typeof body.context !== 'string' || typeof body.value !== 'string') return error(422, 'context and value are required');
      const entry = record.values.find((value) => value.context === body.context);
      if (entry !== undefined) entry.value = body.value;
      else record.values.push({ id: randomBytes(6).toString('hex'), context: body.context, value: body.value });
      return { status: 201, body: view(record) };
    }
    if (request.method === 'DELETE') {
      if (valueId === undefined) list.splice(list.indexOf(record), 1);
      else record.values = record.values.filter((value) => value.id !== valueId);
      return { status: 204 };
    }
    return error(405, 'Method Not Allowed');
  };
  const server = await startFakeHttpServer(handle);
  return {
    server,
    apiUrl: server.url,
    token,
    env: (account, site) => listOf(account, site),
    builds,
    rejected,
    denyReads: (on = true) => {
      readsDenied = on;
    },
    close: () => server.close(),
  };
}
