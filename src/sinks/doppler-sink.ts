/**
 * Doppler secrets, through Doppler's v3 REST API with fetch (the generated Node SDK wraps
 * the same calls): read `GET /v3/configs/config/secret?project=&config=&name=` (the raw
 * value), set `POST /v3/configs/config/secrets` with `{ project, config, secrets: { NAME:
 * value } }` (only the names sent change), delete `DELETE /v3/configs/config/secret`.
 * `Authorization: Bearer` with a service token or a personal token (`DOPPLER_TOKEN`).
 * Versioned slots are sibling secrets (`OPENAI_API_KEY_V7`).
 */
import { z } from 'zod';
import { createNamedSlotSink } from './named-slot-sink.js';
import { requireSecureUrl, sinkTokenVariable, tokenEnvOptions } from './sink-credentials.js';
import { createSinkHttp } from './sink-http.js';
import type { Sink, SinkContext, SinkFactory } from './sink-spec.js';
import { parseSinkConfig, slotName } from './sink-support.js';

const dopplerConfigSchema = z
  .object({
    project: z.string().regex(/^[A-Za-z0-9._-]{1,60}$/),
    config: z.string().regex(/^[A-Za-z0-9._-]{1,60}$/),
    name: z.string().regex(/^[A-Z_][A-Z0-9_]{0,255}$/, 'must be an upper-case Doppler secret name'),
    apiUrl: z.url().optional(),
    ...tokenEnvOptions,
  })
  .strict();

export function createDopplerSink(config: Record<string, unknown>, context: SinkContext): Sink {
  const options = parseSinkConfig(dopplerConfigSchema, config, context, 'doppler', 'doppler options: { project, config, name, tokenEnv?: "DOPPLER_TOKEN" }');
  const label = `Doppler ${options.project}/${options.config}`;
  const token = sinkTokenVariable(options, context, { variable: 'DOPPLER_TOKEN', label: 'Doppler' });
  const baseUrl = options.apiUrl ?? 'https://api.doppler.com';
  requireSecureUrl(baseUrl, `consumer ${context.consumerName}: apiUrl`);
  const http = () => createSinkHttp({ sink: 'doppler', label, baseUrl, headers: { authorization: `Bearer ${token.read()}` } });
  const where = `project=${encodeURIComponent(options.project)}&config=${encodeURIComponent(options.config)}`;
  return createNamedSlotSink({
    kind: 'doppler',
    label,
    fingerprintSalt: context.fingerprintSalt,
    nameOf: (slot) => slotName(options.name, slot),
    targetOf: (name) => `${name} in ${label}`,
    store: {
      async read(name) {
        const response = await http().request({ method: 'GET', path: `/v3/configs/config/secret?${where}&name=${encodeURIComponent(name)}`, accept: [404], action: `read ${name}` });
        if (response.status === 404) return undefined;
        const raw = (response.body as { secret?: { value?: { raw?: unknown } } } | undefined)?.secret?.value?.raw;
        return typeof raw === 'string' && raw !== '' ? raw : undefined;
      },
      async write(name, value) {
        await http().request({ method: 'POST', path: '/v3/configs/config/secrets', body: { project: options.project, config: options.config, secrets: { [name]: value.reveal() } }, action: `set ${name}` });
      },
      async remove(name) {
        await http().request({ method: 'DELETE', path: `/v3/configs/config/secret?${where}&name=${encodeURIComponent(name)}`, accept: [404], action: `delete ${name}` });
      },
    },
  });
}

createDopplerSink satisfies SinkFactory;
