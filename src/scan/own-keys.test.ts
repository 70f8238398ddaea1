import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeKey, seededRandom } from '../../bench/scan/fake-key-generator.js';
import { createManualClock } from '../core/clock.js';
import { fingerprint } from '../crypto/fingerprint.js';
import { buildBaseline, readBaseline, writeBaseline } from './baseline.js';
import { createMemoryLookup, matchFindings } from './own-keys.js';
import type { OwnKeyFoundEvent } from './scan-service.js';
import { createScanService } from './scan-service.js';
import { PassThrough } from 'node:stream';

const random = seededRandom(41);
const directory = mkdtempSync(join(tmpdir(), 'rekey-own-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

async function scanString(text: string, service = createScanService()) {
  const stream = new PassThrough();
  stream.end(text);
  return service.scan({ stream });
}

describe('own keys and baselines', () => {
  const salt = randomBytes(32);
  const ours = fakeKey('openai-project-key', random);
  const previous = fakeKey('anthropic-api-key', random);
  const stranger = fakeKey('groq-api-key', random);
  const text = `A=${ours}\nB=${previous}\nC=${stranger}\nD=${ours}\n`;
  const lookup = createMemoryLookup([
    [fingerprint(salt, ours), { credential: 'openai/ticketing/prod', stage: 'current' }],
    [fingerprint(salt, previous), { credential: 'anthropic/support/prod', stage: 'previous' }],
  ]);

  it('matchFindings names the credential and stage of our keys, looking each value up once', async () => {
    const { findings } = await scanString(text);
    const asked: string[] = [];
    const owned = await matchFindings(findings, async (print) => {
      asked.push(print);
      return lookup(print);
    }, salt);
    expect(asked).toHaveLength(3);
    expect(owned.map((own) => [own.finding.location.line, own.ownership.credential, own.ownership.stage])).toEqual([
      [1, 'openai/ticketing/prod', 'current'],
      [2, 'anthropic/support/prod', 'previous'],
      [4, 'openai/ticketing/prod', 'current'],
    ]);
    expect(findings[2]?.ownership).toBeUndefined();
    expect(owned[0]?.fingerprint).toBe(fingerprint(salt, ours));
  });

  it('accepts the vault\'s fingerprintOf instead of its salt', async () => {
    const { findings } = await scanString(text);
    const owned = await matchFindings(findings, lookup, (value) => fingerprint(salt, value));
    expect(owned.map((own) => own.ownership.stage)).toEqual(['current', 'previous', 'current']);
    const service = createScanService({ ownKeys: { lookup, fingerprintOf: (value) => fingerprint(salt, value) } });
    expect((await scanString(text, service)).findings.filter((finding) => finding.ownership !== undefined)).toHaveLength(3);
  });

  it('a different salt recognises nothing (fingerprints are salted like the vault)', async () => {
    const { findings } = await scanString(text);
    expect(await matchFindings(findings, lookup, randomBytes(32))).toEqual([]);
  });

  it('calls onOwnKeyFound for each own key with the time it was found', async () => {
    const clock = createManualClock(new Date('2026-05-01T10:00:00Z'));
    const events: OwnKeyFoundEvent[] = [];
    const service = createScanService({ ownKeys: { salt, lookup }, clock, onOwnKeyFound: (event) => void events.push(event) });
    const report = await scanString(text, service);
    expect(report.findings).toHaveLength(4);
    expect(events.map((event) => [event.ownership.stage, event.foundAt.toISOString()])).toEqual([
      ['current', '2026-05-01T10:00:00.000Z'],
      ['previous', '2026-05-01T10:00:00.000Z'],
      ['current', '2026-05-01T10:00:00.000Z'],
    ]);
  });

  it('a hook failure is reported, not fatal', async () => {
    const service = createScanService({ ownKeys: { salt, lookup }, onOwnKeyFound: () => { throw new Error('rotation engine down'); } });
    const report = await scanString(text, service);
    expect(report.findings).toHaveLength(4);
    expect(report.hookErrors.map((error) => error.message)).toEqual(Array(3).fill('rotation engine down'));
  });

  it('a baseline accepts known findings by fingerprint and stores no value', async () => {
    const first = await scanString(`X=${stranger}\n`);
    const path = join(directory, 'baseline.json');
    await writeBaseline(path, buildBaseline(first.findings));
    const stored = readFileSync(path, 'utf8');
    expect(stored).not.toContain(stranger);
    const baseline = await readBaseline(path);
    const report = await scanString(text, createScanService({ baseline }));
    expect(report.suppressed).toBe(1);
    expect(report.findings.map((finding) => finding.detectorId)).toEqual(['openai-project-key', 'anthropic-api-key', 'openai-project-key']);
  });

  it('rejects a malformed baseline with the file and field named', async () => {
    const path = join(directory, 'bad.json');
    await writeBaseline(path, { version: 1, tool: 'rekey', salt: 'c2hvcnQ=', entries: [] });
    await expect(readBaseline(path)).rejects.toThrow(/bad\.json.*salt/);
  });
});
