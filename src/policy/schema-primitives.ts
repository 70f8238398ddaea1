/** Small zod building blocks shared by the rekey.yaml schema files. */
import { z } from 'zod';

/** A reference to a secret, never the secret: `env:NAME` or `file:relative/path`. */
export const secretReference = z
  .string()
  .regex(/^(env:[A-Za-z_][A-Za-z0-9_]{0,127}|file:[^\0\n]{1,512})$/, 'a reference such as env:NAME or file:path (never the value itself)');

export const durationText = z
  .string()
  .regex(/^(\d+(\.\d+)?(ms|s|m|h|d))+$/, 'a duration such as 15m, 24h or 2d');

export const environmentName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'an environment name: lower-case letters, digits, "_" or "-"');

export const positiveDays = z.int().min(1).max(3650);

export const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD').refine((text) => !Number.isNaN(Date.parse(`${text}T00:00:00Z`)), 'a real calendar date');

export const simpleName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, ".", "_" or "-"');

export const stringMap = z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a key of letters, digits, "_", "." or "-"'), z.string().max(512));
