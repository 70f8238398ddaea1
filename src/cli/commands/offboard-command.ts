/**
 * `rekey offboard <email|user id>`: the plan of everything a departing person could have
 * seen or used (src/admin/offboard-plan.ts), printed for review; with `--execute --plan
 * <id>` the rotations (`--rotate now`: emergency rotations at once; `next-window`: marked
 * due for the next scheduled run), key deletions, token revocations and account removals
 * run as one audited operation — `offboard-start`, one `offboard-step` per item, and
 * `offboard-end`. The plan id makes sure what runs is what was reviewed.
 */
import type { Command } from 'commander';
import { ConflictError, NotFoundError, reasonOf, UsageError } from '../../core/errors.js';
import type { AdminClient } from '../../admin/admin-client.js';
import { loadKeyJoins } from '../../admin/credential-join.js';
import { anthropicProviderKeys, openaiProviderKeys, revokeCallFor, type ProviderKey } from '../../admin/key-inventory.js';
import { buildOffboardPlan, OFFBOARD_COLUMNS, offboardRow, type OffboardItem } from '../../admin/offboard-plan.js';
import type { Row } from '../../admin/admin-query.js';
import { adminClientFor, adminConfigured, writeQuery } from '../admin-wiring.js';
import { withCliContext, type CliContext } from '../cli-context.js';
import { collect } from '../cli-options.js';
import { confirm } from '../secret-input.js';

interface OffboardOptions {
  actor?: string[];
  output?: string;
  execute?: boolean;
  plan?: string;
  rotate: string;
  yes?: boolean;
}

type Vendor = 'openai' | 'anthropic';

async function providerFacts(person: string): Promise<{ members: Array<{ provider: Vendor; id: string; email: string | null }>; keys: ProviderKey[]; clients: Map<Vendor, AdminClient> }> {
  const members: Array<{ provider: Vendor; id: string; email: string | null }> = [];
  const keys: ProviderKey[] = [];
  const clients = new Map<Vendor, AdminClient>();
  for (const vendor of ['openai', 'anthropic'] as const) {
    if (!adminConfigured(vendor)) continue;
    const client = adminClientFor(vendor);
    clients.set(vendor, client);
    for await (const user of client.list({ operation: 'list users', path: vendor === 'openai' ? '/organization/users' : '/organizations/users' })) {
      if (user['id'] === person || user['email'] === person) members.push({ provider: vendor, id: String(user['id']), email: typeof user['email'] === 'string' ? user['email'] : null });
    }
    for await (const key of vendor === 'openai' ? openaiProviderKeys(client) : anthropicProviderKeys(client)) keys.push(key);
  }
  return { members, keys, clients };
}

async function planFor(context: CliContext, person: string, options: OffboardOptions) {
  const { members, keys, clients } = await providerFacts(person);
  const credentials = await context.store.listCredentials();
  const teamUser = (await context.store.getUser(person)) ?? (await context.store.listUsers()).find((user) => members.some((member) => member.email !== null && member.email === user.name));
  if (members.length === 0 && teamUser === undefined) {
    throw new NotFoundError(`nobody called ${person} at ${[...clients.keys()].join(' or ') || 'any configured provider'} or in rekey`, { hint: 'give the e-mail or the provider user id; the admin keys come from OPENAI_ADMIN_KEY / ANTHROPIC_ADMIN_KEY' });
  }
  const plan = buildOffboardPlan({
    person,
    members,
    keys,
    joins: await loadKeyJoins(context.store),
    credentials,
    audit: await context.store.listAudit(),
    teamUser,
    roles: await context.store.listRoles(),
    bindings: await context.store.listRoleBindings(),
    tokens: await context.store.listAccessTokens({ includeRevoked: false }),
    extraActors: options.actor ?? [],
  });
  return { plan, clients };
}

