/** The shape of a `.rekey-baseline.json` file (see baseline.ts). */
import { z } from 'zod';

const entrySchema = z.object({
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  detector: z.string(),
  hint: z.string(),
  firstSeen: z.string().optional(),
});

export const baselineSchema = z.object({
  version: z.literal(1),
  tool: z.literal('rekey'),
  /** Base64, 32 random bytes; the HMAC key of the fingerprints below. */
  salt: z.string().min(24),
  entries: z.array(entrySchema),
});

export type BaselineFile = z.infer<typeof baselineSchema>;
