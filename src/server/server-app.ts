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
 * scoped to named credentials (`middleware/read-token/`). Routes live in `routes/`, one file
 * per group; tests beside them call `app.request()`.
 */
import { Hono } from 'hono';
import type { KeySets } from '../access/key-sets.js';
import type { TokenVerifier } from '../access/token-verifier.js';
import type { Store } from '../store/store.js';
import { requireReadToken } from './middleware/read-token/read-token.js';
import { checkInRoutes } from './routes/check-in-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { keyRoutes } from './routes/key-routes.js';
import { apiError, type ServerEnv } from './server-env.js';

export interface ServerAppDependencies {
  keySets: KeySets;
  verifier: TokenVerifier;
  usage: Pick<Store, 'recordUsage'>;
  now: () => Date;
  /** Throws when the store cannot be reached. */
  ready: () => Promise<void>;
  /** Told of each refused read token (the auth-failure counter). */
  onTokenRefused?: (() => void) | undefined;
  /** Longest long-poll a client may ask for, in seconds (default 60). */
  maxWaitSeconds?: number;
}

/** The routes under their paths, the read-token middleware in front of /v1. */
export function createServerApp(deps: ServerAppDependencies): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.route('/', healthRoutes(deps));
  app.use('/v1/*', requireReadToken(deps.verifier, deps.onTokenRefused));
  app.route('/v1', keyRoutes({ keySets: deps.keySets, maxWaitSeconds: deps.maxWaitSeconds ?? 60 }));
  app.route('/v1', checkInRoutes(deps));
  app.onError((_error, context) => apiError(context, 500, 'internal', 'the server could not answer; try again'));
  return app;
}
