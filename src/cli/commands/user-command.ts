/** `rekey user add|list|disable|enable|reset-mfa|set-password|groups`: local accounts for team mode. */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { userWire, type UserWire } from '../../server/api/api-schemas.js';
import type { UserRecord } from '../../store/team-store-types.js';
import type { TeamDeps } from '../../team/team-deps.js';
import { withCliContext, type CliContext } from '../cli-context.js';
import { serverUrl } from '../server-client.js';
import { collect } from '../cli-options.js';
import { colour, outputFormat, printJson, printList, type Column } from '../output.js';
import { promptHidden, readStdinText } from '../secret-input.js';

/** A person as `--json` prints them: the API's wire shape (never a password hash or MFA secret), so both modes print the same. */
export const userJson = (user: UserRecord): UserWire => userWire(user);

const columns: Array<Column<UserWire>> = [
  { header: 'NAME', value: (user) => user.name },
  { header: 'STATUS', value: (user) => user.status },
  { header: 'GROUPS', value: (user) => user.groups.join(',') },
  { header: 'MFA', value: (user) => user.mfa },
  { header: 'CREATED', value: (user) => user.createdAt },
];

async function api() {
  const [{ openApiClient }, { z }, schemas] = await Promise.all([import('../server-client.js'), import('zod'), import('../../server/api/api-schemas.js')]);
  return { client: openApiClient(), z, schemas };
}

export function teamDeps(context: CliContext): TeamDeps {
  return { store: context.store, audit: context.audit, clock: context.clock, actor: context.actor, integrity: context.integrity.sealed ? context.integrity.rows : undefined };
}

/** A password from stdin (`--password-stdin`: the first line) or a hidden prompt asked twice; never from an argument. */
export async function readPassword(options: { passwordStdin?: boolean }, what = 'password'): Promise<string> {
  if (options.passwordStdin === true) {
    const text = (await readStdinText()).replace(/\r?\n$/, '');
    if (/[\r\n]/.test(text)) throw new UsageError('the password on stdin spans several lines; expected one line');
    if (text === '') throw new UsageError('no password on stdin');
    return text;
  }
  if (!process.stdin.isTTY) throw new UsageError(`cannot prompt for the ${what}: stdin is not a terminal`, { hint: 'pipe it in with --password-stdin' });
  const first = await promptHidden(`${what}: `);
  const second = await promptHidden(`${what} again: `);
  if (first !== second) throw new UsageError('the two passwords differ');
  return first;
}

export function register(program: Command): void {
  const user = program.command('user').description('Manage people (local accounts) for team mode: add, list, disable, reset MFA');

  user
    .command('add <name>')
    .description('Add a local account (password hashed with scrypt, N=2^17 r=8 p=1)')
    .option('--display-name <text>', 'the name shown in the audit log and lists')
    .option('--group <group>', 'a group the user belongs to (repeatable); roles can be bound to groups', collect)
    .option('--password-stdin', 'read the password from the first line of stdin (default: a hidden prompt)')
    .option('--no-password', 'no password (the account signs in through SSO only)')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { displayName?: string; group?: string[]; passwordStdin?: boolean; password: boolean; json?: boolean }) => {
      const password = options.password ? await readPassword(options) : null;
      const { addUser } = await import('../../team/user-service.js');
      const created = serverUrl() !== undefined
        ? await api().then(({ client, schemas }) => client.request('POST', '/v1/users', schemas.userSchema, { name, ...(options.displayName === undefined ? {} : { displayName: options.displayName }), ...(options.group === undefined ? {} : { groups: options.group }), password }))
        : userJson(await withCliContext((context) => addUser(teamDeps(context), { name, displayName: options.displayName, password, groups: options.group })));
      if (options.json === true) return printJson(created);
      process.stdout.write(`${colour.green('added')} user ${created.name} (${created.id})${created.groups.length > 0 ? ` in ${created.groups.join(', ')}` : ''}; bind a role with rekey role bind\n`);
      return undefined;
    });

  user
    .command('list')
    .description('List people (never a password or MFA secret)')
    .option('--output <format>', 'table, json or csv')
    .option('--json', 'print JSON')
    .action(async (options: { output?: string; json?: boolean }) => {
      const format = outputFormat(options);
      const users = serverUrl() !== undefined
        ? await api().then(({ client, z, schemas }) => client.request('GET', '/v1/users', z.array(schemas.userSchema)))
        : (await withCliContext(({ store }) => store.listUsers())).map(userJson);
      printList(users, columns, format, (user) => user);
    });

  user
    .command('disable <name>')
    .description('Disable an account: it can no longer sign in, and its sessions end now')
    .action(async (name: string) => {
      const { disableUser } = await import('../../team/user-service.js');
      const { sessionsEnded } = serverUrl() !== undefined
        ? await api().then(({ client, z, schemas }) => client.request('POST', `/v1/users/${encodeURIComponent(name)}/disable`, z.object({ user: schemas.userSchema, sessionsEnded: z.number() })))
        : await withCliContext((context) => disableUser(teamDeps(context), name));
      process.stdout.write(`${colour.green('disabled')} user ${name}; ${sessionsEnded} session(s) ended\n`);
    });

  user
    .command('enable <name>')
    .description('Enable a disabled account again')
    .action(async (name: string) => {
      const { enableUser } = await import('../../team/user-service.js');
      await withCliContext((context) => enableUser(teamDeps(context), name));
      process.stdout.write(`${colour.green('enabled')} user ${name}\n`);
    });

  user
    .command('reset-mfa <name>')
    .description('Withdraw the TOTP secret, recovery codes and passkeys of a user (lost device); they enrol again at next sign-in')
    .action(async (name: string) => {
      const { resetUserMfa } = await import('../../team/user-service.js');
      const { sessionsEnded, passkeysRemoved } = serverUrl() !== undefined
        ? await api().then(({ client, z, schemas }) => client.request('POST', `/v1/users/${encodeURIComponent(name)}/reset-mfa`, z.object({ user: schemas.userSchema, sessionsEnded: z.number(), passkeysRemoved: z.number().int().default(0) })))
        : await withCliContext((context) => resetUserMfa(teamDeps(context), name));
      process.stdout.write(`${colour.green('reset')} MFA of ${name}; ${passkeysRemoved} passkey(s) removed, ${sessionsEnded} session(s) ended\n`);
    });

  user
    .command('set-password <name>')
    .description("Set a user's password (their sessions end)")
    .option('--password-stdin', 'read the password from the first line of stdin (default: a hidden prompt)')
    .action(async (name: string, options: { passwordStdin?: boolean }) => {
      const password = await readPassword(options);
      const { setUserPassword } = await import('../../team/user-service.js');
      await withCliContext((context) => setUserPassword(teamDeps(context), name, password));
      process.stdout.write(`${colour.green('changed')} the password of ${name}\n`);
    });

  user
    .command('groups <name> [groups...]')
    .description("Set a user's groups (none given: no groups)")
    .action(async (name: string, groups: string[]) => {
      const { setUserGroups } = await import('../../team/user-service.js');
      const updated = await withCliContext((context) => setUserGroups(teamDeps(context), name, groups));
      process.stdout.write(`${updated.name}: ${updated.groups.length === 0 ? 'no groups' : updated.groups.join(', ')}\n`);
    });
}
