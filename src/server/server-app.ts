/**
 * The HTTP face of `rekey serve`:
 *
 *   GET  /healthz                               liveness
 *   GET  /readyz                                the store answers
 *   GET  /v1/credentials/:name/keys[?wait=30]   current (+ previous during grace), ETag; with
 *                                               If-None-Match and wait, a long poll (304 on timeout)
 *   POST /v1/check-ins                          an SDK reports which versions it used
 *   GET  /v1/eso/keys?credential=…              current and previous as flat fields, for External
 *                                               Secrets Operator's webhook provider
 *   /v1/auth/…, /v1/credentials…, …             the management API for people (api/, sessions
 *                                               and roles), documented at GET /openapi.json
 *   /ui/…                                       the web dashboard (routes/ui-routes.ts), same origin
 *
 * Key delivery takes a per-application read token (`Authorization: Bearer rk_read_…`)
 * scoped to named credentials (`middleware/read-token/`); the management API takes a
 * person's session (`middleware/session-auth/`) and authorizes every action in one place
 * (`middleware/require-capability/`). Routes live in `routes/`, one file per group; tests
 * beside them call `app.request()`.
 */
import { Hono } from 'hono';
import type { KeyDeliveries } from '../access/key-deliveries.js';
import type { KeySets } from '../access/key-sets.js';
import type { TokenVerifier } from '../access/token-verifier.js';
import type { Store } from '../store/store.js';
import type { ApiServices } from './api/api-services.js';
import { mountManagementApi } from './api/management-api.js';
import { requireReadToken } from './middleware/read-token/read-token.js';
import { checkInRoutes } from './routes/check-in-routes.js';
import { esoRoutes } from './routes/eso-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { keyRoutes } from './routes/key-routes.js';
import { securityHeaders, uiRoutes } from './routes/ui-routes.js';
import { apiError, type ServerEnv } from './server-env.js';

export interface ServerAppDependencies {
  keySets: KeySets;
  verifier: TokenVerifier;
  usage: Pick<Store, 'recordUsage' | 'listVersions'>;
  now: () => Date;
  /** Throws when the store cannot be reached. */
  ready: () => Promise<void>;
  /** Told of each refused read token (the auth-failure counter). */
  onTokenRefused?: (() => void) | undefined;
  /** Longest long-poll a client may ask for, in seconds (default 60). */
  maxWaitSeconds?: number;
  /** Counts and audits key deliveries and answers `/metrics` (which takes a read token). */
  deliveries?: KeyDeliveries | undefined;
  /** The management API; absent: key delivery only. */
  api?: { services: ApiServices; version: string; uiDirectory?: string | undefined } | undefined;
}

/** The routes under their paths: read tokens in front of key delivery, sessions in front of the management API. */
export function createServerApp(deps: ServerAppDependencies): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.use('*', securityHeaders());
  app.route('/', healthRoutes(deps));
  const readToken = requireReadToken(deps.verifier, deps.onTokenRefused);
  app.use('/v1/credentials/:name{.+}/keys', readToken);
  app.use('/v1/check-ins', readToken);
  app.use('/v1/eso/keys', readToken);
  app.route('/v1', keyRoutes({ keySets: deps.keySets, maxWaitSeconds: deps.maxWaitSeconds ?? 60, verifier: deps.verifier, deliveries: deps.deliveries }));
  app.route('/v1', esoRoutes({ keySets: deps.keySets, deliveries: deps.deliveries }));
  app.use('/metrics', readToken);
  app.get('/metrics', (context) => context.body(deps.deliveries?.metricsText() ?? '', 200, { 'content-type': 'text/plain; version=0.0.4', 'cache-control': 'no-store' }));
  app.route('/v1', checkInRoutes(deps));
  if (deps.api !== undefined) {
    mountManagementApi(app as unknown as Hono, deps.api.services, { version: deps.api.version });
    app.route('/', uiRoutes({ directory: deps.api.uiDirectory }) as unknown as Hono<ServerEnv>);
  }
  app.onError((_error, context) => apiError(context, 500, 'internal', 'the server could not answer; try again'));
  return app;
}
