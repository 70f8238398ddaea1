/**
 * n8n's public REST API for credentials, on loopback, as its API reference documents:
 * `GET /api/v1/credentials` (paged with `limit`/`cursor`; ids, names, types, never data),
 * `POST /api/v1/credentials` with `{name, type, data}`, `PATCH /api/v1/credentials/{id}`,
 * `DELETE /api/v1/credentials/{id}`, the `X-N8N-API-KEY` header (401 otherwise). The
 * credential type's schema is checked for the two types the tests use.
 */
import { randomBytes } from 'node:crypto';
import { jsonBody, startFakeHttpServer, type FakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server.js';

export interface N8nStoredCredential {
  id: string;
  name: string;
  type: string;
  data: Record<string, string>;
}

export interface N8nFake {
  server: FakeHttpServer;
  baseUrl: string;
  apiKey: string;
  credentials: N8nStoredCredential[];
  rejected: string[];
  close(): Promise<void>;
}

/** Required data fields of the credential types the fake knows (from n8n's credential schemas). */
const SCHEMAS: Record<string, string[]> = { openAiApi: ['apiKey'], anthropicApi: ['apiKey'], httpHeaderAuth: ['name', 'value'] };

export async function startN8nFake(): Promise<N8nFake> {
  const apiKey = `n8n_api_${randomBytes(16).toString('hex')}`;
  const credentials: N8nStoredCredential[] = [];
  const rejected: string[] = [];
  const error = (status: number, message: string): FakeResponse => ({ status, body: { message } });
  const view = (credential: N8nStoredCredential) => ({ id: credential.id, name: credential.name, type: credential.type, createdAt: '2026-12-08T00:00:00.000Z', updatedAt: '2026-12-08T00:00:00.000Z' });
  const handle = (request: FakeRequest): FakeResponse => {
    if (request.headers['x-n8n-api-key'] !== apiKey) {
      rejected.push('api key');
      return error(401, "'X-N8N-API-KEY' header required");
    }
    const match = /^\/api\/v1\/credentials(?:\/([A-Za-z0-9]+))?$/.exec(request.url.pathname);
    if (match === null) {
      rejected.push(`path ${request.url.pathname}`);
      return error(404, 'not found');
    }
    const id = match[1];
    if (id === undefined && request.method === 'GET') {
      const limit = Math.min(Number(request.url.searchParams.get('limit') ?? 100), 250);
      const start = Number(request.url.searchParams.get('cursor') ?? 0);
      const page = credentials.slice(start, start + limit);
      return { status: 200, body: { data: page.map(view), nextCursor: start + limit < credentials.length ? String(start + limit) : null } };
    }
    if (id === undefined && request.method === 'POST') {
      const body = (jsonBody(request) ?? {}) as { name?: unknown; type?: unknown; data?: Record<string, unknown> };
      if (typeof body.name !== 'string' || typeof body.type !== 'string' || typeof body.data !== 'object' || body.data === null) return error(400, 'request/body must have required property');
      const required = SCHEMAS[body.type];
      if (required === undefined) return error(400, `credential type ${body.type} is not known`);
      if (required.some((field) => typeof body.data?.[field] !== 'string')) return error(400, `request.body.data requires property "${required.join(', ')}"`);
      const credential = { id: randomBytes(8).toString('hex'), name: body.name, type: body.type, data: body.data as Record<string, string> };
      credentials.push(credential);
      return { status: 200, body: view(credential) };
    }
    const credential = credentials.find((candidate) => candidate.id === id);
    if (credential === undefined) return error(404, 'Not Found');
    if (request.method === 'PATCH') {
      const body = (jsonBody(request) ?? {}) as { data?: Record<string, unknown> };
      if (typeof body.data !== 'object' || body.data === null) return error(400, 'data is required');
      credential.data = { ...credential.data, ...(body.data as Record<string, string>) };
      return { status: 200, body: view(credential) };
    }
    if (request.method === 'DELETE') {
      credentials.splice(credentials.indexOf(credential), 1);
      return { status: 200, body: view(credential) };
    }
    return error(405, 'method');
  };
  const server = await startFakeHttpServer(handle);
  return { server, baseUrl: server.url, apiKey, credentials, rejected, close: () => server.close() };
}
