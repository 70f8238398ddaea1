/**
 * n8n credentials, through n8n's public REST API with fetch (n8n publishes no client):
 * `GET /api/v1/credentials` (names and ids, never data), `POST /api/v1/credentials` with
 * `{ name, type, data }`, `PATCH /api/v1/credentials/{id}` with `{ data }`, `DELETE
 * /api/v1/credentials/{id}`, and the `X-N8N-API-KEY` header (from `N8N_TOKEN`: a name ending in `_API_KEY` is
 * kept for providers' keys and never read by a sink). n8n never
 * returns a credential's data, so this sink is write-only (reported as unverifiable). The
 * main slot is the credential named `name` (type `openAiApi`, field `apiKey` by default:
 * the workflows that use it pick the new key up on their next run); a versioned slot is
 * the credential `<name> v7`.
 */
import { z } from 'zod';
import { createNamedSlotSink } from './named-slot-sink.js';
import { requireSecureUrl, sinkTokenVariable, tokenEnvOptions } from './sink-credentials.js';
import { createSinkHttp } from './sink-http.js';
import type { Sink, SinkContext, SinkFactory } from './sink-spec.js';
import { parseSinkConfig } from './sink-support.js';

const n8nConfigSchema = z
  .object({
    baseUrl: z.url(),
    name: z.string().min(1).max(128),
    /** n8n credential type, e.g. openAiApi, anthropicApi, httpHeaderAuth. */
    type: z.string().regex(/^[A-Za-z0-9]{1,80}$/).optional(),
    /** The data field holding the key, e.g. apiKey, value. */
    field: z.string().regex(/^[A-Za-z0-9_]{1,80}$/).optional(),
    ...tokenEnvOptions,
  })
  .strict();

interface N8nCredential {
  id: string;
  name: string;
  type?: string;
}

export function createN8nCredentialSink(config: Record<string, unknown>, context: SinkContext): Sink {
  const options = parseSinkConfig(n8nConfigSchema, config, context, 'n8n-credential', 'n8n-credential options: { baseUrl, name, type?: "openAiApi", field?: "apiKey", tokenEnv?: "N8N_TOKEN" }');
  const type = options.type ?? 'openAiApi';
  const field = options.field ?? 'apiKey';
  const label = `n8n credential "${options.name}" (${new URL(options.baseUrl).host})`;
  const token = sinkTokenVariable(options, context, { variable: 'N8N_TOKEN', label: 'n8n' });
  requireSecureUrl(options.baseUrl, `consumer ${context.consumerName}: baseUrl`);
  const http = () => createSinkHttp({ sink: 'n8n-credential', label, baseUrl: options.baseUrl, headers: { 'x-n8n-api-key': token.read() } });

  const find = async (name: string): Promise<N8nCredential | undefined> => {
    let cursor: string | undefined;
    for (let page = 0; page < 50; page += 1) {
      const response = await http().request({ method: 'GET', path: `/api/v1/credentials?limit=250${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, action: 'list the credentials' });
      const body = (response.body ?? {}) as { data?: N8nCredential[]; nextCursor?: string | null };
      const found = (body.data ?? []).find((credential) => credential.name === name && (credential.type === undefined || credential.type === type));
      if (found !== undefined) return found;
      if (typeof body.nextCursor !== 'string' || body.nextCursor === '') return undefined;
      cursor = body.nextCursor;
    }
    return undefined;
  };

  return createNamedSlotSink({
    kind: 'n8n-credential',
    label,
    fingerprintSalt: context.fingerprintSalt,
    nameOf: (slot) => (slot === 'main' ? options.name : `${options.name} v${slot.version}`),
    targetOf: (name) => `n8n credential "${name}"`,
    store: {
      exists: async (name) => (await find(name)) !== undefined,
      async write(name, value) {
        const found = await find(name);
        if (found !== undefined) {
          await http().request({ method: 'PATCH', path: `/api/v1/credentials/${encodeURIComponent(found.id)}`, body: { data: { [field]: value.reveal() } }, action: `update "${name}"` });
          return;
        }
        await http().request({ method: 'POST', path: '/api/v1/credentials', body: { name, type, data: { [field]: value.reveal() } }, action: `create "${name}"` });
      },
      async remove(name) {
        const found = await find(name);
        if (found !== undefined) await http().request({ method: 'DELETE', path: `/api/v1/credentials/${encodeURIComponent(found.id)}`, accept: [404], action: `delete "${name}"` });
      },
    },
  });
}

createN8nCredentialSink satisfies SinkFactory;
