/** Every policy rule, by id (exhaustive: a new id fails to compile until its rule is registered). */
import type { PolicyRule } from './policy-model.js';
import type { RuleId } from './policy-rule-ids.js';
import { allowedModelsRule, namingCredentialRule, namingProviderObjectRule, noSharedProductionValueRule, onePerServiceRule, ownerRequiredRule } from './rules-inventory.js';
import { exceptionExpiredRule, graceBoundsRule, maxKeyAgeRule, onLeakRule, rotationCadenceRule, staggerRule } from './rules-lifecycle.js';

export const POLICY_RULES: Record<RuleId, PolicyRule> = {
  'max-key-age': maxKeyAgeRule,
  'rotation-cadence': rotationCadenceRule,
  stagger: staggerRule,
  'allowed-models': allowedModelsRule,
  'naming-credential': namingCredentialRule,
  'naming-provider-object': namingProviderObjectRule,
  'one-per-service-environment': onePerServiceRule,
  'no-shared-production-value': noSharedProductionValueRule,
  'owner-required': ownerRequiredRule,
  'grace-bounds': graceBoundsRule,
  'on-leak-action': onLeakRule,
  'exception-expired': exceptionExpiredRule,
};
