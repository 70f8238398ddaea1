/** `rekey credential add|edit|list|show|versions|set-value|promote|rollback|reveal|remove`. */
import type { Command } from 'commander';
import { collect } from '../cli-options.js';
import { UsageError } from '../../core/errors.js';
import { assertCredentialName } from '../../core/credential-name.js';
import { formatDuration, parseDurationSeconds } from '../../core/duration.js';
import { PROVIDER_KINDS, type CredentialPolicy, type ProviderKind } from '../../core/types.js';
import { fingerprintLabel } from '../../crypto/fingerprint.js';
import { withCliContext } from '../cli-context.js';
import { serverUrl } from '../server-client.js';
import { ageDays, consumerJson, credentialJson, versionJson } from '../cli-json.js';
import { colour, outputFormat, printJson, printList, type Column } from '../output.js';
import { confirm, readSecretValue } from '../secret-input.js';
import type { Credential, VersionRecord } from '../../core/types.js';


function parsePairs(pairs: string[] | undefined, option: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const match = /^([A-Za-z0-9_.-]+)=(.*)$/.exec(pair);
    if (match === null || match[1] === undefined || match[2] === undefined) {
      throw new UsageError(`${option} "${pair}" is not key=value`);
    }
    result[match[1]] = match[2];
  }
  return result;
}

function parsePositiveInteger(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw new UsageError(`${option} must be a positive whole number, not "${text}"`);
  return Number(text);
}

function parseProvider(text: string): ProviderKind {
  if (!(PROVIDER_KINDS as readonly string[]).includes(text)) {
    throw new UsageError(`unknown provider "${text}"`, { hint: `use one of: ${PROVIDER_KINDS.join(', ')}` });
  }
  return text as ProviderKind;
}

interface AddOptions {
  provider: string;
  environment?: string;
  owner?: string;
  purpose?: string;
  scope?: string[];
  allowedModel?: string[];
  tag?: string[];
  rotateEveryDays?: string;
  maxAgeDays?: string;
  graceQuiet?: string;
  graceMax?: string;
  onLeak?: string;
  readValue?: boolean;
  providerKeyId?: string;
  force?: boolean;
  json?: boolean;
}

/** The variable that holds each provider's admin credential: the preflight at `add` runs only when it is set. */
const ADMIN_VARIABLE: Partial<Record<ProviderKind, string>> = {
  openai: 'OPENAI_ADMIN_KEY',
  anthropic: 'ANTHROPIC_ADMIN_KEY',
  openrouter: 'OPENROUTER_MANAGEMENT_KEY',
  'azure-openai': 'AZURE_MANAGEMENT_TOKEN',
};

function policyFrom(options: AddOptions): CredentialPolicy {
  if (options.onLeak !== undefined && options.onLeak !== 'rotate' && options.onLeak !== 'alert') {
    throw new UsageError(`--on-leak must be rotate or alert, not "${options.onLeak}"`);
  }
  const policy: CredentialPolicy = {};
  const rotateEveryDays = parsePositiveInteger(options.rotateEveryDays, '--rotate-every-days');
  const maxAgeDays = parsePositiveInteger(options.maxAgeDays, '--max-age-days');
  if (rotateEveryDays !== undefined) policy.rotateEveryDays = rotateEveryDays;
  if (maxAgeDays !== undefined) policy.maxAgeDays = maxAgeDays;
  if (options.graceQuiet !== undefined) policy.graceQuietSeconds = parseDurationSeconds(options.graceQuiet, '--grace-quiet');
  if (options.graceMax !== undefined) policy.graceMaxSeconds = parseDurationSeconds(options.graceMax, '--grace-max');
  if (options.onLeak !== undefined) policy.onLeak = options.onLeak as 'rotate' | 'alert';
  return policy;
}

const PROVIDER_KEY_ID_HELP = "the provider's id for this key (OpenAI key_…, Anthropic apikey_…, OpenRouter hash), so a rotation can revoke it";

