/**
 * The key-delivery HTTP API (`rekey serve`, DESIGN.md §4 "Pull"):
 *
 *   GET  /healthz                               liveness
 *   GET  /readyz                                the store answers
 *   GET  /v1/credentials/:name/keys[?wait=30]   current (+ previous during grace), ETag; with
 *                                               If-None-Match and wait, a long poll (304 on timeout)
 *   POST /v1/check-ins                          an SDK reports which versions it used
 *
 * Every /v1 route takes a per-application read token (`Authorization: Bearer rk_read_…`)
 * scoped to named credentials. Tests call `app.request()`.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { NotFoundError } from '../core/errors.js';
import type { KeySet, KeySets } from '../access/key-sets.js';
import { bearerTokenOf, type TokenVerifier } from '../access/token-verifier.js';
import type { AccessToken } from '../core/types.js';
import type { Store } from '../store/store.js';

export interface ServerAppDependencies {
  keySets: KeySets;
  verifier: TokenVerifier;
  usage: Pick<Store, 'recordUsage'>;
  now: () => Date;
  /** Throws when the store cannot be reached. */
  ready: () => Promise<void>;
  /** Longest long-poll a client may ask for, in seconds (default 60). */
  maxWaitSeconds?: number;
}

type ServerEnv = { Variables: { token: AccessToken } };

const checkInSchema = z
  .object({
    credential: z.string().min(1).max(200),
    instance: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/).optional(),
    versions: z
      .array(
        z
          .object({
            version: z.number().int().positive(),
            requests: z.number().int().min(0).max(1e9),
            /** When this process last used the version (ms since epoch); the server clamps it to the last day. */
            lastUsedAt: z.number().int().positive().optional(),
          })
          .strict(),
      )
      .min(1)
      .max(10),
  })
  .strict();

export function apiError(context: Context, status: 400 | 401 | 403 | 404 | 500 | 503, code: string, message: string): Response {
  context.header('cache-control', 'no-store');
  return context.json({ error: { code, message } }, status);
}

export function keySetBody(set: KeySet) {
  return {
    credential: set.credential.name,
    provider: set.credential.provider,
    generation: set.generation,
    keys: set.keys.map((key) => ({ version: key.version, stage: key.stage, value: key.value.reveal(), hint: key.hint })),
  };
}

function etagOf(set: KeySet): string {
  return `"${set.tag}"`;
}

function requestedTag(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"([^"]*)"$/.exec(header.trim());
  return match?.[1];
}

export function createServerApp(deps: ServerAppDependencies): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const maxWaitSeconds = deps.maxWaitSeconds ?? 60;

  app.get('/healthz', (context) => context.json({ status: 'ok' }));
  app.get('/readyz', async (context) => {
    try {
      await deps.ready();
      return context.json({ status: 'ready' });
    } catch {
      return apiError(context, 503, 'not-ready', 'the store cannot be reached');
    }
  });

  app.use('/v1/*', async (context, next) => {
    const presented = bearerTokenOf(context.req.header('authorization'));
    const token = presented === undefined ? undefined : await deps.verifier.verify(presented);
    if (token === undefined) {
      context.header('www-authenticate', 'Bearer realm="rekey"');
      return apiError(context, 401, 'unauthorized', 'a valid read token is required (Authorization: Bearer rk_read_…)');
    }
    context.set('token', token);
    await next();
    return undefined;
  });

  function scoped(context: Context<ServerEnv>, name: string): Response | undefined {
    const token = context.get('token');
    if (token.credentials.includes(name)) return undefined;
    return apiError(context, 403, 'forbidden', `token ${token.name} may not read credential ${name}`);
  }

  app.get('/v1/credentials/:name{.+}/keys', async (context) => {
    const name = context.req.param('name');
    const denied = scoped(context, name);
    if (denied !== undefined) return denied;
    const waitText = context.req.query('wait');
    const wait = waitText === undefined ? 0 : Number(waitText);
    if (!Number.isFinite(wait) || wait < 0) return apiError(context, 400, 'bad-request', 'wait must be a number of seconds >= 0');
    const known = requestedTag(context.req.header('if-none-match'));
    let set: KeySet;
    try {
      if (known === undefined) {
        // A plain GET is a client loading or reloading (after a 401): answer from the store, not the cache.
        await deps.keySets.refresh(name);
        set = await deps.keySets.get(name);
      } else {
        set = await deps.keySets.waitForChange(name, known, Math.min(wait, maxWaitSeconds) * 1000, context.req.raw.signal);
      }
    } catch (error) {
      if (error instanceof NotFoundError) return apiError(context, 404, 'not-found', `credential ${name} does not exist`);
      throw error;
    }
    context.header('etag', etagOf(set));
    context.header('cache-control', 'no-store');
    if (known === set.tag) return context.body(null, 304);
    return context.json(keySetBody(set));
  });

  app.post('/v1/check-ins', async (context) => {
    let body: unknown;
    try {
      body = await context.req.json();
    } catch {
      return apiError(context, 400, 'bad-request', 'the body must be JSON');
    }
    const parsed = checkInSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return apiError(context, 400, 'bad-request', `check-in field "${issue?.path.join('.') ?? ''}" ${issue?.message ?? 'is invalid'}`);
    }
    const denied = scoped(context, parsed.data.credential);
    if (denied !== undefined) return denied;
    let set: KeySet;
    try {
      set = await deps.keySets.get(parsed.data.credential);
    } catch (error) {
      if (error instanceof NotFoundError) return apiError(context, 404, 'not-found', `credential ${parsed.data.credential} does not exist`);
      throw error;
    }
    const token = context.get('token');
    const consumer = parsed.data.instance === undefined ? token.name : `${token.name}/${parsed.data.instance}`;
    const now = deps.now().getTime();
    await deps.usage.recordUsage(
      parsed.data.versions.map((entry) => ({
        credentialId: set.credential.id,
        versionNumber: entry.version,
        source: 'sdk' as const,
        consumer,
        // A count re-sent after a failed check-in keeps the time of its use, so old traffic never looks recent.
        at: new Date(entry.requests > 0 && entry.lastUsedAt !== undefined ? Math.min(now, Math.max(now - 86_400_000, entry.lastUsedAt)) : now),
        requests: entry.requests,
        status2xx: 0,
        status4xx: 0,
        status5xx: 0,
        inputTokens: 0,
        outputTokens: 0,
      })),
    );
    return context.body(null, 204);
  });

  app.onError((_error, context) => apiError(context, 500, 'internal', 'the server could not answer; try again'));
  return app;
}
