/**
 * The OpenAI Admin API resources `rekey openai …` offers, as data (see
 * admin-resource-spec.ts): paths, verbs and fields as in the official OpenAPI file.
 * Usage, costs and audit logs are reports (openai-admin-reports.ts).
 */
import type { Cell } from './admin-query.js';
import type { FieldSpec, ResourceSpec } from './admin-resource-spec.js';

const PROJECT = '/organization/projects/{scope}';

const record = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {});

/** A project key's owner: the user's e-mail or the service account's name. */
function keyOwner(item: Record<string, unknown>): Cell {
  const owner = record(item['owner']);
  const user = record(owner['user']);
  const account = record(owner['service_account']);
  const name = owner['type'] === 'service_account' ? account['name'] : (user['email'] ?? user['id']);
  return typeof name === 'string' ? name : null;
}

const RATE_LIMIT_FIELDS: FieldSpec[] = [
  'max-requests-per-1-minute',
  'max-tokens-per-1-minute',
  'max-images-per-1-minute',
  'max-audio-megabytes-per-1-minute',
  'max-requests-per-1-day',
  'batch-1-day-max-input-tokens',
].map((flag) => ({ flag, kind: 'integer', description: `new ${flag.replaceAll('-', ' ')}` }));

export const OPENAI_RESOURCES: readonly ResourceSpec[] = [
  {
    noun: 'users',
    summary: 'Organisation users (list, get, change role, remove)',
    path: '/organization/users',
    columns: ['id', 'name', 'email', 'role', 'added_at'],
    list: { query: [{ flag: 'email', target: 'emails', kind: 'strings', description: 'only these e-mail addresses (repeatable)' }] },
    get: true,
    update: [{ flag: 'role', kind: 'string', required: true, choices: ['owner', 'reader'], description: 'organisation role' }],
    delete: true,
  },
  {
    noun: 'invites',
    summary: 'Invitations to the organisation',
    path: '/organization/invites',
    columns: ['id', 'email', 'role', 'status', 'created_at', 'expires_at'],
    list: {},
    get: true,
    create: [
      { flag: 'email', kind: 'string', required: true, description: 'who to invite' },
      { flag: 'role', kind: 'string', required: true, choices: ['owner', 'reader'], description: 'organisation role' },
    ],
    delete: true,
  },
  {
    noun: 'projects',
    summary: 'Projects (list, get, create, rename, archive)',
    path: '/organization/projects',
    columns: ['id', 'name', 'status', 'created_at', 'archived_at'],
    list: { query: [{ flag: 'include-archived', kind: 'boolean', description: 'list archived projects too' }] },
    get: true,
    create: [{ flag: 'name', kind: 'string', required: true, description: 'project name' }],
    update: [{ flag: 'name', kind: 'string', required: true, description: 'new project name' }],
    actions: [{ verb: 'archive', summary: 'Archive a project (its keys stop working)', suffix: '/archive' }],
  },
  {
    noun: 'project-users',
    summary: 'Members of a project (every project when --project is left out)',
    path: `${PROJECT}/users`,
    scope: 'project',
    columns: ['id', 'name', 'email', 'role', 'added_at'],
    list: {},
    get: true,
    create: [
      { flag: 'user-id', kind: 'string', description: 'the organisation user to add' },
      { flag: 'email', kind: 'string', description: 'or their e-mail' },
      { flag: 'role', kind: 'string', required: true, choices: ['owner', 'member'], description: 'project role' },
    ],
    update: [{ flag: 'role', kind: 'string', required: true, choices: ['owner', 'member'], description: 'project role' }],
    delete: true,
  },
  {
    noun: 'service-accounts',
    summary: "A project's service accounts (create makes one with its key)",
    path: `${PROJECT}/service_accounts`,
    scope: 'project',
    columns: ['id', 'name', 'role', 'created_at'],
    list: {},
    get: true,
    create: [{ flag: 'name', kind: 'string', required: true, description: 'service account name' }],
    update: [
      { flag: 'name', kind: 'string', description: 'new name' },
      { flag: 'role', kind: 'string', choices: ['owner', 'member'], description: 'project role' },
    ],
    delete: true,
    secretField: 'api_key.value',
  },
  {
    noun: 'keys',
    summary: 'Project API keys with owner and last use, joined with rekey credentials (every project when --project is left out)',
    path: `${PROJECT}/api_keys`,
    scope: 'project',
    columns: ['id', 'name', 'redacted_value', 'owner.type', 'owner', 'created_at', 'last_used_at'],
    computed: { owner: keyOwner },
    list: {},
    get: true,
    delete: true,
    joinKeyColumn: 'id',
  },
  {
    noun: 'admin-keys',
    summary: 'Admin API keys (create writes the new value to --value-file only)',
    path: '/organization/admin_api_keys',
    columns: ['id', 'name', 'redacted_value', 'owner.name', 'created_at', 'expires_at', 'last_used_at'],
    list: {},
    get: true,
    create: [
      { flag: 'name', kind: 'string', required: true, description: 'key name' },
      { flag: 'expires-in-seconds', kind: 'integer', description: 'lifetime (1..31536000), default none' },
    ],
    delete: true,
    secretField: 'value',
  },
  {
    noun: 'rate-limits',
    summary: "A project's rate limits per model",
    path: `${PROJECT}/rate_limits`,
    scope: 'project',
    columns: ['id', 'model', 'max_requests_per_1_minute', 'max_tokens_per_1_minute', 'max_requests_per_1_day', 'batch_1_day_max_input_tokens'],
    list: {},
    update: RATE_LIMIT_FIELDS,
  },
  {
    noun: 'model-permissions',
    summary: "A project's model allow or deny list (get, set, delete)",
    path: `${PROJECT}/model_permissions`,
    scope: 'project',
    singleton: true,
    columns: ['mode', 'model_ids'],
    get: true,
    create: [
      { flag: 'mode', kind: 'string', required: true, choices: ['allow_list', 'deny_list'], description: 'allow or deny the listed models' },
      { flag: 'model', target: 'model_ids', kind: 'strings', required: true, description: 'a model id (repeatable)' },
    ],
    delete: true,
  },
  {
    noun: 'spend-limits',
    summary: "A project's monthly spend limit in USD (get, set, delete)",
    path: `${PROJECT}/spend_limit`,
    scope: 'project',
    singleton: true,
    columns: ['threshold_amount', 'currency', 'interval', 'enforcement.status'],
    get: true,
    create: [{ flag: 'threshold-amount', kind: 'integer', required: true, description: 'monthly limit in USD' }],
    constants: { currency: 'USD', interval: 'month' },
    delete: true,
  },
  {
    noun: 'spend-alerts',
    summary: 'Spend alerts of the organisation, or of a project with --project',
    path: `${PROJECT}/spend_alerts`,
    unscopedPath: '/organization/spend_alerts',
    scope: 'project',
    columns: ['id', 'threshold_amount', 'currency', 'interval', 'notification_channel.recipients'],
    list: {},
    get: true,
    create: [
      { flag: 'threshold-amount', kind: 'integer', required: true, description: 'alert at this monthly spend in USD' },
      { flag: 'recipient', target: 'notification_channel.recipients', kind: 'strings', required: true, description: 'an e-mail address to notify (repeatable)' },
    ],
    update: [
      { flag: 'threshold-amount', kind: 'integer', description: 'alert at this monthly spend in USD' },
      { flag: 'recipient', target: 'notification_channel.recipients', kind: 'strings', description: 'an e-mail address to notify (repeatable)' },
    ],
    constants: { currency: 'USD', interval: 'month', 'notification_channel.type': 'email' },
    delete: true,
  },
  {
    noun: 'certificates',
    summary: 'Organisation certificates for mutual TLS (upload, rename, activate, deactivate, delete)',
    path: '/organization/certificates',
    columns: ['id', 'name', 'active', 'created_at', 'certificate_details.valid_at', 'certificate_details.expires_at'],
    list: {},
    get: true,
    create: [
      { flag: 'certificate-file', target: 'certificate', kind: 'file', required: true, description: 'PEM file to upload' },
      { flag: 'name', kind: 'string', description: 'certificate name' },
    ],
    update: [{ flag: 'name', kind: 'string', required: true, description: 'new name' }],
    delete: true,
    actions: [
      { verb: 'activate', summary: 'Activate certificates', suffix: '/activate', idsField: 'certificate_ids' },
      { verb: 'deactivate', summary: 'Deactivate certificates', suffix: '/deactivate', idsField: 'certificate_ids' },
    ],
  },
];