function providerKeyIdOption(text: string | undefined, hasValue: boolean): string | null {
  if (text === undefined) return null;
  if (!hasValue) throw new UsageError('--provider-key-id needs a value to go with it (--read-value)');
  if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(text)) throw new UsageError(`--provider-key-id "${text.slice(0, 40)}" holds characters a provider id does not`);
  if (/^sk-/.test(text)) throw new UsageError('--provider-key-id takes the key\'s id, not the key itself; pass the key on stdin');
  return text;
}

const versionColumns: Array<Column<VersionRecord>> = [
  { header: 'VERSION', value: (version) => version.number },
  { header: 'STAGE', value: (version) => version.stage },
  { header: 'HINT', value: (version) => version.hint },
  { header: 'FINGERPRINT', value: (version) => fingerprintLabel(version.fingerprint) },
  { header: 'PROVIDER KEY', value: (version) => version.providerKeyId ?? '' },
  { header: 'CREATED', value: (version) => version.createdAt.toISOString() },
  { header: 'MINTED BY', value: (version) => version.mintedBy },
  { header: 'SHREDDED', value: (version) => version.shreddedAt?.toISOString() ?? '' },
];

export function register(program: Command): void {
  const credential = program.command('credential').description('Manage credentials (logical keys) and their versions');

  credential
    .command('add <name>')
    .description('Add a credential; with --read-value its first value is read from stdin or a hidden prompt')
    .requiredOption('--provider <provider>', `provider: ${PROVIDER_KINDS.join(', ')}`)
    .option('--environment <environment>', 'environment (default: the last segment of the name)')
    .option('--owner <owner>', 'owning team or person')
    .option('--purpose <purpose>', 'what the key is for')
    .option('--scope <key=value>', 'provider scope, e.g. project=proj_abc (repeatable)', collect)
    .option('--allowed-model <model>', 'a model this key may use (repeatable)', collect)
    .option('--tag <key=value>', 'a tag (repeatable)', collect)
    .option('--rotate-every-days <days>', 'rotation cadence for scheduled rotation')
    .option('--max-age-days <days>', 'a current version older than this violates policy')
    .option('--grace-quiet <duration>', 'grace ends after the old key is quiet this long (e.g. 15m)')
    .option('--grace-max <duration>', 'hold instead of revoking when the old key is still used after this')
    .option('--on-leak <action>', 'rotate or alert when the scanner finds this key')
    .option('--read-value', 'read the current value from stdin (or a hidden prompt on a terminal)')
    .option('--provider-key-id <id>', PROVIDER_KEY_ID_HELP)
    .option('--force', "store a value of a custom format, or a scope rekey does not expect for the provider")
    .option('--json', 'print JSON')
    .action(async (name: string, options: AddOptions) => {
      assertCredentialName(name);
      const provider = parseProvider(options.provider);
      const environment = options.environment ?? name.split('/').at(-1) ?? '';
      const policy = policyFrom(options);
      const scope = parsePairs(options.scope, '--scope');
      const { keyShapeProblem, scopeProblems } = await import('../../providers/key-shapes.js');
      const problems = scopeProblems(provider, scope);
      if (problems.length > 0 && options.force !== true) {
        throw new UsageError(problems.join('; '), { hint: `e.g. rekey credential add ${name} --provider ${provider} --scope project=proj_… (the id from the provider's console); --force skips this check` });
      }
      const value = options.readValue === true ? await readSecretValue(`value for ${name}`) : undefined;
      const shape = value === undefined ? undefined : keyShapeProblem(provider, value.reveal());
      if (shape !== undefined && options.force !== true) {
        throw new UsageError(shape, { hint: `paste the ${provider} key, or pass --force to store a custom format` });
      }
      const { addCredential } = await import('../../vault/credential-service.js');
      const input = {
        name,
        provider,
        environment,
        owner: options.owner ?? null,
        purpose: options.purpose ?? null,
        scope,
        allowedModels: options.allowedModel ?? [],
        tags: parsePairs(options.tag, '--tag'),
        policy,
      };
      const providerKeyId = providerKeyIdOption(options.providerKeyId, value !== undefined);
      const result = serverUrl() !== undefined ? await remote.add(input, value?.reveal(), providerKeyId, options.force === true) : await withCliContext((context) =>
        addCredential(context, input, value, providerKeyId));
      if (options.json === true) {
        printJson({ credential: credentialJson(result.credential), version: result.version === undefined ? null : versionJson(result.version) });
      } else {
        const versionText = result.version === undefined ? 'no value yet' : `version ${result.version.number} current (${result.version.hint})`;
        process.stdout.write(`${colour.green('added')} ${name} (${provider}, ${environment}): ${versionText}\n`);
      }
      await preflightAfterAdd(name, provider);
    });

  credential
    .command('edit <name>')
    .description("Mend a credential in place: scope, owner, purpose, allowed models, policy, the current version's provider key id (audited)")
    .option('--scope <key=value>', 'set a scope entry, e.g. project=proj_abc (repeatable)', collect)
    .option('--unset-scope <key>', 'remove a scope entry (repeatable)', collect)
    .option('--owner <owner>', 'owning team or person ("" clears it)')
    .option('--purpose <purpose>', 'what the key is for ("" clears it)')
    .option('--allowed-model <model>', 'the models this key may use: replaces the list (repeatable)', collect)
    .option('--any-model', 'clear the allowed models (any model)')
    .option('--rotate-every-days <days>', 'rotation cadence for scheduled rotation')
    .option('--max-age-days <days>', 'a current version older than this violates policy')
    .option('--grace-quiet <duration>', 'grace ends after the old key is quiet this long (e.g. 15m)')
    .option('--grace-max <duration>', 'hold instead of revoking when the old key is still used after this')
    .option('--on-leak <action>', 'rotate or alert when the scanner finds this key')
    .option('--unset-policy <field>', 'remove a policy field: rotateEveryDays, maxAgeDays, graceQuietSeconds, graceMaxSeconds, onLeak (repeatable)', collect)
    .option('--provider-key-id <id>', "set the provider's id of the current version's key (or of --version)")
    .option('--version <number>', 'with --provider-key-id: this version instead of the current one')
    .option('--force', 'accept a scope rekey does not expect for the provider')
    .option('--json', 'print JSON')
    .action(async (name: string, options: EditOptions) => {
      const { editCredential } = await import('../../vault/credential-service.js');
      const { scopeProblems } = await import('../../providers/key-shapes.js');
      const patch = editPatch(options);
      const version = parsePositiveInteger(options.version, '--version');
      if (version !== undefined && options.providerKeyId === undefined) throw new UsageError('--version goes with --provider-key-id');
      const providerKeyId = options.providerKeyId === undefined ? undefined : providerKeyIdOption(options.providerKeyId, true);
      const result = serverUrl() !== undefined ? await remote.edit(name, { ...patch, providerKeyId, version, force: options.force === true }) : await withCliContext((context) =>
        editCredential(context, name, patch, {
          providerKeyId: providerKeyId ?? undefined,
          version,
          checkScope: options.force === true ? undefined : (provider, scope) => scopeProblems(provider, scope),
        }),
      );
      if (options.json === true) printJson({ credential: credentialJson(result.credential), changed: result.changed });
      else if (result.changed.length === 0) process.stdout.write(`${name}: nothing to change\n`);
      else process.stdout.write(`${colour.green('edited')} ${name}: ${result.changed.join(', ')}\n`);
      if (result.changed.some((field) => field === 'scope' || field === 'provider key id')) await preflightAfterAdd(name, result.credential.provider);
    });

  credential
    .command('list')
    .description('List credentials')
    .option('--provider <provider>', 'only this provider')
    .option('--environment <environment>', 'only this environment')
    .option('--output <format>', 'table, json or csv')
    .option('--json', 'print JSON')
    .action(async (options: { provider?: string; environment?: string; output?: string; json?: boolean }) => {
      const format = outputFormat(options);
      const rows = serverUrl() !== undefined ? await remote.list(options) : await withCliContext(async ({ store, clock }) => {
        const filter: { provider?: string; environment?: string } = {};
        if (options.provider !== undefined) filter.provider = parseProvider(options.provider);
        if (options.environment !== undefined) filter.environment = options.environment;
        const credentials = await store.listCredentials(filter);
        return Promise.all(credentials.map(async (item) => ({
          credential: item,
          current: await store.getVersionByStage(item.id, 'current'),
          now: clock.now(),
        })));
      });
      const columns: Array<Column<(typeof rows)[number]>> = [
        { header: 'NAME', value: (row) => row.credential.name },
        { header: 'PROVIDER', value: (row) => row.credential.provider },
        { header: 'ENV', value: (row) => row.credential.environment },
        { header: 'OWNER', value: (row) => row.credential.owner ?? '' },
        { header: 'CURRENT', value: (row) => (row.current === undefined ? '-' : `v${row.current.number} ${row.current.hint}`) },
        { header: 'AGE (DAYS)', value: (row) => (row.current === undefined ? '' : ageDays(row.current.stageChangedAt, row.now)) },
      ];
      printList(rows, columns, format, (row) => ({
        ...credentialJson(row.credential),
        current: row.current === undefined ? null : versionJson(row.current),
      }));
    });

  credential
    .command('show <name>')
    .description('Show a credential, its live versions and consumers')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const { requireCredential } = await import('../../vault/credential-service.js');
      const { item, versions, consumers } = serverUrl() !== undefined ? await remote.show(name) : await withCliContext(async ({ store }) => {
        const found = await requireCredential(store, name);
        return { item: found, versions: await store.listVersions(found.id), consumers: await store.listConsumers(found.id) };
      });
      if (options.json === true) {
        printJson({ ...credentialJson(item), versions: versions.map(versionJson), consumers: consumers.map(consumerJson) });
        return;
      }
      printCredential(item, versions, consumers.length);
    });

  credential
    .command('versions <name>')
    .description('List every version of a credential')
    .option('--output <format>', 'table, json or csv')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { output?: string; json?: boolean }) => {
      const format = outputFormat(options);
      const { requireCredential } = await import('../../vault/credential-service.js');
      const versions = serverUrl() !== undefined ? (await remote.show(name)).versions : await withCliContext(async ({ store }) => store.listVersions((await requireCredential(store, name)).id));
      printList(versions, versionColumns, format, versionJson);
    });

  credential
    .command('set-value <name>')
    .description('Store a new value (stdin or hidden prompt): current if there is none, else pending')
    .option('--stage <stage>', 'pending or current')
    .option('--provider-key-id <id>', PROVIDER_KEY_ID_HELP)
    .option('--json', 'print JSON')
    .action(async (name: string, options: { stage?: string; providerKeyId?: string; json?: boolean }) => {
      if (options.stage !== undefined && options.stage !== 'pending' && options.stage !== 'current') {
        throw new UsageError(`--stage must be pending or current, not "${options.stage}"`);
      }
      const { setCredentialValue } = await import('../../vault/credential-service.js');
      const value = await readSecretValue(`new value for ${name}`);
      const providerKeyId = providerKeyIdOption(options.providerKeyId, true);
      const stage = options.stage as 'pending' | 'current' | undefined;
      const version = serverUrl() !== undefined
        ? await remote.setValue(name, { value: value.reveal(), ...(stage === undefined ? {} : { stage }), providerKeyId })
        : await withCliContext((context) => setCredentialValue(context, name, value, stage, providerKeyId));
      if (options.json === true) printJson(versionJson(version));
      else process.stdout.write(`${colour.green('stored')} ${name} version ${version.number} as ${version.stage} (${version.hint})\n`);
    });

  credential
    .command('promote <name>')
    .description('Make the pending version current; the current one becomes previous')
    .option('--version <number>', 'promote this version (default: the pending one)')
    .option('--previous-revoked', 'the existing previous version has been revoked at the provider; mark it revoked')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { version?: string; previousRevoked?: boolean; json?: boolean }) => {
      const { promoteCredential } = await import('../../vault/credential-service.js');
      const version = parsePositiveInteger(options.version, '--version');
      const result = await withCliContext((context) => promoteCredential(context, name, { version, previousRevoked: options.previousRevoked }));
      if (options.json === true) {
        printJson({ current: result.promoted.number, previous: result.demoted?.number ?? null });
      } else {
        const demoted = result.demoted === undefined ? '' : `; version ${result.demoted.number} is previous`;
        process.stdout.write(`${colour.green('promoted')} ${name} version ${result.promoted.number} to current${demoted}\n`);
      }
    });

  credential
    .command('rollback <name>')
    .description('Make the previous version current again; the current one is discarded')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const { rollbackCredential } = await import('../../vault/credential-service.js');
      const result = await withCliContext((context) => rollbackCredential(context, name));
      if (options.json === true) printJson(result);
      else process.stdout.write(`${colour.green('rolled back')} ${name}: version ${result.current} is current, version ${result.discarded} discarded\n`);
    });

  credential
    .command('reveal <name>')
    .description('Print a version\'s value to stdout (audited; asks for confirmation)')
    .option('--version <number>', 'this version (default: current)')
    .option('--yes', 'do not ask (required when not on a terminal)')
    .action(async (name: string, options: { version?: string; yes?: boolean }) => {
      const version = parsePositiveInteger(options.version, '--version');
      await confirm(`reveal the value of ${name}${version === undefined ? '' : ` version ${version}`}?`, options.yes);
      if (serverUrl() !== undefined) {
        process.stdout.write((await remote.reveal(name, version)) + '\n');
        return;
      }
      const { revealCredential } = await import('../../vault/credential-service.js');
      const result = await withCliContext((context) => revealCredential(context, name, version));
      process.stdout.write(result.value.reveal() + '\n');
    });

  credential
    .command('remove <name>')
    .description('Remove a credential and its versions from the vault (keys at the provider are not revoked)')
    .option('--yes', 'do not ask (required when not on a terminal)')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { yes?: boolean; json?: boolean }) => {
      await confirm(`remove ${name} and all its versions?`, options.yes);
      const { removeCredential } = await import('../../vault/credential-service.js');
      const result = serverUrl() !== undefined ? await remote.remove(name) : await withCliContext((context) => removeCredential(context, name));
      if (options.json === true) printJson({ removed: name, ...result });
      else {
        process.stdout.write(`${colour.green('removed')} ${name}\n`);
        if (result.liveVersions > 0) {
          process.stderr.write(colour.yellow(`warning: ${result.liveVersions} version(s) were live; revoke them at the provider\n`));
        }
      }
    });
}

