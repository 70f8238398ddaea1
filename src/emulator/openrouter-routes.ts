/** OpenRouter (filled in next). */
import { Hono } from 'hono';
import type { EmulatorDeps } from './openai-auth.js';

export function createOpenRouterRoutes(_deps: EmulatorDeps): Hono {
  return new Hono();
}
