/** `rekey consumer add|update|list|remove`: where a credential is delivered (the where-used inventory). */
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { collect } from '../cli-options.js';
import { NotFoundError, UsageError } from '../../core/errors.js';
import { withCliContext } from '../cli-context.js';
import { serverUrl } from '../server-client.js';
import { consumerJson } from '../cli-json.js';
import { colour, outputFormat, printJson, printList, type Column } from '../output.js';
import { confirm } from '../secret-input.js';
import type { Consumer } from '../../core/types.js';


interface AddOptions {
  kind: string;
  path?: string;
  var?: string;
  mode?: string;
  config?: string[];
  configJson?: string;
  reloadExec?: string;
  reloadKeyVia?: string;
  reloadEnvName?: string;
  reloadTimeout?: string;
  reloadJson?: string;
  app?: string;
  json?: boolean;
}

function parseJsonObject(text: string, option: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`${option} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`${option} must be a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Sinks whose `path` is a file on this machine (stored absolute); for the others (vault-kv) it is the remote's own path. */
const FILE_KINDS = new Set(['env-file', 'json-file', 'yaml-file']);

/** Sink options from the convenience flags, `--config key=value` and `--config-json`, over `base`. */
function sinkConfig(options: AddOptions, kind: string, base: Record<string, unknown> = {}): Record<string, unknown> {
  const config: Record<string, unknown> = options.configJson === undefined ? { ...base } : parseJsonObject(options.configJson, '--config-json');
  for (const pair of options.config ?? []) {
    const match = /^([A-Za-z0-9_.-]+)=(.*)$/.exec(pair);
    if (match?.[1] === undefined || match[2] === undefined) throw new UsageError(`--config "${pair}" is not key=value`);
    config[match[1]] = match[2];
  }
  if (options.path !== undefined) config['path'] = options.path;
  if (options.var !== undefined) config['name'] = options.var;
  if (options.mode !== undefined) config['mode'] = options.mode;
  // File paths are stored absolute: a rotation may run from another directory.
  if (FILE_KINDS.has(kind) && typeof config['path'] === 'string' && !isAbsolute(config['path'])) config['path'] = resolve(config['path']);
  return config;
}

function reloadConfig(options: AddOptions): Record<string, unknown> | null {
  const action = reloadAction(options);
  // `app` groups consumers that feed one app: it reloads once, after all of them have the key.
  if (options.app === undefined) return action;
  return { ...(action ?? {}), app: options.app };
}

function reloadAction(options: AddOptions): Record<string, unknown> | null {
  if (options.reloadJson !== undefined) {
    if (options.reloadExec !== undefined) throw new UsageError('use either --reload-exec or --reload-json');
    return parseJsonObject(options.reloadJson, '--reload-json');
  }
  if (options.reloadExec === undefined) return null;
  const command = options.reloadExec.trim().split(/\s+/).filter((part) => part !== '');
  if (command.length === 0) throw new UsageError('--reload-exec needs a command, e.g. "systemctl reload ticketing"');
  const reload: Record<string, unknown> = { kind: 'exec', command };
  if (options.reloadKeyVia !== undefined) reload['keyVia'] = options.reloadKeyVia;
  if (options.reloadEnvName !== undefined) reload['envName'] = options.reloadEnvName;
  if (options.reloadTimeout !== undefined) {
    const seconds = Number(options.reloadTimeout);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--reload-timeout must be a number of seconds, not "${options.reloadTimeout}"`);
    reload['timeoutSeconds'] = seconds;
  }
  return reload;
}

const columns: Array<Column<Consumer>> = [
  { header: 'NAME', value: (consumer) => consumer.name },
  { header: 'KIND', value: (consumer) => consumer.kind },
  { header: 'TARGET', value: (consumer) => [consumer.config['path'], consumer.config['name']].filter((part) => typeof part === 'string').join(' ') },
  { header: 'RELOAD', value: (consumer) => (consumer.reload === null ? '' : String(consumer.reload['kind'] ?? '')) },
  { header: 'ADDED', value: (consumer) => consumer.createdAt.toISOString() },
];

export function register(program: Command): void {
  const consumer = program.command('consumer').description('Manage where a credential is delivered (sinks and reload actions)');

  consumer
    .command('add <credential> <name>')
    .description('Add a consumer: a sink the key is written to on every rotation, with an optional reload action')
    .option('--kind <kind>', 'sink kind, e.g. env-file', 'env-file')
    .option('--path <path>', 'file sinks: the file (stored as an absolute path)')
    .option('--var <name>', 'env-file: the variable name, e.g. OPENAI_API_KEY (versioned names add _V<n>)')
    .option('--mode <mode>', 'file sinks: file mode, default 0600')
    .option('--config <key=value>', 'any sink option (repeatable)', collect)
    .option('--config-json <json>', 'all sink options as a JSON object (never put a key value here)')
    .option('--reload-exec <command>', 'run this after delivery (split on spaces, no shell); the key is passed through the environment')
    .option('--reload-key-via <how>', 'env (default), stdin or none')
    .option('--reload-env-name <name>', 'the variable that carries the key (default REKEY_KEY)')
    .option('--reload-timeout <seconds>', 'kill the reload command after this long (default 30)')
    .option('--reload-json <json>', 'the reload action as a JSON object')
    .option('--app <name>', 'the app this consumer feeds: its reload runs once, after every consumer of the app has the new key')
    .option('--json', 'print JSON')
    .action(async (credentialName: string, name: string, options: AddOptions) => {
      if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) throw new UsageError(`consumer name "${name.slice(0, 70)}" must be lower-case letters, digits, ".", "_" or "-"`);
      const { SINK_KINDS } = await import('../../sinks/sink-spec.js');
      if (!(SINK_KINDS as readonly string[]).includes(options.kind)) {
        throw new UsageError(`unknown sink kind "${options.kind.slice(0, 60)}"`, { hint: `known kinds: ${SINK_KINDS.join(', ')}` });
      }
      const config = sinkConfig(options, options.kind);
      const reload = reloadConfig(options);
      const added = serverUrl() !== undefined ? await remoteAdd(credentialName, { name, kind: options.kind, config, reload }) : await withCliContext(async (context) => {
        const credential = await context.store.getCredential(credentialName);
        if (credential === undefined) throw new NotFoundError(`no credential named ${credentialName}`);
        // Validate before storing: the factories throw a ConfigError naming the bad field.
        const { createSink } = await import('../../sinks/sink-registry.js');
        const { createReloadAction } = await import('../../sinks/reload-registry.js');
        await createSink({ name, kind: options.kind, config }, context.keys.fingerprintSalt);
        if (reload !== null && reload['kind'] !== undefined) await createReloadAction(name, reload);
        const created = await context.store.addConsumer({ credentialId: credential.id, name, kind: options.kind, config, reload });
        await context.audit.record({ event: 'consumer-add', actor: context.actor, credential: credential.name, fingerprint: null, outcome: 'ok', detail: { consumer: name, kind: options.kind } });
        return created;
      });
      if (options.json === true) printJson(consumerJson(added));
      else process.stdout.write(`${colour.green('added')} consumer ${name} (${added.kind}) to ${credentialName}\n`);
    });

  consumer
    .command('update <credential> <name>')
    .description("Mend a consumer in place: its sink options and reload action (name and kind stay; audited)")
    .option('--path <path>', 'file sinks: the file (stored as an absolute path); vault-kv: the secret path')
    .option('--var <name>', 'env-file: the variable name')
    .option('--mode <mode>', 'file sinks: file mode')
    .option('--config <key=value>', 'set a sink option (repeatable)', collect)
    .option('--unset-config <key>', 'remove a sink option (repeatable)', collect)
    .option('--config-json <json>', 'replace all sink options with this JSON object')
    .option('--reload-exec <command>', 'replace the reload action with this command (split on spaces, no shell)')
    .option('--reload-key-via <how>', 'env (default), stdin or none')
    .option('--reload-env-name <name>', 'the variable that carries the key (default REKEY_KEY)')
    .option('--reload-timeout <seconds>', 'kill the reload command after this long')
    .option('--reload-json <json>', 'replace the reload action with this JSON object')
    .option('--no-reload', 'remove the reload action')
    .option('--app <name>', 'the app this consumer feeds (its reload runs once per app)')
    .option('--json', 'print JSON')
    .action(async (credentialName: string, name: string, options: AddOptions & { unsetConfig?: string[]; reload?: boolean }) => {
      /** The consumer's new sink options and reload action, from what it has now and the flags. */
      const next = (existing: Consumer) => {
        const config = sinkConfig(options, existing.kind, existing.config);
        for (const key of options.unsetConfig ?? []) delete config[key];
        const reloadChanged = options.reload === false || options.reloadExec !== undefined || options.reloadJson !== undefined || options.app !== undefined;
        let reload = existing.reload;
        if (options.reload === false) {
          if (options.reloadExec !== undefined || options.reloadJson !== undefined) throw new UsageError('use either --no-reload or a new reload action');
          reload = options.app === undefined ? null : { app: options.app };
        } else if (options.reloadExec !== undefined || options.reloadJson !== undefined) {
          reload = reloadConfig(options);
        } else if (options.app !== undefined) {
          reload = { ...(existing.reload ?? {}), app: options.app };
        }
        return { config, reload, reloadChanged };
      };
      const updated = serverUrl() !== undefined ? await (async () => {
        const existing = (await remoteConsumers(credentialName)).find((entry) => entry.name === name);
        if (existing === undefined) throw new NotFoundError(`${credentialName} has no consumer named ${name}`, { hint: `list them with \`rekey consumer list ${credentialName}\`` });
        const { config, reload, reloadChanged } = next(existing);
        return remoteUpdate(credentialName, name, { config, ...(reloadChanged ? { reload } : {}) });
      })() : await withCliContext(async (context) => {
        const credential = await context.store.getCredential(credentialName);
        if (credential === undefined) throw new NotFoundError(`no credential named ${credentialName}`);
        const existing = (await context.store.listConsumers(credential.id)).find((entry) => entry.name === name);
        if (existing === undefined) throw new NotFoundError(`${credentialName} has no consumer named ${name}`, { hint: `list them with \`rekey consumer list ${credentialName}\`` });
        const { config, reload, reloadChanged } = next(existing);
        const { createSink } = await import('../../sinks/sink-registry.js');
        const { createReloadAction } = await import('../../sinks/reload-registry.js');
        await createSink({ name, kind: existing.kind, config }, context.keys.fingerprintSalt);
        if (reload !== null && reload['kind'] !== undefined) await createReloadAction(name, reload);
        const changed = [
          ...(JSON.stringify(config) === JSON.stringify(existing.config) ? [] : ['sink options']),
          ...(reloadChanged && JSON.stringify(reload) !== JSON.stringify(existing.reload) ? ['reload'] : []),
        ];
        if (changed.length === 0) return { consumer: existing, changed };
        const result = await context.store.updateConsumer(credential.id, name, { config, ...(changed.includes('reload') ? { reload } : {}) });
        await context.audit.record({ event: 'consumer-update', actor: context.actor, credential: credential.name, fingerprint: null, outcome: 'ok', detail: { consumer: name, kind: existing.kind, changed, config, reload: result.reload } });
        return { consumer: result, changed };
      });
      if (options.json === true) printJson({ ...consumerJson(updated.consumer), changed: updated.changed });
      else if (updated.changed.length === 0) process.stdout.write(`consumer ${name} of ${credentialName}: nothing to change\n`);
      else process.stdout.write(`${colour.green('updated')} consumer ${name} of ${credentialName}: ${updated.changed.join(', ')}\n`);
    });

  consumer
    .command('list <credential>')
    .description('List the consumers of a credential')
    .option('--output <format>', 'table, json or csv')
    .option('--json', 'print JSON')
    .action(async (credentialName: string, options: { output?: string; json?: boolean }) => {
      const format = outputFormat(options);
      const consumers = serverUrl() !== undefined ? await remoteConsumers(credentialName) : await withCliContext(async ({ store }) => {
        const credential = await store.getCredential(credentialName);
        if (credential === undefined) throw new NotFoundError(`no credential named ${credentialName}`);
        return store.listConsumers(credential.id);
      });
      printList(consumers, columns, format, consumerJson);
    });

  consumer
    .command('remove <credential> <name>')
    .description('Remove a consumer (its target is left as it is)')
    .option('--yes', 'do not ask for confirmation')
    .action(async (credentialName: string, name: string, options: { yes?: boolean }) => {
      await confirm(`remove consumer ${name} from ${credentialName}?`, options.yes);
      if (serverUrl() !== undefined) await remoteRemove(credentialName, name);
      else await withCliContext(async (context) => {
        const credential = await context.store.getCredential(credentialName);
        if (credential === undefined) throw new NotFoundError(`no credential named ${credentialName}`);
        await context.store.removeConsumer(credential.id, name);
        await context.audit.record({ event: 'consumer-remove', actor: context.actor, credential: credential.name, fingerprint: null, outcome: 'ok', detail: { consumer: name } });
      });
      process.stdout.write(`${colour.green('removed')} consumer ${name} from ${credentialName}\n`);
    });
}

