/** The id of every policy rule (exhaustive: the rule registry is a Record over these). */
export const RULE_IDS = [
  'max-key-age',
  'rotation-cadence',
  'stagger',
  'allowed-models',
  'naming-credential',
  'naming-provider-object',
  'one-per-service-environment',
  'no-shared-production-value',
  'owner-required',
  'grace-bounds',
  'on-leak-action',
  'exception-expired',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export const SEVERITIES = ['error', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];
