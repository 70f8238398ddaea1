/** The slices of the OpenAI Admin API responses the adapter reads (official OpenAPI shapes). */
import { z } from 'zod';

export function listEnvelope<Item extends z.ZodType>(item: Item) {
  return z.object({
    object: z.literal('list').optional(),
    data: z.array(item),
    has_more: z.boolean(),
    last_id: z.string().nullable().optional(),
  });
}

export const serviceAccountSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  created_at: z.number().nullable().optional(),
});

export const serviceAccountCreateSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  api_key: z
    .object({
      id: z.string().min(1),
      value: z.string().min(1),
      name: z.string().nullable().optional(),
      created_at: z.number().nullable().optional(),
    })
    .nullable()
    .optional(),
});

export const projectApiKeySchema = z.object({
  id: z.string().min(1),
  name: z.string().nullable().optional(),
  redacted_value: z.string().nullable().optional(),
  created_at: z.number().nullable().optional(),
  last_used_at: z.number().nullable().optional(),
  owner: z
    .object({
      type: z.string().optional(),
      service_account: z.object({ id: z.string() }).nullable().optional(),
      user: z.object({ id: z.string() }).nullable().optional(),
    })
    .nullable()
    .optional(),
});
export type ProjectApiKey = z.infer<typeof projectApiKeySchema>;

export const usagePageSchema = z.object({
  data: z.array(
    z.object({
      start_time: z.number(),
      end_time: z.number(),
      results: z.array(
        z.object({
          api_key_id: z.string().nullable().optional(),
          num_model_requests: z.number().optional(),
        }),
      ),
    }),
  ),
  has_more: z.boolean(),
  next_page: z.string().nullable().optional(),
});

export const adminApiKeySchema = z.object({
  id: z.string().min(1),
  name: z.string().nullable().optional(),
  redacted_value: z.string().nullable().optional(),
  created_at: z.number().nullable().optional(),
  last_used_at: z.number().nullable().optional(),
});

export const adminApiKeyCreateSchema = adminApiKeySchema.extend({ value: z.string().min(1) });

export function fromUnixSeconds(seconds: number | null | undefined): Date | null {
  return typeof seconds === 'number' ? new Date(seconds * 1000) : null;
}
