/**
 * Webhook sink: tells a system rekey has no sink for that a key changed, with an
 * HMAC-signed POST (see webhook-signature.ts). By default the body carries only a
 * reference, the slot, the version's fingerprint and redacted hint: the receiver fetches
 * the key itself (SDK, key-delivery API). With `includeValue: true` the value is in the
 * body too, and then only to an https URL, never over plain HTTP. A webhook cannot be
 * read back: the sink is write-only and its plan cannot know what the receiver holds.
 */
import { z } from 'zod';
import { fingerprint } from '../crypto/fingerprint.js';
import type { SecretValue } from '../core/secret-value.js';
import type { Sink, SinkContext, SinkFactory, SinkSlot } from './sink-spec.js';
import { environmentOf, parseSinkConfig, planChanges, slotName } from './sink-support.js';
import { postSignedWebhook, webhookSecretFrom } from './webhook-signature.js';

const webhookConfigSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    /** The environment variable holding the HMAC signing secret. Default REKEY_WEBHOOK_SECRET. */
    secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    /** What the receiver calls this key (default: the consumer name). */
    reference: z.string().min(1).max(200).optional(),
    /** The variable name the slots are named after in the payload (`OPENAI_API_KEY`, `_V7`). */
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    includeValue: z.boolean().optional(),
    /** Extra non-secret headers. */
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).optional(),
    timeoutSeconds: z.number().positive().max(120).optional(),
  })
  .strict()
  .refine((config) => config.includeValue !== true || config.url.startsWith('https://'), {
    message: 'must be an https URL when includeValue is true (a key never travels over plain HTTP)',
    path: ['url'],
  });

export type WebhookSinkConfig = z.input<typeof webhookConfigSchema>;

export function createWebhookSink(config: Record<string, unknown>, context: SinkContext): Sink {
  const options = parseSinkConfig(webhookConfigSchema, config, context, 'webhook', 'webhook options: { url, secretEnv?: "REKEY_WEBHOOK_SECRET", reference?, includeValue?: false }');
  const url = new URL(options.url);
  const label = `webhook ${url.origin}${url.pathname}`;
  const reference = options.reference ?? context.consumerName;
  const name = options.name ?? 'KEY';
  const slotLabelOf = (slot: SinkSlot): string => (slot === 'main' ? 'main' : `v${slot.version}`);

  const post = (event: string, slot: SinkSlot, extra: Record<string, unknown>, action: string): Promise<void> =>
    postSignedWebhook({
      sink: 'webhook',
      label,
      url: options.url,
      secret: webhookSecretFrom(environmentOf(context), options.secretEnv ?? 'REKEY_WEBHOOK_SECRET', context.consumerName),
      headers: options.headers,
      timeoutMs: options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000,
      payload: { event, reference, consumer: context.consumerName, slot: slotLabelOf(slot), name: slotName(name, slot), ...extra, sentAt: new Date().toISOString() },
      action,
    });

  return {
    kind: 'webhook',
    describe: () => label,

    async write(slot, value: SecretValue) {
      await post(
        'key-delivered',
        slot,
        { fingerprint: fingerprint(context.fingerprintSalt, value.reveal()), hint: value.hint, ...(options.includeValue === true ? { value: value.reveal() } : {}) },
        `notify ${slotLabelOf(slot)}`,
      );
    },

    async remove(slot) {
      await post('key-removed', slot, {}, `notify removal of ${slotLabelOf(slot)}`);
    },

    plan: (changes) =>
      planChanges(changes, {
        fingerprintSalt: context.fingerprintSalt,
        targetOf: (slot) => `${slotName(name, slot)} at ${label}`,
        current: async () => ({ state: 'unknown' }),
      }),
  };
}

createWebhookSink satisfies SinkFactory;
