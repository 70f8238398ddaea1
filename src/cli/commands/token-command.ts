/** `rekey token create|list|revoke`: per-application read tokens (`rekey serve`) and virtual tokens (`rekey proxy`). */
import type { Command } from 'commander';
import { collect } from '../cli-options.js';
import { UsageError } from '../../core/errors.js';
import { parseDurationSeconds } from '../../core/duration.js';
import { withCliContext } from '../cli-context.js';
import { serverUrl } from '../server-client.js';
import { colour, outputFormat, printJson, printList, type Column } from '../output.js';
import { confirm } from '../secret-input.js';
import type { AccessToken, AccessTokenKind } from '../../core/types.js';
import { tokenWire } from '../../server/api/api-schemas.js';


function parseKind(text: string | undefined): AccessTokenKind {
  if (text === 'read' || text === 'proxy') return text;
  throw new UsageError(`--kind must be read (for rekey serve and the SDK) or proxy (a virtual key for rekey proxy), not "${text ?? ''}"`);
}

/** A token as `--json` prints it: the API's wire shape (never its value), so both modes print the same. */
const tokenJson = (token: AccessToken) => tokenWire(token);

const columns: Array<Column<AccessToken>> = [
  { header: 'ID', value: (token) => token.id },
  { header: 'KIND', value: (token) => token.kind },
  { header: 'NAME', value: (token) => token.name },
  { header: 'CREDENTIALS', value: (token) => token.credentials.join(',') },
  { header: 'MODELS', value: (token) => (token.allowedModels.length === 0 ? '(credential)' : token.allowedModels.join(',')) },
  { header: 'ENDPOINTS', value: (token) => (token.kind === 'read' ? '' : ['inference', 'models', ...(token.allowedEndpoints ?? [])].join(',')) },
  { header: 'EXPIRES', value: (token) => token.expiresAt?.toISOString() ?? '' },
  { header: 'CIDRS', value: (token) => token.cidrs.join(',') },
  { header: 'CREATED', value: (token) => token.createdAt.toISOString() },
  { header: 'REVOKED', value: (token) => token.revokedAt?.toISOString() ?? '' },
];

