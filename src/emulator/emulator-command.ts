/**
 * `rekey emulator`: run the provider emulator in the foreground until SIGINT / SIGTERM.
 * Admin keys come from REKEY_EMULATOR_ADMIN_KEY, REKEY_EMULATOR_ANTHROPIC_ADMIN_KEY and
 * REKEY_EMULATOR_OPENROUTER_MANAGEMENT_KEY; any that is unset is generated and printed
 * once at start. That print is deliberate: it is the emulator's own bootstrap secret and
 * the only way to use a generated key. Keys taken from the environment are never printed.
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import type { EmulatorKnobs, EmulatorOptions, RunningEmulator } from './emulator.js';

export interface EmulatorFlags {
  port?: string;
  seed?: string;
  stateFile?: string;
  activationDelay?: string;
  revocationDelay?: string;
  rate429?: string;
  rate5xx?: string;
  latency?: string;
  retryAfter?: string;
  /** Days of hourly usage for a seeded organisation (`--seed-org [days]`). */
  seedOrg?: string | boolean;
}

export interface EmulatorCommandIo {
  env: Record<string, string | undefined>;
  write(line: string): void;
  /** Resolves when the emulator should stop (signals in the CLI, a promise in tests). */
  waitForStop(): Promise<void>;
}

function number(flag: string, value: string | undefined, options: { integer?: boolean; max?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  const valid = value.trim() !== '' && Number.isFinite(parsed) && parsed >= 0 && (options.max === undefined || parsed <= options.max) && (!options.integer || Number.isInteger(parsed));
  if (!valid) {
    const range = options.max === undefined ? '>= 0' : `between 0 and ${options.max}`;
    throw new UsageError(`${flag} must be ${options.integer ? 'an integer' : 'a number'} ${range}, got '${value}'`);
  }
  return parsed;
}

export function emulatorOptionsFrom(flags: EmulatorFlags, env: Record<string, string | undefined>): EmulatorOptions {
  const knobs: Partial<EmulatorKnobs> = {};
  const set = (name: keyof EmulatorKnobs, value: number | undefined) => {
    if (value !== undefined) knobs[name] = value;
  };
  set('activationDelayMs', number('--activation-delay', flags.activationDelay));
  set('revocationDelayMs', number('--revocation-delay', flags.revocationDelay));
  set('rate429', number('--rate-429', flags.rate429, { max: 1 }));
  set('rate5xx', number('--rate-5xx', flags.rate5xx, { max: 1 }));
  set('latencyMs', number('--latency', flags.latency));
  set('retryAfterSeconds', number('--retry-after', flags.retryAfter, { integer: true }));
  const options: EmulatorOptions = { knobs, port: number('--port', flags.port, { integer: true, max: 65535 }) ?? 0 };
  const seed = number('--seed', flags.seed, { integer: true, max: 0xffffffff });
  if (seed !== undefined) options.seed = seed;
  if (flags.stateFile !== undefined) options.stateFile = flags.stateFile;
  const fromEnv = (name: string) => {
    const value = env[name];
    if (value === undefined || value.trim() === '') return undefined;
    // A key typed from a placeholder (`sk-admin-…`) holds a character no HTTP header can carry: every request would get 401.
    if (!/^[\x21-\x7e]+$/.test(value.trim())) {
      throw new UsageError(`${name} holds a character that is not printable ASCII (an ellipsis "…" copied from a placeholder?), so no client could send it`, {
        hint: `use letters, digits and - _ only, e.g. ${name}=sk-admin-rehearsal, or unset it to have one generated`,
      });
    }
    return value.trim();
  };
  const openai = fromEnv('REKEY_EMULATOR_ADMIN_KEY');
  const anthropic = fromEnv('REKEY_EMULATOR_ANTHROPIC_ADMIN_KEY');
  const openrouter = fromEnv('REKEY_EMULATOR_OPENROUTER_MANAGEMENT_KEY');
  if (openai !== undefined) options.openaiAdminKey = openai;
  if (anthropic !== undefined) options.anthropicAdminKey = anthropic;
  if (openrouter !== undefined) options.openrouterManagementKey = openrouter;
  return options;
}

export async function runEmulator(flags: EmulatorFlags, io: EmulatorCommandIo): Promise<void> {
  const options = emulatorOptionsFrom(flags, io.env);
  const { startEmulator } = await import('./emulator.js');
  const emulator: RunningEmulator = await startEmulator(options);
  if (flags.seedOrg !== undefined && flags.seedOrg !== false) {
    const days = flags.seedOrg === true ? undefined : number('--seed-org', flags.seedOrg, { integer: true, max: 400 });
    const seeded = emulator.seedOrganization({ days });
    io.write(`  seeded organisation: OpenAI projects ${Object.keys(seeded.openai.projects).join(', ')}; Anthropic workspaces ${Object.keys(seeded.anthropic.workspaces).join(', ')}`);
  }
  const port = new URL(emulator.url).port;
  io.write(`rekey emulator listening on ${emulator.url} (port ${port})`);
  io.write(`  OpenAI      ${emulator.openaiBaseUrl}`);
  io.write(`  Anthropic   ${emulator.anthropicBaseUrl}`);
  io.write(`  OpenRouter  ${emulator.openrouterBaseUrl}`);
  io.write(`  Anthropic console (emulator-only): POST ${emulator.url}/anthropic/_emulator_console/api_keys`);
  const bootstrap: Array<[string, string, string | undefined, { reveal(): string; hint: string }]> = [
    ['OpenAI admin key', 'REKEY_EMULATOR_ADMIN_KEY', options.openaiAdminKey, emulator.adminKeys.openai],
    ['Anthropic admin key', 'REKEY_EMULATOR_ANTHROPIC_ADMIN_KEY', options.anthropicAdminKey, emulator.adminKeys.anthropic],
    ['OpenRouter management key', 'REKEY_EMULATOR_OPENROUTER_MANAGEMENT_KEY', options.openrouterManagementKey, emulator.adminKeys.openrouter],
  ];
  for (const [label, variable, given, key] of bootstrap) {
    // Generated bootstrap keys are printed on purpose (see the file comment); given ones only as a hint.
    io.write(given === undefined ? `  ${label} (generated; set ${variable} to choose one): ${key.reveal()}` : `  ${label}: from ${variable} (${key.hint})`);
  }
  io.write('Press Ctrl+C to stop.');
  try {
    await io.waitForStop();
  } finally {
    await emulator.close();
    io.write('rekey emulator stopped');
  }
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** `io` is for tests; the CLI passes nothing and gets the process environment, stdout and signals. */
export function registerEmulatorCommand(program: Command, io: Partial<EmulatorCommandIo> = {}): void {
  program
    .command('emulator')
    .description('Run the local provider emulator (OpenAI, Anthropic, OpenRouter) for rehearsals, demos and tests')
    .option('--port <port>', 'port to listen on, 0 = any free port', '0')
    .option('--seed <n>', 'seed for ids and fault injection (key values are always random)')
    .option('--state-file <file>', 'load state from and save state to this JSON file (stores key hashes, never values)')
    .option('--activation-delay <ms>', 'a new key answers 401 for this long')
    .option('--revocation-delay <ms>', 'a revoked key keeps working for this long')
    .option('--rate-429 <r>', 'fraction of requests answered 429 with retry-after (0..1)')
    .option('--retry-after <s>', 'retry-after seconds on injected 429s')
    .option('--rate-5xx <r>', 'fraction of requests answered 5xx (0..1)')
    .option('--latency <ms>', 'latency added to every request')
    .option('--seed-org [days]', 'seed an organisation (projects, people, keys, usage and costs over this many days, default 35)')
    .addHelpText(
      'after',
      '\nEnvironment: REKEY_EMULATOR_ADMIN_KEY, REKEY_EMULATOR_ANTHROPIC_ADMIN_KEY, REKEY_EMULATOR_OPENROUTER_MANAGEMENT_KEY\n' +
        'set the admin keys it accepts; unset ones are generated and printed at start.',
    )
    .action(async (flags: EmulatorFlags) => {
      await runEmulator(flags, { env: io.env ?? process.env, write: io.write ?? ((line) => console.log(line)), waitForStop: io.waitForStop ?? waitForSignal });
    });
}
