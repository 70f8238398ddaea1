/**
 * `GET /v1/eso/keys?credential=<name>`: the backend of External Secrets Operator's webhook
 * provider (docs/kubernetes.md). One flat JSON object per credential — `current`, and
 * `previous` while a rotation's grace lasts (null otherwise) — so one SecretStore with
 * `result.jsonPath: "$.{{ .remoteRef.property }}"` serves both keys to an ExternalSecret.
 *
 * The credential travels in the query, not the path: ESO runs `url.QueryEscape` on
 * `.remoteRef.key` before templating the URL, so `openai/app/prod` arrives as
 * `openai%2Fapp%2Fprod`, which a query decodes everywhere while proxies in front of a
 * cluster service treat an encoded slash in a path in different ways.
 *
 * Same token rules as `/v1/credentials/:name/keys`: a read token scoped to the
 * credential (by name before existence, then by id), a plain re-read of the store on
 * every call (ESO polls on its refreshInterval), every key handed out counted and its
 * first delivery to a token audited. A credential that does not exist is a 404, which
 * ESO takes as "deleted" (the ExternalSecret's deletionPolicy applies).
 */
import { Hono } from 'hono';
import type { KeyDeliveries } from '../../access/key-deliveries.js';
import type { KeySet, KeySets } from '../../access/key-sets.js';
import { NotFoundError } from '../../core/errors.js';
import { apiError, outOfScope, type ServerEnv } from '../server-env.js';

export function esoKeysBody(set: KeySet) {
  const current = set.keys.find((key) => key.stage === 'current');
  const previous = set.keys.find((key) => key.stage === 'previous');
  return {
    credential: set.credential.name,
    provider: set.credential.provider,
    generation: set.generation,
    current: current?.value.reveal() ?? null,
    currentVersion: current?.version ?? null,
    previous: previous?.value.reveal() ?? null,
    previousVersion: previous?.version ?? null,
  };
}

export function esoRoutes(deps: { keySets: KeySets; deliveries?: KeyDeliveries | undefined }): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.get('/eso/keys', async (context) => {
    const name = context.req.query('credential');
    if (name === undefined || name === '') {
      return apiError(context, 400, 'bad-request', 'the query parameter credential is required (SecretStore url: …/v1/eso/keys?credential={{ .remoteRef.key }})');
    }
    const denied = outOfScope(context, name);
    if (denied !== undefined) return denied;
    let set: KeySet;
    try {
      await deps.keySets.refresh(name);
      set = await deps.keySets.get(name);
    } catch (error) {
      if (error instanceof NotFoundError) return apiError(context, 404, 'not-found', `credential ${name} does not exist`);
      throw error;
    }
    const token = context.get('token');
    if (!token.credentialIds.includes(set.credential.id)) return apiError(context, 403, 'forbidden', `token ${token.name} may not read credential ${name}`);
    for (const key of set.keys) await deps.deliveries?.record(token, set.credential, key.version);
    context.header('cache-control', 'no-store');
    return context.json(esoKeysBody(set));
  });
  return app;
}
