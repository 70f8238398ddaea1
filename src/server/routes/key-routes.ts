/**
 * `GET /v1/credentials/:name/keys[?wait=30]`: current (+ previous during grace) with an
 * ETag; with If-None-Match and wait, a long poll answered as soon as the key set changes
 * (304 on timeout). A plain GET re-reads the store (clients do that after a 401).
 */
import { Hono } from 'hono';
import type { KeyDeliveries } from '../../access/key-deliveries.js';
import type { KeySet, KeySets } from '../../access/key-sets.js';
import { sourceAddressOf } from '../../access/listen-fetch.js';
import type { TokenVerifier } from '../../access/token-verifier.js';
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

/**
 * The token is scoped by credential id (a credential removed and created again under the
 * same name is refused with the same 403), and an answer that waited (a long poll) checks
 * the token in the store again before it carries a key: one revoked or expired meanwhile
 * gets a 401. Every key handed out is counted and its first delivery to a token audited.
 */
export function keyRoutes(deps: { keySets: KeySets; maxWaitSeconds: number; verifier: Pick<TokenVerifier, 'recheck'>; deliveries?: KeyDeliveries | undefined }): Hono<ServerEnv> {
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
    const token = context.get('token');
    if (!token.credentialIds.includes(set.credential.id)) return apiError(context, 403, 'forbidden', `token ${token.name} may not read credential ${name}`);
    if (known !== undefined && (await deps.verifier.recheck(token, sourceAddressOf(context.env))) === undefined) {
      context.header('www-authenticate', 'Bearer realm="rekey"');
      return apiError(context, 401, 'unauthorized', 'the read token was revoked or expired while the request waited');
    }
    context.header('etag', etagOf(set));
    context.header('cache-control', 'no-store');
    if (known === set.tag) return context.body(null, 304);
    for (const key of set.keys) await deps.deliveries?.record(token, set.credential, key.version);
    return context.json(keySetBody(set));
  });
  return app;
}
