import type { z } from 'zod';
import { ConfigError } from '../../core/errors.js';

/** Validates one channel's configuration; the error names the channel and the field, never a value. */
export function parseChannelConfig<Schema extends z.ZodType>(schema: Schema, input: unknown, name: string): z.infer<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.length === 0 ? '(config)' : issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`alert channel ${name}: ${problems.join('; ')}`);
}
