/**
 * The composition of bring-your-own-key for `rekey serve` and the scheduler (issue 20): the
 * tenant vault on this install's master key, the validator (provider bases from
 * REKEY_BYOK_OPENAI_BASE_URL, REKEY_BYOK_ANTHROPIC_BASE_URL, REKEY_BYOK_OPENROUTER_BASE_URL,
 * defaulting to the vendors), the notifier and the service-token check.
 */
import type { ByokService } from '../byok/byok-service.js';
import type { CliContext } from './cli-context.js';

export async function openByok(context: CliContext, onError: (message: string) => void): Promise<{ service: ByokService; verifyToken: (presented: string) => Promise<{ id: string; name: string; tenants: readonly string[] } | undefined> }> {
  const [{ createTenantVault }, { createTenantWrapper }, { createKeyValidator }, { createNotifier }, { createByokService }, { verifyByokToken }] = await Promise.all([
    import('../byok/tenant-vault.js'),
    import('../crypto/tenant-keys.js'),
    import('../byok/key-validation.js'),
    import('../byok/byok-notices.js'),
    import('../byok/byok-service.js'),
    import('../byok/byok-tokens.js'),
  ]);
  const vault = createTenantVault({ store: context.store, wrapper: createTenantWrapper(context.keys.material.key) });
  const env = process.env;
  const validator = createKeyValidator({
    bases: {
      ...(env.REKEY_BYOK_OPENAI_BASE_URL ? { openai: env.REKEY_BYOK_OPENAI_BASE_URL } : {}),
      ...(env.REKEY_BYOK_ANTHROPIC_BASE_URL ? { anthropic: env.REKEY_BYOK_ANTHROPIC_BASE_URL } : {}),
      ...(env.REKEY_BYOK_OPENROUTER_BASE_URL ? { openrouter: env.REKEY_BYOK_OPENROUTER_BASE_URL } : {}),
    },
  });
  const notifier = createNotifier({ store: context.store, webhookSecret: (tenant) => vault.webhookSecret(tenant), clock: context.clock, onError });
  const integrity = context.integrity.sealed ? context.integrity.rows : undefined;
  return {
    service: createByokService({ store: context.store, vault, validator, notifier, clock: context.clock }),
    verifyToken: (presented) => verifyByokToken(context.store, presented, context.clock.now(), integrity, (id) => onError(`BYOK token ${id} fails its integrity check and is refused`)),
  };
}
