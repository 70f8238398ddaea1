/**
 * rekey.yaml, the inventory as code. One zod schema validates the file and derives both
 * the TypeScript types and the published JSON Schema (policy-json-schema.ts), so the
 * editor, the loader and the engine cannot disagree. Every object is strict: an unknown
 * field is an error (the loader adds a "did you mean"). Secrets never live in the file:
 * `valueFrom` and the notification routes hold references only.
 */
import { z } from 'zod';
import { PROVIDER_KINDS } from '../core/types.js';
import { notificationsSchema } from './notifications-schema.js';
import { RULE_IDS, SEVERITIES } from './policy-rule-ids.js';
import { durationText, environmentName, isoDate, positiveDays, secretReference, simpleName, stringMap } from './schema-primitives.js';

export const REKEY_FILE_VERSION = 1;

const credentialName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,47}(\/[a-z0-9][a-z0-9._-]{0,47}){1,4}$/, 'a credential name such as openai/ticketing/prod');

const reloadSchema = z.looseObject({ kind: z.string().min(1) }).meta({ description: 'reload action after delivery: exec, kubernetes-rollout or webhook, with its options' });

const healthCheckSchema = z.strictObject({
  url: z.url(),
  expectStatus: z.int().min(100).max(599).default(200),
}).meta({ description: 'a URL that answers expectStatus once the app runs on the new key' });

export const consumerSchema = z.strictObject({
  kind: z.string().min(1).default('env-file').meta({ description: 'sink kind: env-file, json-file, yaml-file, vault-kv, aws-secrets-manager, kubernetes-secret, github-actions, gitlab-ci, webhook' }),
  app: simpleName.optional().meta({ description: 'the app this consumer feeds (its reload runs once per app)' }),
  config: z.record(z.string(), z.unknown()).default({}).meta({ description: 'sink options (paths relative to this file, variable names); never a secret' }),
  reload: reloadSchema.optional(),
  healthCheck: healthCheckSchema.optional(),
});

export const credentialPolicySchema = z.strictObject({
  rotateEveryDays: positiveDays.optional(),
  maxAgeDays: positiveDays.optional(),
  graceQuiet: durationText.optional(),
  graceMax: durationText.optional(),
  onLeak: z.enum(['rotate', 'alert']).optional(),
});

export const credentialSchema = z.strictObject({
  provider: z.enum(PROVIDER_KINDS),
  environment: environmentName.optional().meta({ description: 'default: the last segment of the name' }),
  service: simpleName.optional().meta({ description: 'the service this key serves (one credential per service and environment); default: the second segment of the name' }),
  scope: stringMap.default({}).meta({ description: 'provider scope, e.g. project: proj_abc or workspace: wrkspc_1' }),
  owner: z.string().min(1).max(200).optional(),
  purpose: z.string().min(1).max(500).optional(),
  allowedModels: z.array(z.string().min(1).max(200)).max(200).default([]),
  tags: stringMap.default({}),
  policy: credentialPolicySchema.default({}),
  valueFrom: secretReference.optional().meta({ description: 'where apply reads the first value when the credential has none: env:NAME or file:path' }),
  consumers: z.record(simpleName, consumerSchema).default({}),
});

const modelPermissionsSchema = z.strictObject({
  mode: z.enum(['allow_list', 'deny_list']),
  models: z.array(z.string().min(1)).max(500),
});

const spendLimitSchema = z.strictObject({
  thresholdAmount: z.int().min(1).meta({ description: 'monthly hard spend limit in cents (USD)' }),
});

const rateLimitSchema = z.strictObject({
  maxRequestsPerMinute: z.int().min(0).optional(),
  maxTokensPerMinute: z.int().min(0).optional(),
  maxRequestsPerDay: z.int().min(0).optional(),
});

export const openaiProjectSchema = z.strictObject({
  name: z.string().min(1).max(200).meta({ description: 'the project name at OpenAI (checked against policies.naming.providerObject)' }),
  environment: environmentName.optional(),
  tags: stringMap.default({}),
  modelPermissions: modelPermissionsSchema.optional(),
  spendLimit: spendLimitSchema.optional(),
  rateLimits: z.record(z.string().min(1), rateLimitSchema).default({}).meta({ description: 'per model' }),
});

