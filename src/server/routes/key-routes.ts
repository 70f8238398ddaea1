/**
 * `GET /v1/credentials/:name/keys[?wait=30]`: current (+ previous during grace) with an
 * ETag; with If-None-Match and wait, a long poll answered as soon as the key set changes
 * (304 on timeout). A plain GET re-reads the store (clients do that after a 401).
 */
import { Hono } from 'hono';
import type { KeySet, KeySets } from '../../access/key-sets.js';
import { NotFoundError } from '../../core/errors.js';
import { apiError, outOfScope, type ServerEnv } from '../server-env.js';

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

export function keyRoutes(deps: { keySets: KeySets; maxWaitSeconds: number }): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const { maxWaitSeconds } = deps;
  app.get('/credentials/:name{.+}/keys', async (context) => {
    const name = context.req.param('name');
    const denied = outOfScope(context, name);
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
  return app;
}
