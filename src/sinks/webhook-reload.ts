/**
 * Webhook reload action: after every sink of an app holds the new key, POST a signed
 * `key-rotated` event (credential, version, fingerprint; never the value) to a URL the app
 * or its deployer listens on, which then reloads. Signature as in webhook-signature.ts.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { ExecReload, ReloadRequest, ReloadResult } from './exec-reload.js';
import { postSignedWebhook, webhookSecretFrom } from './webhook-signature.js';

const webhookReloadSchema = z
  .object({
    kind: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/ }),
    secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).optional(),
    timeoutSeconds: z.number().positive().max(300).optional(),
  })
  .strict();

export type WebhookReloadConfig = z.input<typeof webhookReloadSchema>;

export function createWebhookReload(
  config: Record<string, unknown>,
  consumerName: string,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): ExecReload {
  const parsed = webhookReloadSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`consumer ${consumerName}: webhook reload option "${issue?.path.join('.') || '(config)'}" ${issue?.message ?? 'is invalid'}`, {
      hint: 'webhook reload: { kind: "webhook", url, secretEnv?: "REKEY_WEBHOOK_SECRET" }',
    });
  }
  const options = parsed.data;
  const url = new URL(options.url);
  const label = `webhook ${url.origin}${url.pathname}`;

  return {
    describe: () => label,
    async run(request: ReloadRequest): Promise<ReloadResult> {
      const started = Date.now();
      await postSignedWebhook({
        sink: 'webhook-reload',
        label,
        url: options.url,
        secret: webhookSecretFrom(environment, options.secretEnv ?? 'REKEY_WEBHOOK_SECRET', consumerName),
        headers: options.headers,
        timeoutMs: options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000,
        payload: { event: 'key-rotated', consumer: request.consumerName, credential: request.credential, version: request.version, fingerprint: request.fingerprint, sentAt: new Date().toISOString() },
        action: 'send the reload event',
      });
      return { exitCode: 0, durationMs: Date.now() - started };
    },
  };
}
