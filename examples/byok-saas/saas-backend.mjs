// A sample SaaS backend that lets its users bring their own OpenAI key (rekey issue 20).
// It stores a user's key through rekey-cli/byok (rekey validates it first and seals it under
// the tenant's data key), calls OpenAI through `rekey proxy` with only the user's reference
// (the proxy injects the key), and receives rekey's signed notices (key too old, invalid …)
// on POST /rekey/notices. It never logs, stores or echoes a key.
//
// Environment: REKEY_URL, REKEY_BYOK_TOKEN (rk_byok_…), REKEY_TENANT, REKEY_NOTICE_SECRET (whsec_…),
// REKEY_PROXY_URL (rekey proxy, e.g. http://127.0.0.1:8430), PORT (0: any; the port is printed).
import { createServer } from 'node:http';
import { createByokClient, verifyNotice } from 'rekey-cli/byok';

const env = process.env;
const byok = createByokClient({ url: env.REKEY_URL, token: env.REKEY_BYOK_TOKEN, tenant: env.REKEY_TENANT });
const notices = [];

async function readBody(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function reply(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

const server = createServer(async (request, response) => {
  try {
    const url = new URL(request.url ?? '/', 'http://backend');
    const user = /^\/users\/([A-Za-z0-9._:@-]+)\/(openai-key|chat)$/.exec(url.pathname);
    if (request.method === 'POST' && user?.[2] === 'openai-key') {
      // The user pastes their key into our settings page; rekey checks it and keeps it.
      const { key } = JSON.parse(await readBody(request));
      const result = await byok.put({ userRef: user[1], provider: 'openai', value: key });
      return reply(response, result.stored ? 200 : 422, { stored: result.stored, status: result.validation.status, hint: result.key?.hint ?? null, keyId: result.key?.id ?? null });
    }
    if (request.method === 'POST' && user?.[2] === 'chat') {
      // Through the proxy with our application token and the user's reference: no key here.
      const { prompt } = JSON.parse(await readBody(request));
      const upstream = await fetch(`${env.REKEY_PROXY_URL}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.REKEY_BYOK_TOKEN}`, 'x-rekey-user': user[1], 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] }),
      });
      const answer = await upstream.json();
      if (upstream.status === 401 || upstream.status === 429) {
        // Tell rekey: it re-checks the key and notifies the user if it went bad.
        const [key] = await byok.list({ userRef: user[1] });
        if (key !== undefined) await byok.reportFailure(key.id, upstream.status);
      }
      return reply(response, upstream.status, { status: upstream.status, text: answer.choices?.[0]?.message?.content ?? null, byok: upstream.headers.get('x-rekey-byok') });
    }
    if (request.method === 'POST' && url.pathname === '/rekey/notices') {
      const body = await readBody(request);
      const notice = verifyNotice(env.REKEY_NOTICE_SECRET, request.headers, body);
      if (notice === undefined) return reply(response, 401, { error: 'bad signature' });
      notices.push(notice);
      // A real app e-mails the user here; the sample prints one line per notice.
      console.log(JSON.stringify({ notice: notice.reason, user: notice.userRef, keyId: notice.keyId }));
      return reply(response, 200, { ok: true });
    }
    if (request.method === 'GET' && url.pathname === '/notices') return reply(response, 200, notices);
    return reply(response, 404, { error: 'not found' });
  } catch (error) {
    return reply(response, 500, { error: error instanceof Error ? error.name : 'error' });
  }
});

server.listen(Number(env.PORT ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ listening: server.address().port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
