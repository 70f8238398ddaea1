/** `/v1/organization/usage/*`, `/costs`, `/audit_logs` (filled in next). */
import { Hono } from 'hono';
import type { EmulatorDeps, OpenAIEnv } from './openai-auth.js';

export function createOpenAIReportsRoutes(_deps: EmulatorDeps): Hono<OpenAIEnv> {
  return new Hono<OpenAIEnv>();
}
