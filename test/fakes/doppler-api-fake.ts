/**
 * Doppler's v3 secrets API, on loopback, as documented: `GET
 * /v3/configs/config/secret?project=&config=&name=` (`{secret: {name, value: {raw,
 * computed}}}`, 404 when absent), `POST /v3/configs/config/secrets` with `{project, config,
 * secrets: {NAME: value}}` (only those names change; answers every secret), `DELETE
 * /v3/configs/config/secret`; `Authorization: Bearer` (a service token is limited to its config).
 */
import { randomBytes } from 'node:crypto';
import { jsonBody, startFakeHttpServer, type FakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server.js';

export interface DopplerFake {
  server: FakeHttpServer;
  apiUrl: string;
  token: string;
  secrets(project: string, config: string): Map<string, string>;
  rejected: string[];
  denyReads(on?: boolean): void;
  close(): Promise<void>;
}

export async function startDopplerFake(): Promise<DopplerFake> {
  const token = `dp.st.prd.${randomBytes(12).toString('hex')}`;
  const configs = new Map<string, Map<string, string>>();
  const rejected: string[] = [];
  let readsDenied = false;
  const error = (status: number, message: string): FakeResponse => ({ status, body: { messages: [message], success: false } });
  const secretsOf = (project: string, config: string): Map<string, string> => {
    const key = `${project}/${config}`;
    let secrets = configs.get(key);
    if (secrets === undefined) configs.set(key, (secrets = new Map()));
    return secrets;
  };
  const handle = (request: FakeRequest): FakeResponse => {
    if (request.headers.authorization !== `Bearer ${token}`) {
      rejected.push('token');
      return error(401, 'Invalid Auth token');
    }
    const query = request.url.searchParams;
    if (request.url.pathname === '/v3/configs/config/secret') {
      const project = query.get('project');
      const config = query.get('config');
      const name = query.get('name');
      if (project === null || config === null || name === null) return error(400, 'project, config and name are required');
      const secrets = secretsOf(project, config);
      const value = secrets.get(name);
      if (request.method === 'GET') {
        if (readsDenied) return error(403, 'You do not have access to this config');
        if (value === undefined) return error(404, 'Could not find requested secret');
        return { status: 200, body: { secret: { name, value: { raw: value, computed: value } }, success: true } };
      }
      if (request.method === 'DELETE') {
        if (value === undefined) return error(404, 'Could not find requested secret');
        secrets.delete(name);
        return { status: 200, body: { success: true } };
      }
    }
    if (request.url.pathname === '/v3/configs/config/secrets' && request.method === 'GET') {
      const secrets = secretsOf(query.get('project') ?? '', query.get('config') ?? '');
      return { status: 200, body: { secrets: Object.fromEntries([...secrets.entries()].map(([name, value]) => [name, { raw: value, computed: value }])), success: true } };
    }
    if (request.url.pathname === '/v3/configs/config/secrets' && request.method === 'POST') {
      const body = (jsonBody(request) ?? {}) as { project?: string; config?: string; secrets?: Record<string, unknown> };
      if (typeof body.project !== 'string' || typeof body.config !== 'string' || typeof body.secrets !== 'object' || body.secrets === null) return error(400, 'project, config and secrets are required');
      const secrets = secretsOf(body.project, body.config);
      for (const [name, value] of Object.entries(body.secrets)) {
        if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) return error(400, `Invalid secret name ${name}`);
        if (value === null) secrets.delete(name);
        else if (typeof value === 'string') secrets.set(name, value);
        else return error(400, 'secret values must be strings');
      }
      return { status: 200, body: { secrets: Object.fromEntries([...secrets.entries()].map(([name, value]) => [name, { raw: value, computed: value }])), success: true } };
    }
    rejected.push(`path ${request.method} ${request.url.pathname}`);
    return error(404, 'Not found');
  };
  const server = await startFakeHttpServer(handle);
  return {
    server,
    apiUrl: server.url,
    token,
    secrets: secretsOf,
    rejected,
    denyReads: (on = true) => {
      readsDenied = on;
    },
    close: () => server.close(),
  };
}
