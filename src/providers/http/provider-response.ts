/**
 * Validates a provider response at the edge (STYLE.md §8). A mismatch becomes a
 * `ProviderError` that names the operation and the paths that did not match, never the
 * values: a response body can hold a key.
 */
import type { z } from 'zod';
import { ProviderError } from '../../core/errors.js';

export function parseResponse<Schema extends z.ZodType>(
  schema: Schema,
  body: unknown,
  context: { provider: string; operation: string },
): z.infer<Schema> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const paths = result.error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.')) + ` ${issue.code}`)
    .join(', ');
  throw new ProviderError(`${context.provider}: ${context.operation}: unexpected response shape (${paths})`, {
    provider: context.provider,
    isRetryable: false,
    providerCode: 'unexpected_response',
  });
}
