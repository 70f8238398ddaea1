/** `rekey credential add|list|show|versions|set-value|promote|rollback|reveal|remove`. */
import type { Command } from 'commander';
import { collect } from '../cli-options.js';
import { UsageError } from '../../core/errors.js';
import { parseDurationSeconds } from '../../core/duration.js';
import { PROVIDER_KINDS, type CredentialPolicy, type ProviderKind } from '../../core/types.js';
import { fingerprintLabel } from '../../crypto/fingerprint.js';
import { withCliContext } from '../cli-context.js';
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
  json?: boolean;
}

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
    .option('--json', 'print JSON')
    .action(async (name: string, options: AddOptions) => {
      const provider = parseProvider(options.provider);
      const environment = options.environment ?? name.split('/').at(-1) ?? '';
      const policy = policyFrom(options);
      const value = options.readValue === true ? await readSecretValue(`value for ${name}`) : undefined;
      const { addCredential } = await import('../../vault/credential-service.js');
      const result = await withCliContext((context) =>
        addCredential(context, {
          name,
          provider,
          environment,
          owner: options.owner ?? null,
          purpose: options.purpose ?? null,
          scope: parsePairs(options.scope, '--scope'),
          allowedModels: options.allowedModel ?? [],
          tags: parsePairs(options.tag, '--tag'),
          policy,
        }, value, providerKeyIdOption(options.providerKeyId, value !== undefined)));
      if (options.json === true) {
        printJson({ credential: credentialJson(result.credential), version: result.version === undefined ? null : versionJson(result.version) });
      } else {
        const versionText = result.version === undefined ? 'no value yet' : `version ${result.version.number} current (${result.version.hint})`;
        process.stdout.write(`${colour.green('added')} ${name} (${provider}, ${environment}): ${versionText}\n`);
      }
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
      const rows = await withCliContext(async ({ store, clock }) => {
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
      const { item, versions, consumers } = await withCliContext(async ({ store }) => {
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
      const versions = await withCliContext(async ({ store }) => store.listVersions((await requireCredential(store, name)).id));
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
      const version = await withCliContext((context) => setCredentialValue(context, name, value, options.stage as 'pending' | 'current' | undefined, providerKeyId));
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
      const result = await withCliContext((context) => removeCredential(context, name));
      if (options.json === true) printJson({ removed: name, ...result });
      else {
        process.stdout.write(`${colour.green('removed')} ${name}\n`);
        if (result.liveVersions > 0) {
          process.stderr.write(colour.yellow(`warning: ${result.liveVersions} version(s) were live; revoke them at the provider\n`));
        }
      }
    });
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
  line('policy', JSON.stringify(item.policy));
  line('consumers', String(consumerCount));
  for (const version of versions.filter((entry) => entry.stage === 'current' || entry.stage === 'previous' || entry.stage === 'pending')) {
    line(version.stage, `v${version.number} ${version.hint} ${fingerprintLabel(version.fingerprint)} since ${version.stageChangedAt.toISOString()}`);
  }
}