const providersSchema = z.strictObject({
  openai: z.strictObject({
    projects: z.record(z.string().regex(/^proj_[A-Za-z0-9_-]{1,64}$/, 'an OpenAI project id (proj_…)'), openaiProjectSchema).default({}),
    ignoreProjects: z.array(z.string().min(1)).default([]).meta({ description: 'projects (ids or names) plan does not report as undeclared, e.g. "Default project"' }),
  }).optional(),
});

const scheduleSchema = z.strictObject({
  environments: z.array(environmentName).min(1),
  every: positiveDays.meta({ description: 'rotate every N days' }),
  start: isoDate.meta({ description: 'the first rotation day; later ones follow every N days' }),
  window: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'a UTC window such as 02:00-04:00').default('02:00-04:00'),
});

const environmentPolicySchema = z.strictObject({
  maxKeyAgeDays: positiveDays.optional(),
  rotateEveryDays: positiveDays.optional().meta({ description: 'the longest cadence a credential of this environment may have' }),
  allowedModels: z.array(z.string().min(1)).optional().meta({ description: 'models a credential of this environment may use' }),
  graceMin: durationText.optional(),
  graceMax: durationText.optional(),
  onLeak: z.enum(['rotate', 'alert']).optional().meta({ description: 'the on-leak action credentials of this environment must have' }),
});

const exceptionSchema = z.strictObject({
  rule: z.enum(RULE_IDS),
  credential: credentialName.optional().meta({ description: 'the credential excepted; omitted: every subject of the rule' }),
  reason: z.string().min(3).max(500),
  expires: isoDate,
  approvedBy: z.string().min(1).max(200).optional(),
});

export const policiesSchema = z.strictObject({
  productionEnvironments: z.array(environmentName).min(1).default(['prod', 'production']),
  environments: z.record(environmentName, environmentPolicySchema).default({}),
  naming: z.strictObject({
    credential: z.string().min(1).optional().meta({ description: 'template for credential names, e.g. {provider}/{service}/{env}' }),
    providerObject: z.string().min(1).optional().meta({ description: 'template for provider-side objects, e.g. {yy}-{mm}-{customer}-{project}-{env}' }),
  }).default({}),
  stagger: z.array(z.strictObject({ before: environmentName, after: environmentName, minDays: z.int().min(1).max(365) })).default([]),
  onePerServiceEnvironment: z.boolean().default(true),
  ownerRequired: z.boolean().default(true),
  noSharedProductionValue: z.boolean().default(true),
  rules: z.partialRecord(z.enum(RULE_IDS), z.strictObject({ severity: z.enum([...SEVERITIES, 'off']) })).default({}),
  exceptions: z.array(exceptionSchema).default([]),
});

const roleSchema = z.strictObject({
  description: z.string().max(500).optional(),
  capabilities: z.array(z.string().regex(/^[a-z*][a-z0-9*.:-]{0,63}$/, 'a capability such as credential:rotate or credential:*')).min(1),
});

const bindingSchema = z.strictObject({
  subject: z.string().min(1).max(200).meta({ description: 'user:<email>, group:<name> or token:<name>' }),
  role: simpleName,
  credentials: z.array(z.string().min(1)).default(['*']).meta({ description: 'credential names or globs the binding covers' }),
  environments: z.array(environmentName).optional(),
});

export const rekeyFileSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(REKEY_FILE_VERSION),
  include: z.array(z.string().min(1).max(512)).max(100).optional().meta({ description: 'files merged before this one (relative paths); this file overrides them' }),
  defaults: z.strictObject({ owner: z.string().min(1).optional(), tags: stringMap.optional() }).optional(),
  credentials: z.record(credentialName, credentialSchema).default({}),
  providers: providersSchema.optional(),
  schedules: z.record(simpleName, scheduleSchema).default({}),
  policies: policiesSchema.default(() => policiesSchema.parse({})),
  notifications: notificationsSchema.optional(),
  roles: z.record(simpleName, roleSchema).default({}),
  bindings: z.array(bindingSchema).default([]),
}).meta({ title: 'rekey.yaml', description: 'rekey inventory as code: credentials, consumers, schedules, policies, notification routes, roles and bindings' });

export type RekeyFile = z.output<typeof rekeyFileSchema>;
export type CredentialSpec = z.output<typeof credentialSchema>;
export type ConsumerSpec = z.output<typeof consumerSchema>;
export type PoliciesSpec = z.output<typeof policiesSchema>;
export type OpenAIProjectSpec = z.output<typeof openaiProjectSchema>;
export type ScheduleSpec = z.output<typeof scheduleSchema>;
