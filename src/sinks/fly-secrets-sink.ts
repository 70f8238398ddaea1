/**
 * Fly.io app secrets, through the Machines API with fetch (Fly publishes no JavaScript
 * client): `POST /v1/apps/{app}/secrets/{name}` with `{ value }` sets one, `DELETE` the same
 * path unsets it, `GET /v1/apps/{app}/secrets` lists names and digests, never values, so
 * this sink is write-only (reported as unverifiable) and plans from names. `Authorization:
 * Bearer` with a deploy or org token (`FLY_API_TOKEN`).
 *
 * Reload `fly-restart` (`{ kind, flyApp }`; `app` names the reload group): Machines read secrets at boot, so the reload restarts every
 * started Machine of the app (`POST /v1/apps/{app}/machines/{id}/restart`).
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { ExecReload } from './exec-reload.js';
import { createNamedSlotSink } from './named-slot-sink.js';
import { requireSecureUrl, sinkTokenVariable, tokenEnvOptions } from './sink-credentials.js';
import { createSinkHttp, type SinkHttp } from './sink-http.js';
import type { Sink, SinkContext, SinkFactory } from './sink-spec.js';
import { parseSinkConfig, slotName } from './sink-support.js';

const app = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a Fly.io app name');
const flyConfigSchema = z
  .object({ app, name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/, 'must be an environment variable name'), apiUrl: z.url().optional(), ...tokenEnvOptions })
  .strict();
const flyReloadSchema = z.object({ kind: z.literal('fly-restart'), flyApp: app, apiUrl: z.url().optional(), ...tokenEnvOptions }).strict();

function flyHttp(options: { apiUrl?: string | undefined; tokenEnv?: string | undefined; allowEnv?: string[] | undefined }, context: SinkContext, label: string): () => SinkHttp {
  const token = sinkTokenVariable(options, context, { variable: 'FLY_API_TOKEN', label: 'Fly.io' });
  const baseUrl = options.apiUrl ?? 'https://api.machines.dev';
  requireSecureUrl(baseUrl, `consumer ${context.consumerName}: apiUrl`);
  return () => createSinkHttp({ sink: 'fly-secrets', label, baseUrl, headers: { authorization: `Bearer ${token.read()}` } });
}

export function createFlySecretsSink(config: Record<string, unknown>, context: SinkContext): Sink {
  const options = parseSinkConfig(flyConfigSchema, config, context, 'fly-secrets', 'fly-secrets options: { app, name, tokenEnv?: "FLY_API_TOKEN" }');
  const label = `Fly.io app ${options.app} secrets`;
  const http = flyHttp(options, context, label);
  const base = `/v1/apps/${encodeURIComponent(options.app)}/secrets`;
  return createNamedSlotSink({
    kind: 'fly-secrets',
    label,
    fingerprintSalt: context.fingerprintSalt,
    nameOf: (slot) => slotName(options.name, slot),
    targetOf: (name) => `${name} in ${label}`,
    store: {
      async exists(name) {
        const response = await http().request({ method: 'GET', path: base, action: 'list the secrets' });
        const secrets = (response.body as { secrets?: Array<{ name?: string }> } | undefined)?.secrets ?? [];
        return secrets.some((secret) => secret.name === name);
      },
      async write(name, value) {
        await http().request({ method: 'POST', path: `${base}/${encodeURIComponent(name)}`, body: { value: value.reveal() }, action: `set ${name}` });
      },
      async remove(name) {
        await http().request({ method: 'DELETE', path: `${base}/${encodeURIComponent(name)}`, accept: [404], action: `unset ${name}` });
      },
    },
  });
}

createFlySecretsSink satisfies SinkFactory;

/** Reload: restart the app's started Machines, which read secrets at boot. */
export function createFlyRestartReload(config: Record<string, unknown>, consumerName: string, environment: Readonly<Record<string, string | undefined>>): ExecReload {
  const parsed = flyReloadSchema.safeParse(config);
  if (!parsed.success) {
    throw new ConfigError(`consumer ${consumerName}: fly-restart reload option "${parsed.error.issues[0]?.path.join('.') || '(config)'}" ${parsed.error.issues[0]?.message ?? 'is invalid'}`, {
      hint: 'fly-restart reload: { kind: "fly-restart", flyApp, tokenEnv?: "FLY_API_TOKEN" } (`app` is the reload group)',
    });
  }
  const options = parsed.data;
  const label = `restart of Fly.io app ${options.flyApp}`;
  const http = flyHttp(options, { consumerName, environment, fingerprintSalt: Buffer.alloc(0) }, label);
  return {
    describe: () => label,
    async run() {
      const started = Date.now();
      const list = await http().request({ method: 'GET', path: `/v1/apps/${encodeURIComponent(options.flyApp)}/machines`, action: 'list the machines' });
      const machines = Array.isArray(list.body) ? (list.body as Array<{ id?: string; state?: string }>) : [];
      for (const machine of machines) {
        if (machine.id === undefined || machine.state !== 'started') continue;
        await http().request({ method: 'POST', path: `/v1/apps/${encodeURIComponent(options.flyApp)}/machines/${encodeURIComponent(machine.id)}/restart`, action: `restart machine ${machine.id}` });
      }
      return { exitCode: 0, durationMs: Date.now() - started };
    },
  };
}
