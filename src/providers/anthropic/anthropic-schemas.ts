/** The slices of Anthropic API responses the adapter reads. */
import { z } from 'zod';

export const anthropicApiKeySchema = z.object({
  id: z.string().min(1),
  name: z.string().nullable().optional(),
  partial_key_hint: z.string().nullable().optional(),
  status: z.string(),
  created_at: z.string().nullable().optional(),
  workspace_id: z.string().nullable().optional(),
  scope: z
    .object({ type: z.string(), workspace_id: z.string().nullable().optional() })
    .nullable()
    .optional(),
});
export type AnthropicApiKey = z.infer<typeof anthropicApiKeySchema>;

export const anthropicKeyPageSchema = z.object({
  data: z.array(anthropicApiKeySchema),
  has_more: z.boolean(),
  last_id: z.string().nullable().optional(),
});

export const anthropicUsagePageSchema = z.object({
  data: z.array(
    z.object({
      starting_at: z.string(),
      ending_at: z.string(),
      results: z.array(
        z.object({
          api_key_id: z.string().nullable().optional(),
          uncached_input_tokens: z.number().optional(),
          cache_read_input_tokens: z.number().optional(),
          output_tokens: z.number().optional(),
        }),
      ),
    }),
  ),
  has_more: z.boolean(),
  next_page: z.string().nullable().optional(),
});
