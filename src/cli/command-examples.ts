/**
 * One or more examples for every command, by its path (`credential add`), shown under
 * "Examples:" at the end of its `--help`. A group (`rekey credential --help`) shows the
 * first example of each of its commands. Commands generated from data (the `rekey openai …`
 * resource tables) that have none here show their usage line with its arguments as the
 * example. `command-examples.test.ts` checks that every registered command shows one, that
 * every top-level command has a hand-written one here, and that each example names an
 * existing command with options it has, so the examples stay true as commands change.
 */
import type { Command } from 'commander';

export const COMMAND_EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  quickstart: ['rekey quickstart', 'rekey quickstart --dir /tmp/rehearsal --port 8080   # then: source /tmp/rehearsal/env.sh && rekey rotate openai/quickstart/dev'],
  init: ['rekey init', 'REKEY_DATABASE_URL=postgres://rekey@db/rekey rekey init', 'rekey init --passphrase'],
  status: ['rekey status', 'rekey status --json | jq \'.attention[0]\''],
  completion: ['rekey completion bash > ~/.local/share/bash-completion/completions/rekey', 'rekey completion zsh > "${fpath[1]}/_rekey"', 'rekey completion fish > ~/.config/fish/completions/rekey.fish'],

  'credential add': [
    'pbpaste | rekey credential add openai/ticketing/prod --provider openai --scope project=proj_abc --read-value',
    'rekey credential add openai/ticketing/dev --provider openai --scope project=proj_abc --rotate-every-days 30 --read-value',
  ],
  'credential edit': ['rekey credential edit openai/ticketing/prod --scope project=proj_abc --owner payments', 'rekey credential edit openai/ticketing/prod --rotate-every-days 90 --allowed-model gpt-4o-mini'],
  'credential list': ['rekey credential list', 'rekey credential list --provider openai --output csv'],
  'credential show': ['rekey credential show openai/ticketing/prod'],
  'credential versions': ['rekey credential versions openai/ticketing/prod'],
  'credential set-value': ['pbpaste | rekey credential set-value openai/ticketing/prod --stage pending'],
  'credential promote': ['rekey credential promote openai/ticketing/prod --version 4'],
  'credential rollback': ['rekey credential rollback openai/ticketing/prod'],
  'credential reveal': ['rekey credential reveal openai/ticketing/prod --version 3'],
  'credential remove': ['rekey credential remove openai/ticketing/old --yes'],

  'consumer add': [
    'rekey consumer add openai/ticketing/prod ticketing-env --path /srv/ticketing/.env --var OPENAI_API_KEY --reload-exec "systemctl reload ticketing" --reload-key-via none',
    'rekey consumer add openai/ticketing/prod vault --kind vault-kv --path apps/ticketing --var OPENAI_API_KEY --config address=https://vault:8200',
  ],
  'consumer update': ['rekey consumer update openai/ticketing/prod ticketing-env --path /srv/ticketing/.env', 'rekey consumer update openai/ticketing/prod ticketing-env --no-reload'],
  'consumer list': ['rekey consumer list openai/ticketing/prod'],
  'consumer remove': ['rekey consumer remove openai/ticketing/prod ticketing-env --yes'],

  discover: ['rekey discover openai/ticketing/prod --root /srv', 'rekey discover openai/ticketing/prod --kubernetes --namespace ticketing'],
  rotate: [
    'rekey rotate openai/ticketing/prod --dry-run',
    'rekey rotate openai/ticketing/prod --grace-quiet 5m',
    'rekey rotate openai/ticketing/prod --emergency',
    'rekey rotate --due',
  ],
  scheduler: ['rekey scheduler --interval 5m', 'rekey scheduler --once'],
  drill: ['rekey drill openai/ticketing/staging --grace-quiet 30s'],

  'rotations list': ['rekey rotations list --active', 'rekey rotations list --credential openai/ticketing/prod --limit 5'],
  'rotations show': ['rekey rotations show 3f2a…'],
  'rotations resume': ['rekey rotations resume 3f2a…', 'pbpaste | rekey rotations resume 3f2a… --value-from-stdin'],
  'rotations abort': ['rekey rotations abort 3f2a… --yes'],
  'rotations rollback': ['rekey rotations rollback 3f2a… --yes'],
  'rotations end-grace': ['rekey rotations end-grace 3f2a… --yes'],

  'alerts list': ['rekey alerts list', 'rekey alerts list --dead'],
  'alerts show': ['rekey alerts show 12'],
  'alerts test': ['rekey alerts test --route oncall'],
  'alerts ack': ['rekey alerts ack 12 --by alice'],
  'alerts resolve': ['rekey alerts resolve 12 --by alice'],
  'alerts retry': ['rekey alerts retry 40'],
  'alerts deliver': ['rekey alerts deliver --once', 'rekey alerts deliver --interval 30s'],

  'audit list': ['rekey audit list --credential openai/ticketing/prod --limit 20', 'rekey audit list --newest-first --limit 5'],
  'audit verify': ['rekey audit verify', 'rekey audit verify --checkpoint /mnt/worm/rekey-checkpoints.jsonl'],
  'audit checkpoint': ['rekey audit checkpoint --out /mnt/worm/rekey-checkpoints.jsonl', 'rekey audit checkpoint --webhook https://audit.example.com/rekey'],
  'audit public-key': ['rekey audit public-key'],
  'audit export': ['rekey audit export --format csv --out audit.csv'],

  byok: ['rekey byok tenant create acme --webhook-url https://app.example.com/hooks/rekey'],
  'byok tenant create': ['rekey byok tenant create acme --webhook-url https://app.example.com/hooks/rekey --reminder-days 90 --fallback none'],
  'byok tenant configure': ['rekey byok tenant configure acme --unused-days 30 --cadence-hours 24', 'rekey byok tenant configure acme --fallback credential:openai/house/prod'],
  'byok tenant show': ['rekey byok tenant show acme --json'],
  'byok token create': ['rekey byok token create --name saas-backend --tenant acme'],
  'byok token list': ['rekey byok token list --json'],
  'byok token revoke': ['rekey byok token revoke saas-backend'],
  'byok list': ['rekey byok list acme', 'rekey byok list acme --user user-42 --output csv'],
  'byok purge-tenant': ['rekey byok purge-tenant acme --yes --json'],
  'retention show': ['rekey retention show'],
  'retention set': ['rekey retention set 7d'],
  'retention apply': ['rekey retention apply --dry-run'],

  'master-key rotate': ['rekey master-key rotate --yes'],
  doctor: ['rekey doctor', 'rekey doctor --provider openai --credential openai/ticketing/prod'],
  scan: ['rekey scan .', 'rekey scan --git --rotate', 'rekey scan --staged', 'kubectl logs deploy/ticketing | rekey scan --stdin', 'rekey scan . --verify --format sarif --out-file scan.sarif'],
  redact: ['tail -f app.log | rekey redact'],
  'hook install': ['rekey hook install'],
  'hook uninstall': ['rekey hook uninstall'],

  'token create': ['rekey token create ticketing --kind read --credential openai/ticketing/prod', 'rekey token create ticketing-proxy --kind proxy --credential openai/ticketing/prod --allowed-model gpt-4o-mini', 'rekey token create ci-job --kind read --credential openai/ticketing/prod --ttl 1h --cidr 10.0.0.0/8'],
  'token list': ['rekey token list --all'],
  'token revoke': ['rekey token revoke ticketing --yes'],

  'user add': ['rekey user add alice --display-name "Alice Martin" --group payments --password-stdin'],
  'user list': ['rekey user list'],
  'user disable': ['rekey user disable alice'],
  'user enable': ['rekey user enable alice'],
  'user reset-mfa': ['rekey user reset-mfa alice'],
  'user set-password': ['rekey user set-password alice --password-stdin'],
  'user groups': ['rekey user groups alice payments oncall'],

  'sso add': ['rekey sso add corp --issuer https://login.acme.com --client-id rekey --client-secret-stdin --groups-claim groups --allowed-domain acme.com < secret.txt'],
  'sso list': ['rekey sso list'],
  'sso remove': ['rekey sso remove corp'],
  'identity add': ["rekey identity add acme-deploy --issuer https://token.actions.githubusercontent.com --audience https://rekey.internal --claim repository=acme/app --claim ref=refs/heads/main --group ci-deployers"],
  'identity list': ['rekey identity list', 'REKEY_SERVER=https://rekey.internal:8420 rekey identity list --json'],
  'identity remove': ['rekey identity remove acme-deploy'],
  'role list': ['rekey role list'],
  'role add': ['rekey role add rotator --capability rotate --capability end-grace --description "rotates keys"'],
  'role remove': ['rekey role remove rotator'],
  'role require-mfa': ['rekey role require-mfa operator'],
  'role bind': ['rekey role bind operator --group payments --credentials "openai/payments/*" --environment prod'],
  'role unbind': ['rekey role unbind 7'],
  'role bindings': ['rekey role bindings --user alice'],

  'mfa enroll': ['rekey mfa enroll alice'],
  'mfa confirm': ['rekey mfa confirm alice'],
  'mfa verify': ['rekey mfa verify alice'],
  'mfa recovery-codes': ['rekey mfa recovery-codes alice'],
  'mfa status': ['rekey mfa status alice --json'],

  openai: ['rekey openai projects list --output csv', 'rekey openai keys list --project proj_abc', 'rekey openai costs --since 30d --group-by project'],
  'openai usage completions': ['rekey openai usage completions --since 7d --bucket 1d --group-by model'],
  'openai audit-logs': ['rekey openai audit-logs --since 24h --type api_key.created'],
  anthropic: ['rekey anthropic workspaces list', 'rekey anthropic claude-code --since 7d --output csv'],
  'anthropic keys list': ['rekey anthropic keys list --status active'],
  usage: ['rekey usage --since 7d --group-by credential,model', 'rekey usage --since 30d --group-by owner --output csv'],

  'approvals policy add': ['rekey approvals policy add prod-rotations --capability rotate --environment prod --approver-group payments'],
  'approvals request': ['rekey approvals request rotate --credential openai/ticketing/prod --reason "quarterly rotation"'],
  'approvals approve': ['rekey approvals approve 9c1e… --as bob --comment "looked at the plan"'],

  inventory: ['rekey inventory --provider openai --stale-days 90', 'rekey inventory --provider openai --output csv > keys.csv', 'pbpaste | rekey inventory --adopt key_abc --name openai/ticketing/debug --root .', 'rekey inventory --revoke key_abc --dry-run'],

  login: ['rekey login --server https://rekey.internal:8420 --user alice', 'printf "%s\\n" "$PASSWORD" | rekey login --server http://127.0.0.1:8420 --user ci --password-stdin', 'REKEY_OIDC_TOKEN="$CI_JOB_JWT" rekey login --server https://rekey.internal:8420 --workload-token-env', 'rekey login --server https://rekey.internal:8420 --sso corp'],
  logout: ['rekey logout'],
  whoami: ['rekey whoami', 'rekey whoami --json'],
  serve: ['rekey serve --port 8420'],
  proxy: ['rekey proxy --port 8430'],
  emulator: ['rekey emulator --port 8080', 'REKEY_EMULATOR_ADMIN_KEY=sk-admin-rehearsal rekey emulator --port 8080 --rate-429 0.1'],

  check: ['rekey check', 'rekey check rekey.yaml --format sarif --out-file check.sarif', 'rekey check --live'],
  schema: ['rekey schema > rekey.schema.json'],
  plan: ['rekey plan', 'rekey plan --store-only --json'],
  apply: ['rekey apply', 'rekey apply --auto-approve'],
  export: ['rekey export --out-file exported.yaml'],

  'openai keys list': ['rekey openai keys list --filter credential="(unmanaged)" --output csv', 'rekey openai keys list --project proj_abc --output ndjson'],
  'openai costs': ['rekey openai costs --since 30d --group-by project,line-item'],
  'anthropic usage': ['rekey anthropic usage --since 7d --group-by workspace,model'],
  'anthropic costs': ['rekey anthropic costs --since 30d --group-by workspace --output csv'],
  'anthropic claude-code': ['rekey anthropic claude-code --since 14d --group-by actor'],
  offboard: ['rekey offboard bob@example.com', 'rekey offboard bob@example.com --execute --plan 3f2a9c1b7d10 --rotate next-window --yes'],

  'report compliance': ['rekey report compliance --standard pci-dss-4 --format html --out-file report.html'],
  'report review': ['rekey report review --unused-days 60'],
  'report verify': ['rekey report verify report.json'],
};

/** The path of a command below the program: `credential add`. */
export function commandPath(command: Command): string {
  const words: string[] = [];
  for (let at: Command | null = command; at?.parent !== null && at !== null; at = at.parent) words.unshift(at.name());
  return words.join(' ');
}

/** The examples `--help` shows for a command: its own, else the first of each of its commands, else its usage. */
export function examplesFor(command: Command): string[] {
  const own = COMMAND_EXAMPLES[commandPath(command)];
  if (own !== undefined) return [...own];
  if (command.commands.length > 0) return command.commands.flatMap((child) => examplesFor(child).slice(0, 1));
  const operands = command.registeredArguments.map((argument) => (argument.required ? `<${argument.name()}>` : `[${argument.name()}]`));
  return [['rekey', commandPath(command), ...operands].join(' ')];
}

/** Add "Examples:" to the help of `command` and every command below it. */
export function attachExamples(command: Command): void {
  const examples = examplesFor(command);
  if (examples.length > 0) command.addHelpText('after', `\nExamples:\n${examples.map((example) => `  $ ${example}`).join('\n')}\n`);
  for (const child of command.commands) attachExamples(child);
}
