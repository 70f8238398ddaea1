/**
 * A 1Password Connect server's items API, on loopback, as documented: `GET
 * /v1/vaults/{vault}/items/{item}` (a FullItem with `fields`), `PATCH` the same path with
 * a JSON Patch array (`add /fields`, `replace /fields/{id}/value`, `remove /fields/{id}`;
 * anything else is 400), `Authorization: Bearer` with the Connect token, errors
 * `{status, message}`.
 */
import { randomBytes } from 'node:crypto';
import { jsonBody, startFakeHttpServer, type FakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server.js';

export interface OnePasswordField {
  id: string;
  label: string;
  type: string;
  value: string;
  purpose?: string;
}

export interface OnePasswordFake {
  server: FakeHttpServer;
  connectUrl: string;
  token: string;
  vault: string;
  /** Creates an item (title and a username field) and returns its id. */
  plantItem(title: string): string;
  fields(item: string): OnePasswordField[];
  rejected: string[];
  denyReads(on?: boolean): void;
  close(): Promise<void>;
}

const opId = (): string => randomBytes(20).toString('base64').replace(/[^a-z0-9]/g, '').padEnd(26, 'q').slice(0, 26);

export async function startOnePasswordConnectFake(): Promise<OnePasswordFake> {
  const token = `eyOpConnect.${randomBytes(16).toString('hex')}`;
  const vault = opId();
  const items = new Map<string, { title: string; version: number; fields: OnePasswordField[] }>();
  const rejected: string[] = [];
  let readsDenied = false;
  const error = (status: number, message: string): FakeResponse => ({ status, body: { status, message } });

  const handle = (request: FakeRequest): FakeResponse => {
    if (request.headers.authorization !== `Bearer ${token}`) {
      rejected.push('token');
      return error(401, 'Invalid token signature');
    }
    if (request.url.pathname === `/v1/vaults/${vault}/items` && request.method === 'GET') {
      return { status: 200, body: [...items.entries()].map(([id, item]) => ({ id, title: item.title, version: item.version, vault: { id: vault }, category: 'API_CREDENTIAL' })) };
    }
    const match = /^\/v1\/vaults\/([a-z0-9]{26})\/items\/([a-z0-9]{26})$/.exec(request.url.pathname);
    if (match === null || match[1] !== vault) {
      rejected.push(`path ${request.url.pathname}`);
      return error(404, 'vault or item not found');
    }
    const item = items.get(match[2] ?? '');
    if (item === undefined) return error(404, 'item not found');
    const view = () => ({ id: match[2], title: item.title, version: item.version, vault: { id: vault }, category: 'API_CREDENTIAL', fields: item.fields });
    if (request.method === 'GET') return readsDenied ? error(403, 'Authorization: token has no read access to the vault') : { status: 200, body: view() };
    if (request.method !== 'PATCH') return error(405, 'method');
    const operations = jsonBody(request) as Array<{ op?: string; path?: string; value?: unknown }> | undefined;
    if (!Array.isArray(operations)) return error(400, 'the body must be a JSON Patch array');
    for (const operation of operations) {
      const fieldPath = /^\/fields\/([^/]+)(\/value)?$/.exec(operation.path ?? '');
      if (operation.op === 'add' && operation.path === '/fields') {
        const field = (operation.value ?? {}) as Partial<OnePasswordField>;
        if (typeof field.label !== 'string' || typeof field.value !== 'string') return error(400, 'a field needs a label and a value');
        item.fields.push({ id: randomBytes(13).toString('hex').slice(0, 26), label: field.label, type: field.type ?? 'STRING', value: field.value });
      } else if (operation.op === 'replace' && fieldPath?.[2] !== undefined) {
        const field = item.fields.find((candidate) => candidate.id === fieldPath[1]);
        if (field === undefined || typeof operation.value !== 'string') return error(400, 'no such field');
        field.value = operation.value;
      } else if (operation.op === 'remove' && fieldPath !== null && fieldPath[2] === undefined) {
        item.fields = item.fields.filter((candidate) => candidate.id !== fieldPath[1]);
      } else {
        return error(400, `unsupported patch operation ${String(operation.op)} ${String(operation.path)}`);
      }
    }
    item.version += 1;
    return { status: 200, body: view() };
  };
  const server = await startFakeHttpServer(handle);
  return {
    server,
    connectUrl: server.url,
    token,
    vault,
    plantItem(title) {
      const id = opId();
      items.set(id, { title, version: 1, fields: [{ id: 'username', label: 'username', type: 'STRING', value: 'svc-ticketing', purpose: 'USERNAME' }] });
      return id;
    },
    fields: (item) => items.get(item)?.fields ?? [],
    rejected,
    denyReads: (on = true) => {
      readsDenied = on;
    },
    close: () => server.close(),
  };
}
