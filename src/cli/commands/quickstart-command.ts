/**
 * `rekey quickstart`: a rehearsal world in one command. It starts the provider emulator in
 * this terminal, creates a project and a project key there, initialises a scratch
 * REKEY_HOME, registers the key as `openai/quickstart/dev` (scope, allowed model, a 3 s
 * rehearsal grace in its policy) with an env-file consumer, writes the variables to
 * `env.sh` (mode 0600: the emulator's admin key is a secret too) and prints the commands
 * to try next. Setting up runs the same `rekey init`, `credential add` and `consumer add`
 * a person would run (child processes of this binary; the key goes in on stdin).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { RekeyError, UsageError } from '../../core/errors.js';
import type { SecretValue } from '../../core/secret-value.js';
import { colour } from '../output.js';

export const QUICKSTART_CREDENTIAL = 'openai/quickstart/dev';
const CONSUMER = 'quickstart-app';

interface QuickstartOptions {
  dir?: string;
  port?: string;
}

function runSelf(args: string[], env: Record<string, string>, input?: SecretValue): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [process.argv[1] ?? '', ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(output);
      else reject(new RekeyError('internal', `quickstart: \`rekey ${args.slice(0, 2).join(' ')}\` failed: ${output.trim().split('\n').at(-1) ?? ''}`));
    });
    child.stdin.end(input === undefined ? '' : input.reveal());
  });
}

function scratchDirectory(dir: string | undefined): string {
  if (dir === undefined) return mkdtempSync(join(tmpdir(), 'rekey-quickstart-'));
  const path = resolve(dir);
  if (existsSync(path) && readdirSync(path).length > 0) {
    throw new UsageError(`${path} is not empty`, { hint: 'quickstart needs a new or empty directory; omit --dir for a fresh temporary one' });
  }
  mkdirSync(path, { recursive: true, mode: 0o700 });
  return path;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

async function quickstart(options: QuickstartOptions): Promise<void> {
  const port = options.port === undefined ? 0 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not "${options.port}"`);
  const directory = scratchDirectory(options.dir);
  const home = join(directory, 'home');
  const envFile = join(directory, 'app.env');

  const { startEmulator } = await import('../../emulator/emulator.js');
  const emulator = await startEmulator({ port });
  try {
    const project = await emulator.seedOpenAIProject('quickstart');
    // The app starts out reading the current key from its env file.
    writeFileSync(envFile, `# the quickstart app's settings; rekey rewrites OPENAI_API_KEY on every rotation\nOPENAI_API_KEY=${project.key.reveal()}\n`, { mode: 0o600 });
    const env = { REKEY_HOME: home, NO_COLOR: process.env.NO_COLOR ?? '' };
    await runSelf(['init'], env);
    // The credential's preflight runs against the emulator (not whatever OpenAI settings this shell has).
    const providerEnv = { OPENAI_BASE_URL: emulator.openaiBaseUrl, OPENAI_ADMIN_KEY: emulator.adminKeys.openai.reveal() };
    await runSelf(
      ['credential', 'add', QUICKSTART_CREDENTIAL, '--provider', 'openai', '--scope', `project=${project.projectId}`, '--allowed-model', 'gpt-4o-mini',
        '--owner', 'quickstart', '--grace-quiet', '3s', '--grace-max', '2m', '--read-value', '--provider-key-id', project.keyId],
      { ...env, ...providerEnv },
      project.key,
    );
    await runSelf(['consumer', 'add', QUICKSTART_CREDENTIAL, CONSUMER, '--path', envFile, '--var', 'OPENAI_API_KEY'], env);
    const variables = {
      REKEY_HOME: home,
      OPENAI_BASE_URL: emulator.openaiBaseUrl,
      OPENAI_ADMIN_KEY: emulator.adminKeys.openai.reveal(),
    };
    const envScript = join(directory, 'env.sh');
    writeFileSync(envScript, Object.entries(variables).map(([name, value]) => `export ${name}=${shellQuote(value)}\n`).join(''), { mode: 0o600 });

    const out = (line = '') => process.stdout.write(line + '\n');
    out(`${colour.green('quickstart ready')} in ${directory}`);
    out(`  emulator:   ${emulator.openaiBaseUrl} (project ${project.projectId}, key ${project.keyId})`);
    out(`  home:       ${home}`);
    out(`  credential: ${QUICKSTART_CREDENTIAL} (rehearsal grace: 3s quiet, 2m max)`);
    out(`  consumer:   ${CONSUMER} → ${envFile} (OPENAI_API_KEY)`);
    out();
    out('In another terminal:');
    out(`  source ${envScript}                 # REKEY_HOME, OPENAI_BASE_URL, OPENAI_ADMIN_KEY`);
    out(`  rekey rotate ${QUICKSTART_CREDENTIAL}           # mint → test → deliver → promote → grace → revoke, in seconds`);
    out(`  rekey status`);
    out(`  rekey scan ${directory}        # finds the key in app.env and names it as ours`);
    out(`  rekey serve --port 8420                     # the endpoint the SDK reads (rekey token create --kind read …)`);
    out();
    out(colour.dim('Press Ctrl+C to stop the emulator (the scratch directory stays).'));
    await new Promise<void>((resolveStop) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolveStop();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  } finally {
    await emulator.close();
  }
}

export function register(program: Command): void {
  program
    .command('quickstart')
    .description('Rehearse in one command: emulator, project and key, scratch home, credential and env-file consumer')
    .option('--dir <dir>', 'scratch directory (new or empty; default: a fresh temporary directory)')
    .option('--port <port>', 'emulator port (default: any free port)')
    .action((options: QuickstartOptions) => quickstart(options));
}