interface EditOptions {
  scope?: string[];
  unsetScope?: string[];
  owner?: string;
  purpose?: string;
  allowedModel?: string[];
  anyModel?: boolean;
  rotateEveryDays?: string;
  maxAgeDays?: string;
  graceQuiet?: string;
  graceMax?: string;
  onLeak?: string;
  unsetPolicy?: string[];
  providerKeyId?: string;
  version?: string;
  force?: boolean;
  json?: boolean;
}

const POLICY_FIELDS = ['rotateEveryDays', 'maxAgeDays', 'graceQuietSeconds', 'graceMaxSeconds', 'onLeak'] as const;

function editPatch(options: EditOptions): import('../../vault/credential-service.js').CredentialEdit {
  if (options.anyModel === true && options.allowedModel !== undefined) throw new UsageError('use either --allowed-model or --any-model');
  for (const field of options.unsetPolicy ?? []) {
    if (!(POLICY_FIELDS as readonly string[]).includes(field)) throw new UsageError(`--unset-policy "${field}" is not a policy field`, { hint: `one of: ${POLICY_FIELDS.join(', ')}` });
  }
  const edit: import('../../vault/credential-service.js').CredentialEdit = {
    setScope: parsePairs(options.scope, '--scope'),
    unsetScope: options.unsetScope ?? [],
    policy: policyFrom({ provider: '', ...options }),
    unsetPolicy: (options.unsetPolicy ?? []) as Array<keyof CredentialPolicy>,
  };
  if (options.owner !== undefined) edit.owner = options.owner === '' ? null : options.owner;
  if (options.purpose !== undefined) edit.purpose = options.purpose === '' ? null : options.purpose;
  if (options.allowedModel !== undefined) edit.allowedModels = options.allowedModel;
  if (options.anyModel === true) edit.allowedModels = [];
  return edit;
}

