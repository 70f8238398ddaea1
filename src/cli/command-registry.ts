/**
 * Every top-level command, declared as data: its name, the one-line summary `rekey --help`
 * lists, and how to load it. A command's module (and so its services, drivers and SDKs) is
 * imported only when that command runs or its help is asked for, so `rekey --version` and
 * `rekey scan --staged` load nothing they do not use.
 *
 * To add a command: one file in `commands/` exporting a `register(program)` that adds exactly
 * the command named here, one entry below, and its examples in `command-examples.ts`.
 * `command-registry.test.ts` checks every entry's summary and name match what its module
 * registers; `command-examples.test.ts` that every command has a true example.
 */
import type { Command } from 'commander';
import { attachExamples } from './command-examples.js';

export type RegisterCommand = (program: Command) => void;

export interface CommandEntry {
  /** The top-level command word, e.g. `scan`. */
  readonly name: string;
  /** What `rekey --help` lists; the same text as the command's own `.description()`. */
  readonly summary: string;
  /** Import the command's module and return the function that registers it in full. */
  readonly load: () => Promise<RegisterCommand>;
}

async function loadScan(): Promise<RegisterCommand> {
  const [{ register }, { scanServices }] = await Promise.all([import('./commands/scan-command.js'), import('./cli-services.js')]);
  const services = scanServices();
  return (program) => register(program, services);
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'quickstart', summary: 'Rehearse in one command: emulator, project and key, scratch home, credential and env-file consumer', load: async () => (await import('./commands/quickstart-command.js')).register },
  { name: 'init', summary: 'Create the data directory ($REKEY_HOME, default ~/.rekey), a master key and the store', load: async () => (await import('./commands/init-command.js')).register },
  { name: 'status', summary: 'One screen: every credential (age, next due, rotation in flight or held and why, consumers delivered) and what needs attention first', load: async () => (await import('./commands/status-command.js')).register },
  { name: 'credential', summary: 'Manage credentials (logical keys) and their versions', load: async () => (await import('./commands/credential-command.js')).register },
  { name: 'consumer', summary: 'Manage where a credential is delivered (sinks and reload actions)', load: async () => (await import('./commands/consumer-command.js')).register },
  { name: 'discover', summary: "Find where a credential's value lives (by fingerprint) and propose consumers to add", load: async () => (await import('./commands/discover-command.js')).register },
  { name: 'rotate', summary: 'Rotate a credential with zero downtime (mint, test, deliver, promote, grace, revoke)', load: async () => (await import('./commands/rotate-command.js')).registerRotate },
  { name: 'scheduler', summary: 'Run scheduled rotations as a daemon: rotate what is due by policy, resume rotations whose worker died', load: async () => (await import('./commands/rotate-command.js')).registerScheduler },
  { name: 'drill', summary: 'Rehearse a full rotation on a non-production credential and report forgotten consumers', load: async () => (await import('./commands/rotate-command.js')).registerDrill },
  { name: 'rotations', summary: 'Inspect and operate rotations', load: async () => (await import('./commands/rotations-command.js')).register },
  { name: 'alerts', summary: 'Alerts: list open ones and dead messages, test routes, acknowledge, resolve, run the delivery worker', load: async () => (await import('./commands/alerts-command.js')).register },
  { name: 'audit', summary: 'Read, verify and export the hash-chained audit log', load: async () => (await import('./commands/audit-command.js')).register },
  { name: 'retention', summary: 'Retention of revoked and discarded versions: after the period their data key is destroyed (metadata and fingerprint stay)', load: async () => (await import('./commands/retention-command.js')).register },
  { name: 'master-key', summary: 'Manage the master key that wraps every data key', load: async () => (await import('./commands/master-key-command.js')).register },
  { name: 'byok', summary: "Bring-your-own-key tenant vaults: tenants, service tokens, users' key metadata, crypto-shredding purge", load: async () => (await import('./commands/byok-command.js')).register },
  { name: 'doctor', summary: 'Check the master key, store, file permissions, migrations and audit chain', load: async () => (await import('./commands/doctor-command.js')).register },
  { name: 'scan', summary: 'Find LLM API keys in files, git history, staged changes or standard input (exit 3 on findings)', load: loadScan },
  { name: 'redact', summary: 'copy standard input to standard output, replacing API keys with [REDACTED <hint>] (line-buffered)', load: async () => (await import('./commands/redact-command.js')).register },
  { name: 'hook', summary: 'Install the git pre-commit hook that blocks commits adding an API key', load: async () => (await import('./commands/hook-command.js')).register },
  { name: 'token', summary: 'Access tokens for applications: read tokens (rekey serve, SDK) and proxy virtual tokens', load: async () => (await import('./commands/token-command.js')).register },
  { name: 'user', summary: 'Manage people (local accounts) for team mode: add, list, disable, reset MFA', load: async () => (await import('./commands/user-command.js')).register },
  { name: 'approvals', summary: 'Two-person approval: policies, requests with their plan, approve or deny, signed one-time links', load: async () => (await import('./commands/approvals-command.js')).register },
  { name: 'mfa', summary: 'Multi-factor authentication for people: TOTP enrolment, verification and recovery codes', load: async () => (await import('./commands/mfa-command.js')).register },
  { name: 'role', summary: 'Manage roles (capabilities on scopes) and role bindings to users and groups', load: async () => (await import('./commands/role-command.js')).register },
  { name: 'identity', summary: 'OIDC workload identities: which CI jobs (issuer, audience, bound claims) act in which groups', load: async () => (await import('./commands/identity-command.js')).register },
  { name: 'sso', summary: 'OIDC SSO providers people sign in through (authorization code + PKCE; groups claim to role bindings)', load: async () => (await import('./commands/sso-command.js')).register },
  { name: 'login', summary: 'Sign in to a rekey server (--server URL or REKEY_SERVER); the session is kept in $REKEY_HOME/session.json (0600)', load: async () => (await import('./commands/login-command.js')).registerLogin },
  { name: 'logout', summary: 'End the session on the rekey server and forget it here', load: async () => (await import('./commands/login-command.js')).registerLogout },
  { name: 'whoami', summary: 'Who you are on the rekey server: account, session and role grants', load: async () => (await import('./commands/login-command.js')).registerWhoami },
  { name: 'serve', summary: 'Serve keys to applications (SDK) with per-application read tokens: GET /v1/credentials/<name>/keys, long poll, check-ins', load: async () => (await import('./commands/serve-command.js')).register },
  { name: 'proxy', summary: 'Run the key-injecting proxy: apps use <proxy>/v1 (OpenAI) or <proxy>/anthropic (Anthropic) with a virtual token', load: async () => (await import('./commands/proxy-command.js')).register },
  { name: 'emulator', summary: 'Run the local provider emulator (OpenAI, Anthropic, OpenRouter) for rehearsals, demos and tests', load: async () => (await import('../emulator/emulator-command.js')).registerEmulatorCommand },
  { name: 'check', summary: 'Check rekey.yaml against its policies (the CI gate); --live also checks the store and the provider', load: async () => (await import('./commands/check-command.js')).register },
  { name: 'schema', summary: 'Print the JSON Schema of rekey.yaml (for editors: # yaml-language-server: $schema=…)', load: async () => (await import('./commands/check-command.js')).registerSchema },
  { name: 'plan', summary: 'Show what apply would change in the store and at the provider (exit 0 in sync, 2 changes, 1 error)', load: async () => (await import('./commands/plan-command.js')).registerPlan },
  { name: 'apply', summary: 'Make the store and the provider match rekey.yaml (idempotent; audited)', load: async () => (await import('./commands/plan-command.js')).registerApply },
  { name: 'export', summary: 'Write the store as a rekey.yaml (never a value; only the references values were applied from)', load: async () => (await import('./commands/plan-command.js')).registerExport },
  { name: 'openai', summary: 'OpenAI Admin API: users, invites, projects, service accounts, keys, admin keys, rate limits, model permissions, spend limits and alerts, certificates, usage, costs, audit logs', load: async () => (await import('./commands/provider-admin-command.js')).registerOpenAI },
  { name: 'anthropic', summary: 'Anthropic Admin API: users, invites, workspaces and members, keys, usage, costs and the Claude Code report', load: async () => (await import('./commands/provider-admin-command.js')).registerAnthropic },
  { name: 'usage', summary: 'Usage across OpenAI and Anthropic in one table, joined with rekey credentials (--group-by credential)', load: async () => (await import('./commands/usage-command.js')).register },
  { name: 'inventory', summary: 'Every key at each configured provider, classified: managed (stage) or unmanaged, stale, owner gone, over-scoped, outside the naming policy', load: async () => (await import('./commands/inventory-command.js')).register },
  { name: 'offboard', summary: 'Offboard a person (e-mail or provider user id): plan the rotations and removals of everything they could have seen or used, then run them as one audited operation', load: async () => (await import('./commands/offboard-command.js')).register },
  { name: 'report', summary: 'Compliance evidence and the quarterly access review', load: async () => (await import('./commands/report-command.js')).register },
  { name: 'completion', summary: 'Print a shell completion script (bash, zsh or fish) for every command and option', load: async () => (await import('./commands/completion-command.js')).registerWith(COMMANDS) },
];

/** The entry the arguments name (`rekey scan …`, `rekey help scan`), if any. */
export function commandNamedBy(argv: readonly string[]): CommandEntry | undefined {
  const words = argv.slice(2);
  const first = words[0] === 'help' ? words[1] : words[0];
  return COMMANDS.find((entry) => entry.name === first);
}

/**
 * Add every command to `program`: `load` ones in full, the rest as a name and summary only
 * (enough for `rekey --help` and "did you mean" suggestions). `'all'` loads every command.
 */
export async function registerCommands(program: Command, load: readonly CommandEntry[] | 'all'): Promise<void> {
  for (const entry of COMMANDS) {
    if (load === 'all' || load.includes(entry)) {
      (await entry.load())(program);
      const registered = program.commands.find((command) => command.name() === entry.name);
      if (registered !== undefined) attachExamples(registered);
    } else program.command(entry.name).description(entry.summary);
  }
}
