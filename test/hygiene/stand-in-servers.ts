/**
 * Small loopback HTTP servers the hygiene test talks to instead of the outside world: a
 * liveness check for manual keys, a webhook receiver, a recording OpenAI upstream. Each
 * keeps what it received (method, path, headers, body) so the test can search it; none logs.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInReply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface StandIn {
  url: string;
  /** `METHOD /path`, the headers as JSON and the body, one entry per request. */
  requests: string[];
  close(): Promise<void>;
}

export async function startStandIn(path: string, reply: (request: IncomingMessage) => StandInReply): Promise<StandIn> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      requests.push(`${request.method ?? ''} ${request.url ?? ''}\n${JSON.stringify(request.headers)}\n${body}`);
      const answer = reply(request);
      response.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A URL on a loopback port that was free a moment ago: connections to it are refused. */
export async function refusedUrl(path: string): Promise<string> {
  const probe = await startStandIn(path, () => ({ status: 204 }));
  await probe.close();
  return probe.url;
}

/**
 * A reload command (an ES module) that records only its own argument list, the length of
 * the key it got through REKEY_KEY, and the names (never values) of `secretNames` present
 * in its environment, one JSON line per run, to the file named by its first argument.
 */
export function reloadProbeSource(secretNames: readonly string[]): string {
  return [
    "import { appendFileSync } from 'node:fs';",
    'const key = process.env.REKEY_KEY ?? "";',
    `const inherited = ${JSON.stringify(secretNames)}.filter((name) => (process.env[name] ?? "") !== "");`,
    'appendFileSync(process.argv[2], JSON.stringify({ argv: process.argv.slice(1), keyLength: key.length, inherited }) + "\\n");',
    '',
  ].join('\n');
}
