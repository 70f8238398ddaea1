/**
 * `POST /v1/check-ins`: an SDK reports which key versions it used (and how often); recorded
 * as usage reports that the rotation's grace check reads.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { KeySet, KeySets } from '../../access/key-sets.js';
import { NotFoundError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import { apiError, outOfScope, type ServerEnv } from '../server-env.js';

/** At most this many requests per version in one check-in (~3,300 a second over a 15 s interval). */
export const MAX_REQUESTS_PER_CHECK_IN = 50_000;

const checkInSchema = z
  .object({
    credential: z.string().min(1).max(200),
    instance: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/).optional(),
    versions: z
      .array(
        z
          .object({
            version: z.number().int().positive(),
            // Plausible for one process between two check-ins (every 15 s): a larger count is refused.
            requests: z.number().int().min(0).max(MAX_REQUESTS_PER_CHECK_IN),
            /** When this process last used the version (ms since epoch); the server clamps it to the last day. */
            lastUsedAt: z.number().int().positive().optional(),
          })
          .strict(),
      )
      .min(1)
      .max(10),
  })
  .strict();

export function checkInRoutes(deps: { keySets: KeySets; usage: Pick<Store, 'recordUsage' | 'listVersions'>; now: () => Date }): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.post('/check-ins', async (context) => {
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
    const denied = outOfScope(context, parsed.data.credential);
    if (denied !== undefined) return denied;
    let set: KeySet;
    try {
      set = await deps.keySets.get(parsed.data.credential);
    } catch (error) {
      if (error instanceof NotFoundError) return apiError(context, 404, 'not-found', `credential ${parsed.data.credential} does not exist`);
      throw error;
    }
    // Only versions this credential has: one that never existed is refused; one no longer
    // delivered (revoked, discarded) cannot be in use, so a late report of it is dropped and
    // cannot hold a revocation back.
    const versions = await deps.usage.listVersions(set.credential.id);
    const unknown = parsed.data.versions.find((entry) => !versions.some((version) => version.number === entry.version));
    if (unknown !== undefined) return apiError(context, 422, 'unknown-version', `credential ${parsed.data.credential} has no version ${unknown.version}`);
    const live = new Set(versions.filter((version) => version.stage === 'current' || version.stage === 'previous' || version.stage === 'pending').map((version) => version.number));
    const reported = parsed.data.versions.filter((entry) => live.has(entry.version));
    if (reported.length === 0) return context.body(null, 204);
    const token = context.get('token');
    const consumer = parsed.data.instance === undefined ? token.name : `${token.name}/${parsed.data.instance}`;
    const now = deps.now().getTime();
    await deps.usage.recordUsage(
      reported.map((entry) => ({
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
  return app;
}