async function runItem(context: CliContext, item: OffboardItem, mode: 'now' | 'next-window', clients: Map<Vendor, AdminClient>): Promise<string> {
  if (item.action === 'rotate') {
    if (mode === 'next-window') {
      const { ROTATION_REQUESTED_TAG } = await import('../../rotation/rotation-schedule.js');
      const credential = await context.store.getCredential(item.target);
      if (credential === undefined) throw new NotFoundError(`no credential ${item.target}`);
      await context.store.updateCredential(item.target, { tags: { ...credential.tags, [ROTATION_REQUESTED_TAG]: context.clock.now().toISOString() } });
      return 'due at the next scheduled rotation (rekey rotate --due / the scheduler)';
    }
    const { openRotationExecutor } = await import('../cli-services.js');
    const executor = await openRotationExecutor(context);
    const outcome = await executor.start({ credential: item.target, kind: 'emergency', actor: context.actor });
    if (outcome.state !== 'done') throw new ConflictError(`the emergency rotation of ${item.target} ended ${outcome.state}`);
    return `rotated (emergency, rotation ${outcome.record.id})`;
  }
  if (item.action === 'delete-key') {
    if (item.key === undefined) throw new NotFoundError(`key ${item.target} is no longer listed`);
    const client = clients.get(item.key.provider);
    if (client === undefined) throw new UsageError(`no admin key for ${item.key.provider}`);
    await client.request(revokeCallFor(item.key));
    return 'deleted at the provider';
  }
  if (item.action === 'revoke-token') {
    await context.store.revokeAccessToken(item.target, context.clock.now());
    await context.audit.record({ event: 'token-revoke', actor: context.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { token: item.target, reason: 'offboard' } });
    return 'revoked';
  }
  if (item.action === 'remove-member') {
    const client = clients.get(item.provider as Vendor);
    if (client === undefined) throw new UsageError(`no admin key for ${item.provider ?? 'the provider'}`);
    await client.request({ operation: 'remove user', method: 'DELETE', path: `${item.provider === 'openai' ? '/organization/users' : '/organizations/users'}/${encodeURIComponent(item.target)}` });
    return 'removed from the organisation';
  }
  const { disableUser } = await import('../../team/user-service.js');
  const { sessionsEnded } = await disableUser({ store: context.store, audit: context.audit, clock: context.clock, actor: context.actor }, item.target);
  return `disabled (${sessionsEnded} sessions ended)`;
}

export function register(program: Command): void {
  program
    .command('offboard <person>')
    .description('Offboard a person (e-mail or provider user id): plan the rotations and removals of everything they could have seen or used, then run them as one audited operation')
    .option('--actor <name>', 'another audit actor name that is this person, e.g. cli:bob (repeatable)', collect)
    .option('--output <format>', 'table, json, ndjson, csv or yaml', 'table')
    .option('--execute', 'carry the plan out (with --plan <id> from the review)')
    .option('--plan <id>', 'the plan id printed at review; refused if the plan changed since')
    .option('--rotate <when>', 'now (emergency rotations at once) or next-window (due at the next scheduled run)', 'now')
    .option('--yes', 'do not ask for confirmation')
    .action(async (person: string, options: OffboardOptions) => {
      if (options.rotate !== 'now' && options.rotate !== 'next-window') throw new UsageError(`--rotate must be now or next-window, not "${options.rotate}"`);
      if (options.execute === true && options.plan === undefined) throw new UsageError('--execute needs --plan <id>', { hint: `review it first: rekey offboard ${person}` });
      const mode = options.rotate;
      await withCliContext(async (context) => {
        const { plan, clients } = await planFor(context, person, options);
        if (options.execute !== true) {
          await writeQuery(
            (async function* () {
              for (const item of plan.items) yield offboardRow(item);
            })(),
            { output: options.output, columns: OFFBOARD_COLUMNS },
          );
          process.stderr.write(`plan ${plan.id}: ${plan.items.length} steps; to carry it out: rekey offboard ${person} --execute --plan ${plan.id} --rotate now|next-window\n`);
          return;
        }
        if (options.plan !== plan.id) throw new ConflictError(`the plan changed since review (now ${plan.id}, reviewed ${options.plan ?? ''})`, { hint: `review it again: rekey offboard ${person}` });
        await confirm(`offboard ${person}: ${plan.items.length} steps (rotations ${mode})`, options.yes);
        await context.audit.record({ event: 'offboard-start', actor: context.actor, credential: null, fingerprint: null, outcome: 'ok', detail: { person, plan: plan.id, steps: plan.items.length, rotate: mode } });
        const results: Row[] = [];
        let failed = 0;
        for (const item of plan.items) {
          let outcome: string;
          let ok = true;
          try {
            outcome = await runItem(context, item, mode, clients);
          } catch (error) {
            ok = false;
            failed += 1;
            outcome = `failed: ${reasonOf(error)}`;
          }
          await context.audit.record({ event: 'offboard-step', actor: context.actor, credential: item.action === 'rotate' ? item.target : null, fingerprint: null, outcome: ok ? 'ok' : 'error', detail: { person, plan: plan.id, action: item.action, target: item.target, provider: item.provider, result: outcome } });
          results.push({ ...offboardRow(item), outcome });
        }
        await context.audit.record({ event: 'offboard-end', actor: context.actor, credential: null, fingerprint: null, outcome: failed === 0 ? 'ok' : 'error', detail: { person, plan: plan.id, done: plan.items.length - failed, failed } });
        await writeQuery(
          (async function* () {
            yield* results;
          })(),
          { output: options.output, columns: [...OFFBOARD_COLUMNS, 'outcome'] },
        );
        if (failed > 0) process.exitCode = 1;
      });
    });
}
