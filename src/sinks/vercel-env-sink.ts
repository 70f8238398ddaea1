/**
 * Vercel project environment variables, through Vercel's REST API with fetch (Vercel's
 * generated SDK is large and adds nothing the four calls need): list
 * `GET /v10/projects/{project}/env`, read one decrypted `GET /v1/projects/{project}/env/{id}`,
 * create `POST /v10/projects/{project}/env` (type `encrypted`), edit `PATCH
 * /v9/projects/{project}/env/{id}`, delete `DELETE /v9/projects/{project}/env/{id}`, all
 * with `teamId` when the project belongs to a team and `Authorization: Bearer`. A variable
 * is the one with this key whose targets are exactly the configured ones. `sensitive`
 * variables never return their value: reading one is an error, not `absent`.
 *
 * Reload `vercel-redeploy`: Vercel applies new variables only to new deployments, so the
 * app's latest production deployment is redeployed (`POST /v13/deployments` with its id).
 */
import { z } from 'zod';
import { ConfigError, SinkError } from '../core/errors.js';
import type { ExecReload } from './exec-reload.js';
import { createNamedSlotSink } from './named-slot-sink.js';
import { requireSecureUrl, sinkTokenVariable, tokenEnvOptions } from './sink-credentials.js';
import { createSinkHttp, type SinkHttp } from './sink-http.js';
import type { Sink, SinkContext, SinkFactory } from './sink-spec.js';
import { parseSinkConfig, slotName } from './sink-support.js';

const TARGETS = ['production', 'preview', 'development'] as const;
const common = {
  /** Project id or name. */
  project: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be a Vercel project id or name'),
  teamId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/).optional(),
  apiUrl: z.url().optional(),
  ...tokenEnvOptions,
};
const vercelConfigSchema = z
  .object({
    ...common,
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/, 'must be an environment variable name'),
    /** Default production and preview. */
    target: z.array(z.enum(TARGETS)).min(1).max(3).optional(),
  })
  .strict();

interface VercelEnv {
  id: string;
  key: string;
  type?: string;
  target?: string[] | string;
  value?: string;
}

function vercelHttp(options: z.output<typeof vercelConfigSchema> | z.output<typeof vercelReloadSchema>, context: Pick<SinkContext, 'consumerName' | 'environment' | 'fingerprintSalt'>, label: string): () => SinkHttp {
  const token = sinkTokenVariable(options, context as SinkContext, { variable: 'VERCEL_TOKEN', label: 'Vercel' });
  const baseUrl = options.apiUrl ?? 'https://api.vercel.com';
  requireSecureUrl(baseUrl, `consumer ${context.consumerName}: apiUrl`);
  return () => createSinkHttp({ sink: 'vercel-env', label, baseUrl, headers: { authorization: `Bearer ${token.read()}` } });
}

