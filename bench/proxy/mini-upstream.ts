/**
 * The benchmark's upstream: a tiny node:http server that answers every POST with one fixed
 * chat completion, so the upstream is never what a run measures. A body with `"stream":true`
 * gets server-sent events instead: `STREAM_CHUNKS` content chunks `STREAM_GAP_MILLISECONDS`
 * apart, a usage chunk when `stream_options.include_usage` was asked for, then `[DONE]`.
 * It accepts any bearer key (the proxy's checks are what is measured, not the provider's).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const STREAM_CHUNKS = 20;
export const STREAM_GAP_MILLISECONDS = 2;

const COMPLETION = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_765_000_000,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there, five words here.' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
  }),
);

const chunk = (content: string) => `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content } }] })}\n\n`;
const USAGE_CHUNK = `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 12, completion_tokens: STREAM_CHUNKS, total_tokens: 12 + STREAM_CHUNKS } })}\n\n`;

export function startMiniUpstream(port = 0): Promise<{ url: string; server: Server }> {
  const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const body = Buffer.concat(parts);
      // Cheap on purpose: the upstream must not cost what the proxies cost.
      const head = body.subarray(0, 512).toString('latin1') + body.subarray(Math.max(512, body.length - 512)).toString('latin1');
      if (!/"stream"\s*:\s*true/.test(head)) {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': COMPLETION.length });
        response.end(COMPLETION);
        return;
      }
      const withUsage = /"include_usage"\s*:\s*true/.test(head);
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let sent = 0;
      const next = () => {
        if (sent < STREAM_CHUNKS) {
          response.write(chunk(`w${sent} `));
          sent += 1;
          setTimeout(next, STREAM_GAP_MILLISECONDS);
          return;
        }
        response.end(`${withUsage ? USAGE_CHUNK : ''}data: [DONE]\n\n`);
      };
      next();
    });
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }));
  });
}