/**
 * After `add` or an `edit` of the scope: the provider preflight when its admin credential is
 * in the environment (a warning when it fails: `credential edit` mends it); else one line
 * saying what was not checked and how to check it.
 */
async function preflightAfterAdd(name: string, provider: ProviderKind): Promise<void> {
  // In server mode the provider is checked where the rotation runs: `rekey rotate --dry-run` there.
  if (serverUrl() !== undefined) return;
  const variable = ADMIN_VARIABLE[provider];
  if (variable === undefined) return;
  if ((process.env[variable] ?? '') === '') {
    process.stderr.write(colour.dim(`not checked at ${provider} (${variable} is not set): run \`rekey doctor --provider ${provider}\` or \`rekey rotate ${name} --dry-run\` with it set`) + '\n');
    return;
  }
  const { preflightCredential } = await import('../cli-services.js');
  const { preflightFailed } = await import('../../rotation/preflight.js');
  const { requireCredential } = await import('../../vault/credential-service.js');
  const checks = await withCliContext(async (context) => preflightCredential(context, await requireCredential(context.store, name)));
  if (!preflightFailed(checks)) {
    process.stderr.write(colour.dim(`checked at ${provider}: ${checks.filter((check) => check.result === 'ok').map((check) => check.check).join(', ')} ok`) + '\n');
    return;
  }
  for (const check of checks.filter((entry) => entry.result === 'failed')) process.stderr.write(colour.yellow(`warning: preflight ${check.check}: ${check.detail}`) + '\n');
  process.stderr.write(`hint: mend it with \`rekey credential edit ${name} --scope …\` (or --provider-key-id …); a rotation would fail as it is\n`);
}