export function register(program: Command): void {
  const token = program.command('token').description('Access tokens for applications: read tokens (rekey serve, SDK) and proxy virtual tokens');

  token
    .command('create <name>')
    .description('Create a token for the application <name>; it is printed once and stored only as a hash')
    .option('--kind <kind>', 'read (rekey serve / SDK) or proxy (virtual key for rekey proxy)', 'proxy')
    .option('--credential <name>', 'a credential the token may use (repeatable)', collect)
    .option('--allowed-model <model>', 'proxy tokens: a model this token may call (repeatable; default: what the credential allows)', collect)
    .option('--allow-endpoint <group>', 'proxy tokens: an endpoint group beyond inference and model listing (repeatable): stored, files, batches, fine-tuning, assistants, admin', collect)
    .option('--ttl <duration>', 'the token expires this long after creation, e.g. 1h, 30d (default: until revoked)')
    .option('--cidr <block>', 'accept the token only from this source network, e.g. 10.0.0.0/8 (repeatable; default: any)', collect)
    .option('--json', 'print JSON')
    .action(async (name: string, options: { kind?: string; credential?: string[]; allowedModel?: string[]; allowEndpoint?: string[]; ttl?: string; cidr?: string[]; json?: boolean }) => {
      const kind = parseKind(options.kind);
      const credentials = options.credential ?? [];
      if (credentials.length === 0) throw new UsageError('name at least one --credential the token may use');
      if (kind === 'read' && (options.allowedModel ?? []).length > 0) throw new UsageError('--allowed-model applies to proxy tokens only');
      if (kind === 'read' && (options.allowEndpoint ?? []).length > 0) throw new UsageError('--allow-endpoint applies to proxy tokens only');
      const { parseEndpointGroups } = await import('../../proxy/request-guard.js');
      let allowedEndpoints: string[];
      try {
        allowedEndpoints = parseEndpointGroups(options.allowEndpoint ?? []).filter((group) => group !== 'inference' && group !== 'models');
      } catch (error) {
        throw new UsageError(`--allow-endpoint: ${(error as Error).message}`);
      }
      const ttlSeconds = options.ttl === undefined ? undefined : Math.ceil(parseDurationSeconds(options.ttl, '--ttl'));
      const { parseCidr } = await import('../../access/token-network.js');
      const cidrs = (options.cidr ?? []).map((cidr) => parseCidr(cidr));
      const { issueAccessToken } = await import('../../access/access-tokens.js');
      const { requireCredential } = await import('../../vault/credential-service.js');
      const created = serverUrl() !== undefined ? await remoteCreate({ kind, name, credentials, allowedModels: options.allowedModel ?? [], allowedEndpoints, ...(ttlSeconds === undefined ? {} : { ttlSeconds }), cidrs }) : await withCliContext(async ({ store, audit, clock, actor }) => {
        for (const credential of credentials) await requireCredential(store, credential);
        const result = await issueAccessToken(store, { kind, name, credentials, allowedModels: options.allowedModel ?? [], allowedEndpoints, createdBy: actor, ttlSeconds, cidrs }, clock.now());
        await audit.record({
          event: 'token-create', actor, credential: null, fingerprint: null, outcome: 'ok',
          detail: { id: result.token.id, kind, name, credentials, credentialIds: result.token.credentialIds, allowedModels: result.token.allowedModels, allowedEndpoints, expiresAt: result.token.expiresAt?.toISOString() ?? null, cidrs },
        });
        return result;
      });
      if (options.json === true) {
        printJson({ ...tokenJson(created.token), token: created.secret });
        return;
      }
      process.stderr.write(`${colour.green('created')} ${kind} token ${created.token.id} for ${name}; it is shown once, store it as a secret:\n`);
      process.stdout.write(`${created.secret}\n`);
    });

  token
    .command('list')
    .description('List tokens (never their values)')
    .option('--kind <kind>', 'only read or proxy tokens')
    .option('--all', 'include revoked tokens')
    .option('--output <format>', 'table, json or csv')
    .option('--json', 'print JSON')
    .action(async (options: { kind?: string; all?: boolean; output?: string; json?: boolean }) => {
      const format = outputFormat(options);
      const filter: { kind?: AccessTokenKind; includeRevoked?: boolean } = { includeRevoked: options.all === true };
      if (options.kind !== undefined) filter.kind = parseKind(options.kind);
      const tokens = serverUrl() !== undefined ? await remoteList(filter) : await withCliContext(({ store }) => store.listAccessTokens(filter));
      printList(tokens, columns, format, tokenJson);
    });

  token
    .command('revoke <id-or-name>')
    .description('Revoke a token; servers and proxies refuse it within 5 seconds')
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'print JSON')
    .action(async (idOrName: string, options: { yes?: boolean; json?: boolean }) => {
      await confirm(`revoke token ${idOrName}?`, options.yes);
      const revoked = serverUrl() !== undefined ? await remoteRevoke(idOrName) : await withCliContext(async ({ store, audit, clock, actor }) => {
        const result = await store.revokeAccessToken(idOrName, clock.now());
        await audit.record({ event: 'token-revoke', actor, credential: null, fingerprint: null, outcome: 'ok', detail: { id: result.id, kind: result.kind, name: result.name } });
        return result;
      });
      if (options.json === true) printJson(tokenJson(revoked));
      else process.stdout.write(`${colour.green('revoked')} ${revoked.kind} token ${revoked.id} (${revoked.name})\n`);
    });
}

async function remoteCreate(body: { kind: AccessTokenKind; name: string; credentials: string[]; allowedModels: string[]; allowedEndpoints: string[]; ttlSeconds?: number; cidrs: string[] }): Promise<{ token: AccessToken; secret: string }> {
  const { openApiClient } = await import('../server-client.js');
  const { tokenSchema } = await import('../../server/api/api-schemas.js');
  const { tokenFromWire } = await import('../remote-state.js');
  const { z } = await import('zod');
  const answer = await openApiClient().request('POST', '/v1/tokens', tokenSchema.extend({ token: z.string() }), body);
  const { token: secret, ...wire } = answer;
  return { token: tokenFromWire(wire), secret };
}

async function remoteList(filter: { kind?: AccessTokenKind; includeRevoked?: boolean }): Promise<AccessToken[]> {
  const { openApiClient } = await import('../server-client.js');
  const { tokenSchema } = await import('../../server/api/api-schemas.js');
  const { tokenFromWire } = await import('../remote-state.js');
  const { z } = await import('zod');
  const query = new URLSearchParams();
  if (filter.kind !== undefined) query.set('kind', filter.kind);
  if (filter.includeRevoked === true) query.set('all', 'true');
  return (await openApiClient().request('GET', `/v1/tokens${query.size === 0 ? '' : `?${query.toString()}`}`, z.array(tokenSchema))).map(tokenFromWire);
}

async function remoteRevoke(idOrName: string): Promise<AccessToken> {
  const { openApiClient } = await import('../server-client.js');
  const { tokenSchema } = await import('../../server/api/api-schemas.js');
  const { tokenFromWire } = await import('../remote-state.js');
  return tokenFromWire(await openApiClient().request('DELETE', `/v1/tokens/${encodeURIComponent(idOrName)}`, tokenSchema));
}
