/**
 * Netlify environment variables, through Netlify's REST API with fetch (the `netlify`
 * client is a generated wrapper of the same calls): `GET|PATCH|DELETE
 * /api/v1/accounts/{account}/env/{key}?site_id=` and `POST /api/v1/accounts/{account}/env`,
 * with `Authorization: Bearer`. The sink owns one deploy context (`all` by default): it
 * sets that context's value with PATCH and leaves the others. A variable marked secret
 * returns no value to the API: reading one is an error, not `absent`.
 *
 * Reload `netlify-build`: new values reach a site at its next deploy, so the reload
 * starts one build (`POST /api/v1/sites/{site}/builds`).
 */
import { z } from 'zod';
import { ConfigError, SinkError } from '../core/errors.js';
import type { ExecReload } from './exec-reload.js';
import { createNamedSlotSink } from './named-slot-sink.js';
import { requireSecureUrl, sinkTokenVariable, tokenEnvOptions } from './sink-credentials.js';
import { createSinkHttp, type SinkHttp } from './sink-http.js';
import type { Sink, SinkContext, SinkFactory } from './sink-spec.js';
import { parseSinkConfig, slotName } from './sink-support.js';

const id = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/);
const netlifyConfigSchema = z
  .object({
    /** Account (team) slug or id. */
    account: id,
    /** Site id; without it the variable is account-wide. */
    site: id.optional(),
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/, 'must be an environment variable name'),
    context: z.enum(['all', 'production', 'deploy-preview', 'branch-deploy', 'dev']).optional(),
    apiUrl: z.url().optional(),
    ...tokenEnvOptions,
  })
  .strict();
const netlifyReloadSchema = z.object({ kind: z.literal('netlify-build'), site: id, apiUrl: z.url().optional(), ...tokenEnvOptions }).strict();

interface NetlifyEnv {
  key: string;
  is_secret?: boolean;
  values?: Array<{ id?: string; context?: string; value?: string }>;
}

function netlifyHttp(options: { apiUrl?: string | undefined; tokenEnv?: string | undefined; allowEnv?: string[] | undefined }, context: SinkContext, label: string): () => SinkHttp {
  const token = sinkTokenVariable(options, context, { variable: 'NETLIFY_AUTH_TOKEN', label: 'Netlify' });
  const baseUrl = options.apiUrl ?? 'https://api.netlify.com';
  requireSecureUrl(baseUrl, `consumer ${context.consumerName}: apiUrl`);
  return () => createSinkHttp({ sink: 'netlify-env', label, baseUrl, headers: { authorization: `Bearer ${token.read()}` } });
}

export function createNetlifyEnvSink(config: Record<string, unknown>, context: SinkContext): Sink {
  const options = parseSinkConfig(netlifyConfigSchema, config, context, 'netlify-env', 'netlify-env options: { account, site?, name, context?: "all", tokenEnv?: "NETLIFY_AUTH_TOKEN" }');
  const deployContext = options.context ?? 'all';
  const label = `Netlify ${options.site === undefined ? `account ${options.account}` : `site ${options.site}`} (${deployContext})`;
  const http = netlifyHttp(options, context, label);
  const base = `/api/v1/accounts/${encodeURIComponent(options.account)}/env`;
  const site = options.site === undefined ? '' : `?site_id=${encodeURIComponent(options.site)}`;

  const load = async (name: string): Promise<NetlifyEnv | undefined> => {
    const response = await http().request({ method: 'GET', path: `${base}/${encodeURIComponent(name)}${site}`, accept: [404], action: `read ${name}` });
    return response.status === 404 ? undefined : (response.body as NetlifyEnv | undefined);
  };
  const valueIn = (env: NetlifyEnv | undefined) => env?.values?.find((value) => value.context === deployContext);

  return createNamedSlotSink({
    kind: 'netlify-env',
    label,
    fingerprintSalt: context.fingerprintSalt,
    nameOf: (slot) => slotName(options.name, slot),
    targetOf: (name) => `${name} in ${label}`,
    store: {
      async read(name) {
        const env = await load(name);
        const entry = valueIn(env);
        if (entry === undefined) return undefined;
        if (typeof entry.value !== 'string') throw new SinkError(`${label}: ${name} is a secret variable; Netlify does not return its value`, { sink: 'netlify-env', isRetryable: false });
        return entry.value === '' ? undefined : entry.value;
      },
      async write(name, value) {
        if ((await load(name)) === undefined) {
          await http().request({ method: 'POST', path: `${base}${site}`, body: [{ key: name, values: [{ context: deployContext, value: value.reveal() }] }], action: `create ${name}` });
          return;
        }
        await http().request({ method: 'PATCH', path: `${base}/${encodeURIComponent(name)}${site}`, body: { context: deployContext, value: value.reveal() }, action: `update ${name}` });
      },
      async remove(name) {
        const env = await load(name);
        if (env === undefined) return;
        const others = (env.values ?? []).filter((entry) => entry.context !== deployContext);
        if (others.length === 0 || deployContext === 'all') {
          await http().request({ method: 'DELETE', path: `${base}/${encodeURIComponent(name)}${site}`, accept: [404], action: `delete ${name}` });
          return;
        }
        const entry = valueIn(env);
        if (entry?.id === undefined) return;
        await http().request({ method: 'DELETE', path: `${base}/${encodeURIComponent(name)}/value/${encodeURIComponent(entry.id)}${site}`, accept: [404], action: `delete the ${deployContext} value of ${name}` });
      },
    },
  });
}

createNetlifyEnvSink satisfies SinkFactory;

/** Reload: start a build of the site, which deploys with the new values. */
export function createNetlifyBuildReload(config: Record<string, unknown>, consumerName: string, environment: Readonly<Record<string, string | undefined>>): ExecReload {
  const parsed = netlifyReloadSchema.safeParse(config);
  if (!parsed.success) {
    throw new ConfigError(`consumer ${consumerName}: netlify-build reload option "${parsed.error.issues[0]?.path.join('.') || '(config)'}" ${parsed.error.issues[0]?.message ?? 'is invalid'}`, {
      hint: 'netlify-build reload: { kind: "netlify-build", site, tokenEnv?: "NETLIFY_AUTH_TOKEN" }',
    });
  }
  const options = parsed.data;
  const label = `build of Netlify site ${options.site}`;
  const http = netlifyHttp(options, { consumerName, environment, fingerprintSalt: Buffer.alloc(0) }, label);
  return {
    describe: () => label,
    async run() {
      const started = Date.now();
      await http().request({ method: 'POST', path: `/api/v1/sites/${encodeURIComponent(options.site)}/builds`, body: {}, action: 'start a build' });
      return { exitCode: 0, durationMs: Date.now() - started };
    },
  };
}
