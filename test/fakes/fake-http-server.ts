/**
 * A loopback HTTP server for protocol fakes: listens on port 0, hands each request (with
 * its whole body) to a handler, and can inject failures (`failNext`) before the handler
 * runs, so contract tests can make a real client see a 503 or a 403.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The raw request target as sent (path and query, not normalised). */
  rawTarget: string;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
}

export interface FakeHttpServer {
  url: string;
  /** The next `times` requests (optionally only those matching `when`) get `status`. */
  failNext(status: number, options?: { times?: number; when?: (request: FakeRequest) => boolean }): void;
  requests: FakeRequest[];
  close(): Promise<void>;
}

export async function startFakeHttpServer(
  handler: (request: FakeRequest) => FakeResponse | Promise<FakeResponse>,
  options: { contentType?: string; tls?: { key: string; cert: string } } = {},
): Promise<FakeHttpServer> {
  const faults: Array<{ status: number; times: number; when?: ((request: FakeRequest) => boolean) | undefined }> = [];
  const requests: FakeRequest[] = [];
  const listener = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const rawTarget = incoming.url ?? '/';
      const request: FakeRequest = {
        method: incoming.method ?? 'GET',
        url: new URL(rawTarget, 'http://fake.local'),
        headers: incoming.headers,
        body: Buffer.concat(chunks),
        rawTarget,
      };
      requests.push(request);
      const send = (response: FakeResponse): void => {
        const body = response.body;
        const payload =
          body === undefined ? '' : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
        const headers: Record<string, string> = { ...response.headers };
        if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body) && headers['content-type'] === undefined) {
          headers['content-type'] = options.contentType ?? 'application/json';
        }
        outgoing.writeHead(response.status, headers);
        outgoing.end(payload);
      };
      const fault = faults.find((candidate) => candidate.when === undefined || candidate.when(request));
      if (fault !== undefined) {
        fault.times -= 1;
        if (fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
        send({ status: fault.status, body: { message: 'injected failure' } });
        return;
      }
      Promise.resolve()
        .then(() => handler(request))
        .then(send, (error: unknown) => send({ status: 500, body: { message: `fake crashed: ${String(error)}` } }));
    });
  };
  const server = options.tls === undefined ? createServer(listener) : createTlsServer(options.tls, listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    requests,
    failNext(status, failOptions = {}) {
      faults.push({ status, times: failOptions.times ?? 1, when: failOptions.when });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function jsonBody(request: FakeRequest): unknown {
  if (request.body.length === 0) return undefined;
  return JSON.parse(request.body.toString('utf8')) as unknown;
}
