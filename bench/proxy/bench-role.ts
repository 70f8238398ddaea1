/**
 * One process of a benchmark or load run: `node dist/bench/proxy/bench-role.js <role>`.
 * Roles: `emulator`, `proxy` (rekey proxy), `serve` (rekey serve), `upstream` (the minimal
 * upstream of bench/proxy), `bare` (the bare pass-through proxy in front of REKEY_BENCH_UPSTREAM). Settings come from
 * environment variables (never arguments: they carry a master key); the process prints
 * one JSON line `{ "url": … }` when it listens and stops when its stdin closes.
 */
import { openStore } from '../../src/store/open-store.js';
import { createEnvelope } from '../../src/crypto/envelope.js';
import { createVault } from '../../src/vault/vault.js';
import { startEmulator } from '../../src/emulator/emulator.js';
import { startProxy } from '../../src/proxy/proxy-server.js';
import { startKeyServer } from '../../src/server/key-server.js';
import { startBareProxy } from './bare-proxy.js';
import { startMiniUpstream } from './mini-upstream.js';

function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

const reportError = (message: string) => process.stderr.write(`${process.argv[2] ?? 'role'}: ${message}\n`);

async function openData() {
  const store = await openStore({ databaseUrl: process.env.REKEY_BENCH_DATABASE_URL, sqlitePath: setting('REKEY_BENCH_SQLITE') });
  const vault = createVault({
    store,
    envelope: createEnvelope(Buffer.from(setting('REKEY_BENCH_MASTER_KEY'), 'base64')),
    fingerprintSalt: Buffer.from(setting('REKEY_BENCH_SALT'), 'base64'),
  });
  return { store, vault };
}

async function main(role: string | undefined): Promise<{ url: string; close(): Promise<void> }> {
  if (role === 'emulator') {
    return startEmulator({ port: 0, seed: 99, openaiAdminKey: setting('REKEY_BENCH_ADMIN_KEY') });
  }
  if (role === 'upstream') {
    const { url, server } = await startMiniUpstream();
    return { url, close: () => new Promise<void>((done) => (server.closeAllConnections(), server.close(() => done()))) };
  }
  if (role === 'bare') {
    const { url, server } = await startBareProxy(setting('REKEY_BENCH_UPSTREAM'));
    return { url, close: () => new Promise<void>((done) => (server.closeAllConnections(), server.close(() => done()))) };
  }
  if (role === 'proxy') {
    const data = await openData();
    const proxy = await startProxy({ ...data, upstreams: { openai: setting('REKEY_BENCH_UPSTREAM') }, onError: reportError, ...(process.env.REKEY_BENCH_ACCESS_LOG === '1' ? { log: (entry) => process.stderr.write(`${JSON.stringify(entry)}\n`) } : {}) });
    return { url: proxy.url, close: async () => (await proxy.close(), await data.store.close()) };
  }
  if (role === 'serve') {
    const data = await openData();
    const server = await startKeyServer({ ...data, onError: reportError });
    return { url: server.url, close: async () => (await server.close(), await data.store.close()) };
  }
  throw new Error(`unknown role ${role ?? '(none)'}`);
}

const running = await main(process.argv[2]);
process.stdout.write(`${JSON.stringify({ url: running.url })}\n`);
const stop = () => void running.close().finally(() => process.exit(0));
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