function printCredential(item: Credential, versions: VersionRecord[], consumerCount: number): void {
  const line = (label: string, value: string): void => {
    process.stdout.write(`${colour.dim(label.padEnd(15))}${value}\n`);
  };
  line('name', item.name);
  line('provider', item.provider);
  line('environment', item.environment);
  line('scope', Object.entries(item.scope).map(([key, value]) => `${key}=${value}`).join(', ') || '-');
  line('owner', item.owner ?? '-');
  line('purpose', item.purpose ?? '-');
  line('allowed models', item.allowedModels.join(', ') || '(any)');
  line('tags', Object.entries(item.tags).map(([key, value]) => `${key}=${value}`).join(', ') || '-');
  line('policy', describePolicy(item.policy));
  line('consumers', String(consumerCount));
  for (const version of versions.filter((entry) => entry.stage === 'current' || entry.stage === 'previous' || entry.stage === 'pending')) {
    line(version.stage, `v${version.number} ${version.hint} ${fingerprintLabel(version.fingerprint)} since ${version.stageChangedAt.toISOString()}`);
  }
}

/** `every 30 days, max age 90 days, grace quiet 15m`, or `(none: never due, default grace)`. */
export function describePolicy(policy: CredentialPolicy): string {
  const parts: string[] = [];
  if (policy.rotateEveryDays !== undefined) parts.push(`rotate every ${policy.rotateEveryDays} days`);
  if (policy.maxAgeDays !== undefined) parts.push(`max age ${policy.maxAgeDays} days`);
  if (policy.graceQuietSeconds !== undefined) parts.push(`grace quiet ${formatDuration(policy.graceQuietSeconds)}`);
  if (policy.graceMaxSeconds !== undefined) parts.push(`grace max ${formatDuration(policy.graceMaxSeconds)}`);
  if (policy.onLeak !== undefined) parts.push(`on leak: ${policy.onLeak}`);
  for (const [key, value] of Object.entries(policy)) {
    if (!(POLICY_FIELDS as readonly string[]).includes(key)) parts.push(`${key}: ${JSON.stringify(value)}`);
  }
  return parts.length === 0 ? '(none: no cadence, so never due; default grace 15m quiet, 24h max)' : parts.join(', ');
}