async function remoteConsumers(credentialName: string): Promise<Consumer[]> {
  const { openApiClient } = await import('../server-client.js');
  const { consumerSchema } = await import('../../server/api/api-schemas.js');
  const { consumerFromWire, credentialSegment } = await import('../remote-state.js');
  const { z } = await import('zod');
  return (await openApiClient().request('GET', `/v1/credentials/${credentialSegment(credentialName)}/consumers`, z.array(consumerSchema))).map((consumer) => consumerFromWire(consumer, ''));
}

async function remoteAdd(credentialName: string, body: { name: string; kind: string; config: Record<string, unknown>; reload: Record<string, unknown> | null }): Promise<Consumer> {
  const { openApiClient } = await import('../server-client.js');
  const { consumerSchema } = await import('../../server/api/api-schemas.js');
  const { consumerFromWire, credentialSegment } = await import('../remote-state.js');
  return consumerFromWire(await openApiClient().request('POST', `/v1/credentials/${credentialSegment(credentialName)}/consumers`, consumerSchema, body), '');
}

async function remoteUpdate(credentialName: string, name: string, body: { config: Record<string, unknown>; reload?: Record<string, unknown> | null }): Promise<{ consumer: Consumer; changed: string[] }> {
  const { openApiClient } = await import('../server-client.js');
  const { consumerSchema } = await import('../../server/api/api-schemas.js');
  const { consumerFromWire, credentialSegment } = await import('../remote-state.js');
  const { z } = await import('zod');
  const answer = await openApiClient().request('PATCH', `/v1/credentials/${credentialSegment(credentialName)}/consumers/${encodeURIComponent(name)}`, z.object({ consumer: consumerSchema, changed: z.array(z.string()) }), body);
  return { consumer: consumerFromWire(answer.consumer, ''), changed: answer.changed };
}

async function remoteRemove(credentialName: string, name: string): Promise<void> {
  const { openApiClient } = await import('../server-client.js');
  const { credentialSegment } = await import('../remote-state.js');
  const { z } = await import('zod');
  await openApiClient().request('DELETE', `/v1/credentials/${credentialSegment(credentialName)}/consumers/${encodeURIComponent(name)}`, z.object({ removed: z.string(), credential: z.string() }));
}
