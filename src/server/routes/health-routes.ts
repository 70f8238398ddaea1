/** `GET /healthz` (liveness) and `GET /readyz` (the store answers); no token. */
import { Hono } from 'hono';
import { apiError } from '../server-env.js';

export function healthRoutes(deps: { ready: () => Promise<void> }): Hono {
  const app = new Hono();
  app.get('/healthz', (context) => context.json({ status: 'ok' }));
  app.get('/readyz', async (context) => {
    try {
      await deps.ready();
      return context.json({ status: 'ready' });
    } catch {
      return apiError(context, 503, 'not-ready', 'the store cannot be reached');
    }
  });
  return app;
}
