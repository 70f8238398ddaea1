/**
 * The demo's sample application: a separate process that sends a steady stream of chat
 * completions with the key it reads from its env file, as a real app would. It re-reads
 * the file when told to (SIGHUP, as the rotation's exec reload action sends), and on a
 * 401 falls back to the versioned keys in the file (`OPENAI_API_KEY_V<n>`), newest first.
 * A request counts as failed only when no key in the file works.
 *
 * It talks to its parent over the IPC channel: `stats` messages out, `stop` in. The key
 * reaches it only through the file: never through argv or its environment.
 */
import { readFileSync } from 'node:fs';
import { parseEnv, readVariable } from '../sinks/env-file-format.js';

interface ConsumerSettings {
  envFile: string;
  variable: string;
  baseUrl: string;
  requestsPerSecond: number;
  concurrency: number;
}

export interface ConsumerStats {
  ok: number;
  failed: number;
  fallbacks: number;
  reloads: number;
  /** Redacted hint of the key in use and since when, for the timeline. */
  keyHint: string;
  failures: Array<{ at: string; status: number | null }>;
}

function settingsFromEnvironment(): ConsumerSettings {
  const envFile = process.env.DEMO_ENV_FILE;
  const baseUrl = process.env.DEMO_BASE_URL;
  if (envFile === undefined || baseUrl === undefined) throw new Error('DEMO_ENV_FILE and DEMO_BASE_URL must be set');
  return {
    envFile,
    baseUrl,
    variable: process.env.DEMO_VARIABLE ?? 'OPENAI_API_KEY',
    requestsPerSecond: Number(process.env.DEMO_RATE ?? '40'),
    concurrency: Number(process.env.DEMO_CONCURRENCY ?? '4'),
  };
}

function hint(key: string): string {
  return `…${key.slice(-4)}`;
}

function readKeys(settings: ConsumerSettings): { main: string | undefined; versioned: string[] } {
  const document = parseEnv(readFileSync(settings.envFile, 'utf8'));
  const main = readVariable(document, settings.variable);
  const pattern = new RegExp(`^${settings.variable}_V(\\d+)$`);
  const versioned = document.entries
    .flatMap((entry) => {
      const match = 'name' in entry ? pattern.exec(entry.name) : null;
      const value = match === null || !('name' in entry) ? undefined : readVariable(document, entry.name);
      return match === null || value === undefined ? [] : [{ version: Number(match[1]), value }];
    })
    .sort((left, right) => right.version - left.version)
    .map((entry) => entry.value);
  return { main, versioned };
}

async function run(): Promise<void> {
  const settings = settingsFromEnvironment();
  let keys = readKeys(settings);
  let active = keys.main ?? keys.versioned[0] ?? '';
  const stats: ConsumerStats = { ok: 0, failed: 0, fallbacks: 0, reloads: 0, keyHint: hint(active), failures: [] };
  let stopping = false;

  const reload = (): void => {
    keys = readKeys(settings);
    active = keys.main ?? active;
    stats.reloads += 1;
    stats.keyHint = hint(active);
  };
  process.on('SIGHUP', reload);
  process.on('message', (message: unknown) => {
    if (message === 'stop') stopping = true;
    if (message === 'reload') reload();
  });

  const call = async (key: string): Promise<number | null> => {
    try {
      const response = await fetch(`${settings.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ping' }], max_tokens: 8 }),
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return null;
    }
  };

  const oneRequest = async (): Promise<void> => {
    let status = await call(active);
    if (status === 401) {
      // The key was revoked under us: try the other keys the file offers.
      keys = readKeys(settings);
      for (const candidate of [keys.main, ...keys.versioned]) {
        if (candidate === undefined || candidate === active) continue;
        status = await call(candidate);
        if (status === 200) {
          active = candidate;
          stats.fallbacks += 1;
          stats.keyHint = hint(active);
          break;
        }
      }
    }
    if (status === 200) stats.ok += 1;
    else {
      stats.failed += 1;
      if (stats.failures.length < 50) stats.failures.push({ at: new Date().toISOString(), status });
    }
  };

  const interval = 1000 / settings.requestsPerSecond;
  const worker = async (offset: number): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, offset));
    while (!stopping) {
      const started = Date.now();
      await oneRequest();
      const wait = interval * settings.concurrency - (Date.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
  const reporter = setInterval(() => process.send?.({ type: 'stats', stats }), 250);
  await Promise.all(Array.from({ length: settings.concurrency }, (_, index) => worker(index * interval)));
  clearInterval(reporter);
  process.send?.({ type: 'stats', stats, final: true }, () => process.exit(0));
}

run().catch((error: unknown) => {
  process.stderr.write(`sample consumer: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
