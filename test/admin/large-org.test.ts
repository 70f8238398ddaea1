/**
 * The memory measure: listing 10,000 keys and reading 90 days of hourly usage buckets
 * through the real binary, rows streamed to stdout. The child's peak RSS is read from
 * `process.resourceUsage()` at exit (a preload, test-only) and compared with a run ten
 * times smaller: memory stays flat because no command holds more than a page.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator, type SeededOrganization } from '../../src/emulator/emulator.js';
import { REKEY_BIN } from '../helpers/cli-runner.js';

const PEAK_RSS = 'data:text/javascript,process.on("exit",()=>process.stderr.write("peak-rss-kb="+process.resourceUsage().maxRSS+"\\n"))';

interface Measured {
  code: number;
  lines: number;
  peakRssMb: number;
  stderr: string;
}

function measure(args: string[], env: Record<string, string>): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PEAK_RSS, REKEY_BIN, ...args], { env: { PATH: process.env.PATH, NO_COLOR: '1', REKEY_HOME: '/nonexistent/rekey-home', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 10) lines += 1;
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const peak = /peak-rss-kb=(\d+)/.exec(stderr);
      resolve({ code: code ?? -1, lines, peakRssMb: peak === null ? Number.NaN : Number(peak[1]) / 1024, stderr });
    });
  });
}

let small: RunningEmulator;
let large: RunningEmulator;
let smallOrg: SeededOrganization;
let largeOrg: SeededOrganization;
const envOf = (emulator: RunningEmulator) => ({ OPENAI_ADMIN_KEY: emulator.adminKeys.openai.reveal(), OPENAI_BASE_URL: emulator.openaiBaseUrl });

beforeAll(async () => {
  small = await startEmulator({ seed: 1 });
  smallOrg = small.seedOrganization({ days: 9, bulkKeys: 1_000 });
  large = await startEmulator({ seed: 2 });
  largeOrg = large.seedOrganization({ days: 90, bulkKeys: 10_000 });
}, 60_000);
afterAll(async () => {
  await small.close();
  await large.close();
});

describe('memory stays flat over a large organisation', () => {
  it('10,000 keys in 100 pages: peak RSS about that of 1,000 keys', async () => {
    const list = (org: SeededOrganization) => ['openai', 'keys', 'list', '--project', org.openai.projects['bulk'] ?? '', '--output', 'ndjson'];
    const thousand = await measure(list(smallOrg), envOf(small));
    const tenThousand = await measure(list(largeOrg), envOf(large));
    expect(thousand.code, thousand.stderr).toBe(0);
    expect(tenThousand.code, tenThousand.stderr).toBe(0);
    expect(thousand.lines).toBe(1_000);
    expect(tenThousand.lines).toBe(10_000);
    console.log(`keys list peak RSS: 1,000 keys ${thousand.peakRssMb.toFixed(1)} MB, 10,000 keys ${tenThousand.peakRssMb.toFixed(1)} MB`);
    expect(tenThousand.peakRssMb - thousand.peakRssMb).toBeLessThan(20);
  }, 120_000);

  it('90 days of hourly completions buckets (13 pages): peak RSS about that of 9 days', async () => {
    const usage = (days: number) => ['openai', 'usage', 'completions', '--since', `${days}d`, '--bucket', '1h', '--output', 'ndjson'];
    const nine = await measure(usage(9), envOf(large));
    const ninety = await measure(usage(90), envOf(large));
    expect(ninety.code, ninety.stderr).toBe(0);
    // One row per hour that had traffic: nearly every hour of the seeded range (the oldest keys start within it).
    // How many of the first hours have traffic depends on the keys' random ages and on the hour
    // the test runs; 80 days of hourly rows is still far past the 13 pages this measures.
    expect(ninety.lines).toBeGreaterThanOrEqual(80 * 24);
    expect(nine.lines).toBeGreaterThanOrEqual(8 * 24);
    console.log(`usage peak RSS: 9 days hourly ${nine.peakRssMb.toFixed(1)} MB, 90 days hourly ${ninety.peakRssMb.toFixed(1)} MB`);
    expect(ninety.peakRssMb - nine.peakRssMb).toBeLessThan(20);
  }, 120_000);
});