export function createVercelEnvSink(config: Record<string, unknown>, context: SinkContext): Sink {
  const options = parseSinkConfig(vercelConfigSchema, config, context, 'vercel-env', 'vercel-env options: { project, name, teamId?, target?: ["production","preview"], tokenEnv?: "VERCEL_TOKEN" }');
  const targets = [...(options.target ?? ['production', 'preview'])].sort();
  const label = `Vercel project ${options.project} (${targets.join(', ')})`;
  const http = vercelHttp(options, context, label);
  const project = encodeURIComponent(options.project);
  const team = options.teamId === undefined ? '' : `teamId=${encodeURIComponent(options.teamId)}`;
  const query = (extra = ''): string => (team === '' && extra === '' ? '' : `?${[team, extra].filter((part) => part !== '').join('&')}`);
  const sameTargets = (env: VercelEnv): boolean => [...(Array.isArray(env.target) ? env.target : env.target === undefined ? [] : [env.target])].sort().join(',') === targets.join(',');

  const find = async (name: string): Promise<VercelEnv | undefined> => {
    const response = await http().request({ method: 'GET', path: `/v10/projects/${project}/env${query()}`, action: 'list the environment variables' });
    const envs = (response.body as { envs?: VercelEnv[] } | undefined)?.envs ?? [];
    return envs.find((env) => env.key === name && sameTargets(env));
  };

  return createNamedSlotSink({
    kind: 'vercel-env',
    label,
    fingerprintSalt: context.fingerprintSalt,
    nameOf: (slot) => slotName(options.name, slot),
    targetOf: (name) => `${name} in ${label}`,
    store: {
      async read(name) {
        const env = await find(name);
        if (env === undefined) return undefined;
        if (env.type === 'sensitive') throw new SinkError(`${label}: ${name} is a sensitive variable; Vercel does not return its value`, { sink: 'vercel-env', isRetryable: false });
        const response = await http().request({ method: 'GET', path: `/v1/projects/${project}/env/${encodeURIComponent(env.id)}${query()}`, action: `read ${name}` });
        const value = (response.body as VercelEnv | undefined)?.value;
        if (typeof value !== 'string') throw new SinkError(`${label}: Vercel returned no value for ${name}`, { sink: 'vercel-env', isRetryable: false });
        return value;
      },
      async write(name, value) {
        const env = await find(name);
        if (env !== undefined) {
          await http().request({ method: 'PATCH', path: `/v9/projects/${project}/env/${encodeURIComponent(env.id)}${query()}`, body: { value: value.reveal() }, action: `update ${name}` });
          return;
        }
        await http().request({ method: 'POST', path: `/v10/projects/${project}/env${query()}`, body: { key: name, value: value.reveal(), type: 'encrypted', target: targets }, action: `create ${name}` });
      },
      async remove(name) {
        const env = await find(name);
        if (env === undefined) return;
        await http().request({ method: 'DELETE', path: `/v9/projects/${project}/env/${encodeURIComponent(env.id)}${query()}`, accept: [404], action: `delete ${name}` });
      },
    },
  });
}

createVercelEnvSink satisfies SinkFactory;

const vercelReloadSchema = z.object({ kind: z.literal('vercel-redeploy'), ...common }).strict();

/** Reload: redeploy the project's latest production deployment, so it reads the new variables. */
export function createVercelRedeployReload(config: Record<string, unknown>, consumerName: string, environment: Readonly<Record<string, string | undefined>>): ExecReload {
  const parsed = vercelReloadSchema.safeParse(config);
  if (!parsed.success) {
    throw new ConfigError(`consumer ${consumerName}: vercel-redeploy reload option "${parsed.error.issues[0]?.path.join('.') || '(config)'}" ${parsed.error.issues[0]?.message ?? 'is invalid'}`, {
      hint: 'vercel-redeploy reload: { kind: "vercel-redeploy", project, teamId?, tokenEnv?: "VERCEL_TOKEN" }',
    });
  }
  const options = parsed.data;
  const label = `redeploy of Vercel project ${options.project}`;
  const http = vercelHttp(options, { consumerName, environment, fingerprintSalt: Buffer.alloc(0) }, label);
  const team = options.teamId === undefined ? '' : `&teamId=${encodeURIComponent(options.teamId)}`;
  return {
    describe: () => label,
    async run() {
      const started = Date.now();
      const list = await http().request({ method: 'GET', path: `/v6/deployments?projectId=${encodeURIComponent(options.project)}&target=production&limit=1${team}`, action: 'find the latest production deployment' });
      const latest = (list.body as { deployments?: Array<{ uid?: string; name?: string }> } | undefined)?.deployments?.[0];
      if (latest?.uid === undefined) throw new SinkError(`${label}: the project has no production deployment to redeploy`, { sink: 'vercel-redeploy', isRetryable: false });
      await http().request({
        method: 'POST',
        path: `/v13/deployments${team === '' ? '' : `?${team.slice(1)}`}`,
        body: { name: latest.name ?? options.project, deploymentId: latest.uid, target: 'production' },
        action: 'redeploy',
      });
      return { exitCode: 0, durationMs: Date.now() - started };
    },
  };
}
