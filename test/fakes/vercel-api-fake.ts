/**
 * Vercel's REST API for project environment variables and deployments, on loopback, as
 * documented: `GET /v10/projects/{p}/env` (values encrypted, not shown), `GET
 * /v1/projects/{p}/env/{id}` (decrypted value; none for `sensitive`), `POST
 * /v10/projects/{p}/env` (400 `ENV_ALREADY_EXISTS` for the same key and target), `PATCH|DELETE
 * /v9/projects/{p}/env/{id}`, `GET /v6/deployments`, `POST /v13/deployments` (redeploy by
 * `deploymentId`), `teamId` checked, `Authorization: Bearer`, errors `{error: {code, message}}`.
 */
import { randomBytes } from 'node:crypto';
import { jsonBody, startFakeHttpServer, type FakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server.js';

export interface VercelEnvRecord {
  id: string;
  key: string;
  value: string;
  type: string;
  target: string[];
}

export interface VercelFake {
  server: FakeHttpServer;
  apiUrl: string;
  token: string;
  teamId: string;
  env(project: string): VercelEnvRecord[];
  redeploys: string[];
  rejected: string[];
  denyReads(on?: boolean): void;
  close(): Promise<void>;
}

export async function startVercelFake(): Promise<VercelFake> {
  const token = `vcp_${randomBytes(12).toString('hex')}`;
  const teamId = 'team_acme0001';
  const projects = new Map<string, VercelEnvRecord[]>();
  const redeploys: string[] = [];
  const rejected: string[] = [];
  let readsDenied = false;
  const error = (status: number, code: string): FakeResponse => ({ status, body: { error: { code, message: code } } });
  const listOf = (project: string): VercelEnvRecord[] => {
    let list = projects.get(project);
    if (list === undefined) projects.set(project, (list = []));
    return list;
  };

  const handle = (request: FakeRequest): FakeResponse => {
    if (request.headers.authorization !== `Bearer ${token}`) {
      rejected.push('token');
      return error(403, 'forbidden');
    }
    if (request.url.searchParams.get('teamId') !== teamId) {
      rejected.push(`teamId on ${request.url.pathname}`);
      return error(404, 'not_found');
    }
    const path = request.url.pathname;
    if (path === '/v6/deployments' && request.method === 'GET') {
      const project = request.url.searchParams.get('projectId') ?? '';
      return { status: 200, body: { deployments: [{ uid: `dpl_${project}_1`, name: project, target: 'production', state: 'READY' }], pagination: { count: 1 } } };
    }
    if (path === '/v13/deployments' && request.method === 'POST') {
      const body = (jsonBody(request) ?? {}) as { deploymentId?: string; name?: string };
      if (typeof body.deploymentId !== 'string' || typeof body.name !== 'string') return error(400, 'bad_request');
      redeploys.push(body.deploymentId);
      return { status: 200, body: { id: `dpl_${randomBytes(6).toString('hex')}`, readyState: 'QUEUED' } };
    }
    const match = /^\/v(\d+)\/projects\/([^/]+)\/env(?:\/([^/]+))?$/.exec(path);
    if (match === null) {
      rejected.push(`path ${request.method} ${path}`);
      return error(404, 'not_found');
    }
    const [, apiVersion, rawProject = '', id] = match;
    const list = listOf(decodeURIComponent(rawProject));
    const view = (record: VercelEnvRecord) => ({ id: record.id, key: record.key, type: record.type, target: record.target, value: record.type === 'sensitive' ? '' : `enc:${record.id}` });
    if (id === undefined && request.method === 'GET' && apiVersion === '10') {
      if (readsDenied) return error(403, 'forbidden');
      return { status: 200, body: { envs: list.map(view) } };
    }
    if (id === undefined && request.method === 'POST' && apiVersion === '10') {
      const body = (jsonBody(request) ?? {}) as { key?: string; value?: string; type?: string; target?: string[] };
      if (typeof body.key !== 'string' || typeof body.value !== 'string' || !Array.isArray(body.target)) return error(400, 'bad_request');
      if (list.some((record) => record.key === body.key && record.target.some((target) => body.target?.includes(target)))) return error(400, 'ENV_ALREADY_EXISTS');
      const record = { id: randomBytes(8).toString('hex'), key: body.key, value: body.value, type: body.type ?? 'encrypted', target: body.target };
      list.push(record);
      return { status: 201, body: { created: view(record) } };
    }
    const record = list.find((candidate) => candidate.id === id);
    if (record === undefined) return error(404, 'not_found');
    if (request.method === 'GET' && apiVersion === '1') {
      if (readsDenied) return error(403, 'forbidden');
      return { status: 200, body: { ...view(record), ...(record.type === 'sensitive' ? {} : { value: record.value, decrypted: true }) } };
    }
    if (request.method === 'PATCH' && apiVersion === '9') {
      const body = (jsonBody(request) ?? {}) as { value?: string };
      if (typeof body.value === 'string') record.value = body.value;
      return { status: 200, body: view(record) };
    }
    if (request.method === 'DELETE' && apiVersion === '9') {
      list.splice(list.indexOf(record), 1);
      return { status: 200, body: view(record) };
    }
    rejected.push(`method ${request.method} v${apiVersion}`);
    return error(405, 'method_not_allowed');
  };
  const server = await startFakeHttpServer(handle);
  return {
    server,
    apiUrl: server.url,
    token,
    teamId,
    env: (project) => listOf(project),
    redeploys,
    rejected,
    denyReads: (on = true) => {
      readsDenied = on;
    },
    close: () => server.close(),
  };
}
