/**
 * GitLab's CI/CD variables REST API for projects and groups, as documented: list, get,
 * create (400 when the key exists in that environment scope, or a masked value is not
 * maskable), update (only the attributes sent change), delete (204/404), the
 * `filter[environment_scope]` parameter, the `PRIVATE-TOKEN` header, and GitLab's
 * `{ message: ... }` errors. Hidden variables return no value.
 */
import { jsonBody, startFakeHttpServer, type FakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server.js';

export interface StoredVariable {
  key: string;
  value: string;
  variable_type: string;
  protected: boolean;
  masked: boolean;
  hidden: boolean;
  raw: boolean;
  environment_scope: string;
  description: string | null;
}

export interface GitlabCiFake {
  server: FakeHttpServer;
  apiUrl: string;
  token: string;
  variable(owner: string, key: string, environmentScope?: string): StoredVariable | undefined;
  plant(owner: string, variable: Partial<StoredVariable> & { key: string; value: string }): void;
  denyReads(): void;
  close(): Promise<void>;
}

const MASKABLE = /^[A-Za-z0-9+/=@:.~_-]{8,}$/;

export async function startGitlabCiFake(): Promise<GitlabCiFake> {
  const token = 'glpat-fakeTokenForTests000000';
  /** owner is `projects/<id>` or `groups/<id>`, id decoded. */
  const owners = new Map<string, StoredVariable[]>();
  let readsDenied = false;
  const listOf = (owner: string): StoredVariable[] => {
    let list = owners.get(owner);
    if (list === undefined) owners.set(owner, (list = []));
    return list;
  };
  const view = (variable: StoredVariable) => ({ ...variable, value: variable.hidden ? null : variable.value });
  const notFound: FakeResponse = { status: 404, body: { message: '404 Variable Not Found' } };

  const handle = (request: FakeRequest): FakeResponse => {
    if (request.headers['private-token'] !== token) return { status: 401, body: { message: '401 Unauthorized' } };
    const match = /^\/api\/v4\/(projects|groups)\/([^/]+)\/variables(?:\/([^/]+))?$/.exec(request.url.pathname);
    if (match === null) return { status: 404, body: { message: '404 Not Found' } };
    const [, kind = '', rawId = '', key] = match;
    const owner = `${kind}/${decodeURIComponent(rawId)}`;
    const list = listOf(owner);
    const scope = request.url.searchParams.get('filter[environment_scope]');
    const matching = (candidate: StoredVariable): boolean => candidate.key === key && (scope === null || candidate.environment_scope === scope);
    if (key === undefined && request.method === 'GET') {
      if (readsDenied) return { status: 403, body: { message: '403 Forbidden' } };
      return { status: 200, body: list.map(view) };
    }
    if (key === undefined && request.method === 'POST') {
      const body = (jsonBody(request) ?? {}) as Partial<StoredVariable>;
      if (typeof body.key !== 'string' || typeof body.value !== 'string') return { status: 400, body: { message: { key: ['is missing'] } } };
      const environmentScope = body.environment_scope ?? '*';
      if (list.some((candidate) => candidate.key === body.key && candidate.environment_scope === environmentScope)) {
        return { status: 400, body: { message: { key: [`(${body.key}) has already been taken`] } } };
      }
      if (body.masked === true && !MASKABLE.test(body.value)) return { status: 400, body: { message: { value: ['is invalid'] } } };
      const variable: StoredVariable = {
        key: body.key,
        value: body.value,
        variable_type: body.variable_type ?? 'env_var',
        protected: body.protected ?? false,
        masked: body.masked ?? false,
        hidden: false,
        raw: body.raw ?? false,
        environment_scope: environmentScope,
        description: body.description ?? null,
      };
      list.push(variable);
      return { status: 201, body: view(variable) };
    }
    const found = list.filter(matching);
    if (request.method === 'GET') {
      if (readsDenied) return { status: 403, body: { message: '403 Forbidden' } };
      return found[0] === undefined ? notFound : { status: 200, body: view(found[0]) };
    }
    if (found.length > 1) return { status: 409, body: { message: 'There are multiple variables with provided parameters. Please use \'filter[environment_scope]\'' } };
    const variable = found[0];
    if (variable === undefined) return notFound;
    if (request.method === 'PUT') {
      const body = (jsonBody(request) ?? {}) as Partial<StoredVariable>;
      const next = { ...variable, ...Object.fromEntries(Object.entries(body).filter(([name]) => name !== 'key' && name !== 'hidden')) } as StoredVariable;
      if (next.masked && !MASKABLE.test(next.value)) return { status: 400, body: { message: { value: ['is invalid'] } } };
      Object.assign(variable, next);
      return { status: 200, body: view(variable) };
    }
    if (request.method === 'DELETE') {
      list.splice(list.indexOf(variable), 1);
      return { status: 204 };
    }
    return { status: 405, body: { message: '405 Method Not Allowed' } };
  };

  const server = await startFakeHttpServer(handle);
  return {
    server,
    apiUrl: server.url,
    token,
    variable: (owner, key, environmentScope = '*') => owners.get(owner)?.find((candidate) => candidate.key === key && candidate.environment_scope === environmentScope),
    plant(owner, variable) {
      listOf(owner).push({ variable_type: 'env_var', protected: false, masked: false, hidden: false, raw: false, environment_scope: '*', description: null, ...variable });
    },
    denyReads: () => {
      readsDenied = true;
    },
    close: () => server.close(),
  };
}
