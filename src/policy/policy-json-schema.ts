/** The published JSON Schema of rekey.yaml, derived from the zod schema that validates it (docs/rekey.schema.json). */
import { z } from 'zod';
import { rekeyFileSchema } from './policy-schema.js';

export const REKEY_SCHEMA_ID = 'urn:rekey:schema:rekey-yaml:1';

export function rekeyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(rekeyFileSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...schema, $id: REKEY_SCHEMA_ID };
}

export function rekeyJsonSchemaText(): string {
  return JSON.stringify(rekeyJsonSchema(), null, 2) + '\n';
}