/** The same operations through a rekey server (`--server` / REKEY_SERVER), returning what the local ones return. */
const remote = {
  async setValue(name: string, body: { value: string; stage?: 'pending' | 'current'; providerKeyId: string | null }) {
    const { credentialSegment, versionFromWire } = await import('../remote-state.js');
    const { versionSchema } = await import('../../server/api/api-schemas.js');
    // The answer names no credential id, and nothing printed needs it.
    return versionFromWire(await (await remote.client()).request('POST', `/v1/credentials/${credentialSegment(name)}/versions`, versionSchema, body), '');
  },
  async client() {
    return (await import('../server-client.js')).openApiClient();
  },
  async list(options: { provider?: string; environment?: string }) {
    const { credentialSummarySchema } = await import('../../server/api/api-schemas.js');
    const { credentialFromWire, versionFromWire } = await import('../remote-state.js');
    const { z } = await import('zod');
    const query = new URLSearchParams();
    if (options.provider !== undefined) query.set('provider', parseProvider(options.provider));
    if (options.environment !== undefined) query.set('environment', options.environment);
    const rows = await (await remote.client()).request('GET', `/v1/credentials${query.size === 0 ? '' : `?${query.toString()}`}`, z.array(credentialSummarySchema));
    const now = new Date();
    return rows.map((row) => ({ credential: credentialFromWire(row.credential), current: row.current === null ? undefined : versionFromWire(row.current, row.credential.id), now }));
  },
  async show(name: string) {
    assertCredentialName(name);
    const { credentialDetailSchema } = await import('../../server/api/api-schemas.js');
    const { consumerFromWire, credentialFromWire, credentialSegment, versionFromWire } = await import('../remote-state.js');
    const detail = await (await remote.client()).request('GET', `/v1/credentials/${credentialSegment(name)}`, credentialDetailSchema);
    const item = credentialFromWire(detail.credential);
    return { item, versions: detail.versions.map((version) => versionFromWire(version, item.id)), consumers: detail.consumers.map((consumer) => consumerFromWire(consumer, item.id)) };
  },
  async reveal(name: string, version: number | undefined): Promise<string> {
    assertCredentialName(name);
    const { credentialSegment } = await import('../remote-state.js');
    const { z } = await import('zod');
    const answer = await (await remote.client()).request('POST', `/v1/credentials/${credentialSegment(name)}/reveal`, z.object({ value: z.string() }).loose(), version === undefined ? {} : { version });
    return answer.value;
  },
  async remove(name: string) {
    assertCredentialName(name);
    const { credentialSegment } = await import('../remote-state.js');
    const { z } = await import('zod');
    return (await remote.client()).request('DELETE', `/v1/credentials/${credentialSegment(name)}`, z.object({ liveVersions: z.number() }).loose());
  },
  async add(input: import('../../store/store.js').NewCredential, value: string | undefined, providerKeyId: string | null, force: boolean) {
    const { credentialSchema, versionSchema } = await import('../../server/api/api-schemas.js');
    const { credentialFromWire, versionFromWire } = await import('../remote-state.js');
    const { z } = await import('zod');
    const answer = await (await remote.client()).request('POST', '/v1/credentials', z.object({ credential: credentialSchema, version: versionSchema.nullable() }), {
      ...input,
      ...(value === undefined ? {} : { value }),
      providerKeyId,
      force,
    });
    const credential = credentialFromWire(answer.credential);
    return { credential, version: answer.version === null ? undefined : versionFromWire(answer.version, credential.id) };
  },
  async edit(name: string, body: Record<string, unknown>) {
    const { credentialSchema } = await import('../../server/api/api-schemas.js');
    const { credentialFromWire, credentialSegment } = await import('../remote-state.js');
    const { z } = await import('zod');
    const answer = await (await remote.client()).request('PATCH', `/v1/credentials/${credentialSegment(name)}`, z.object({ credential: credentialSchema, changed: z.array(z.string()) }), body);
    return { credential: credentialFromWire(answer.credential), changed: answer.changed };
  },
};
