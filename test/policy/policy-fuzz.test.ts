/**
 * Fuzz: fast-check mutates a complete rekey.yaml (wrong types, unknown fields, YAML anchors
 * and alias bombs, truncation, invalid UTF-8, control bytes, 10 MB) and the loader must
 * either accept it or refuse it with located problems — never crash, never hang. Then a
 * sample of refused files goes through `rekey apply --auto-approve` and the store (export
 * and audit log) must be unchanged.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyFile, PolicyFileError } from '../../src/policy/policy-loader.js';
import { temporaryHome } from '../helpers/cli-runner.js';
import { rekeyIn } from './policy-fixture.js';

const VALID = {
  version: 1,
  credentials: {
    'openai/ticketing/prod': { provider: 'openai', owner: 'team', scope: { project: 'proj_a' }, allowedModels: ['gpt-4o-mini'], policy: { onLeak: 'rotate', graceMax: '24h' }, valueFrom: 'env:TICKETING_KEY', consumers: { app: { kind: 'env-file', config: { path: 'a.env', name: 'OPENAI_API_KEY' } } } },
    'anthropic/search/dev': { provider: 'anthropic', owner: 'search', allowedModels: ['claude-haiku-4-5'] },
  },
  schedules: { prod: { environments: ['prod'], every: 90, start: '2026-01-14' } },
  policies: { environments: { prod: { maxKeyAgeDays: 90, allowedModels: ['gpt-4o-mini'] } }, stagger: [{ before: 'staging', after: 'prod', minDays: 7 }] },
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path into the document, so a mutation can target any field. */
function paths(value: Json, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, inner]) => paths(inner, [...prefix, key]))];
}
const ALL_PATHS = paths(VALID as unknown as Json);

function setAt(document: Json, path: string[], replacement: Json): Json {
  if (path.length === 0) return replacement;
  const copy = structuredClone(document) as Record<string, Json>;
  let node = copy as Record<string, Json>;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string, Json>;
  node[path.at(-1) ?? ''] = replacement;
  return copy;
}

const wrongValue = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 20 }), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 3 }));

const textMutation = fc.oneof(
  // wrong type anywhere
  fc.record({ path: fc.constantFrom(...ALL_PATHS), value: wrongValue }).map(({ path, value }) => stringify(setAt(VALID as unknown as Json, path, value))),
  // unknown field anywhere that is a mapping
  fc.record({ path: fc.constantFrom(...ALL_PATHS), key: fc.string({ minLength: 1, maxLength: 12 }) }).map(({ path, key }) => {
    const target = path.reduce<Json>((node, part) => (node !== null && typeof node === 'object' ? (node as Record<string, Json>)[part] ?? null : null), VALID as unknown as Json);
    if (target === null || typeof target !== 'object' || Array.isArray(target)) return stringify(VALID);
    return stringify(setAt(VALID as unknown as Json, path, { ...target, [key]: 1 }));
  }),
  // truncation and byte damage of the valid text
  fc.record({ cut: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), at: fc.nat() }).map(({ cut, byte, at }) => {
    const bytes = Buffer.from(stringify(VALID));
    const damaged = Buffer.from(bytes.subarray(0, Math.max(1, cut % bytes.length)));
    damaged[at % damaged.length] = byte;
    return damaged;
  }),
  // anchors, aliases, merge keys and alias bombs
  fc.integer({ min: 1, max: 9 }).map((depth) => {
    const lines = ['version: 1', 'x0: &x0 [a, b, c, d, e, f, g, h, i, j]'];
    for (let level = 1; level <= depth; level += 1) lines.push(`x${level}: &x${level} [${Array(10).fill(`*x${level - 1}`).join(', ')}]`);
    return lines.join('\n') + '\n';
  }),
  fc.constant('version: 1\ndefaults: &d { owner: me }\ncredentials:\n  openai/a/prod:\n    <<: *d\n    provider: openai\n'),
  // random YAML-ish garbage
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
);

function expectLocated(error: unknown): void {
  expect(error).toBeInstanceOf(PolicyFileError);
  const problems = (error as PolicyFileError).problems;
  expect(problems.length).toBeGreaterThan(0);
  for (const problem of problems) {
    expect(problem.file).toBe('rekey.yaml');
    expect(problem.line).toBeGreaterThanOrEqual(1);
    expect(problem.column).toBeGreaterThanOrEqual(1);
    expect(problem.message.length).toBeGreaterThan(5);
  }
}

describe('fuzzing rekey.yaml', () => {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-fuzz-'));

  it('every mutated file is accepted or refused with a location; nothing else is thrown', () => {
    let refused = 0;
    fc.assert(
      fc.property(textMutation, (content) => {
        writeFileSync(join(directory, 'rekey.yaml'), content);
        try {
          loadPolicyFile('rekey.yaml', { cwd: directory });
        } catch (error) {
          expectLocated(error);
          refused += 1;
        }
      }),
      { numRuns: 300, seed: 13, interruptAfterTimeLimit: 15_000 },
    );
    expect(refused).toBeGreaterThan(100);
  });

  it('a 10 MB file and an alias bomb are refused quickly', () => {
    writeFileSync(join(directory, 'rekey.yaml'), Buffer.alloc(10 * 1024 * 1024, 'a'));
    const started = performance.now();
    expect(() => loadPolicyFile('rekey.yaml', { cwd: directory })).toThrow(/10\.0 MiB/);
    writeFileSync(join(directory, 'rekey.yaml'), 'version: 1\na: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n');
    expect(() => loadPolicyFile('rekey.yaml', { cwd: directory })).toThrow(PolicyFileError);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('refused files change nothing in the store', () => {
  let home: string;
  let cwd: string;
  const env = () => ({ REKEY_HOME: home, TICKETING_KEY: 'sk-proj-FUZZplanted0123456789abcdefT3BlbkFJzyxwvutsrq' });
  beforeAll(async () => {
    home = temporaryHome();
    cwd = mkdtempSync(join(tmpdir(), 'rekey-fuzz-apply-'));
    expect((await rekeyIn(cwd, ['init'], env())).code).toBe(0);
    writeFileSync(join(cwd, 'rekey.yaml'), stringify(VALID));
    const apply = await rekeyIn(cwd, ['apply', '--auto-approve'], env());
    expect(apply.code, apply.stderr).toBe(0);
  });

  it('wrong types, unknown fields, invalid UTF-8, an alias bomb and a missing reference all exit 1 and leave the store as it was', async () => {
    const before = await rekeyIn(cwd, ['export'], env());
    const auditBefore = (await rekeyIn(cwd, ['audit', 'export', '--format', 'json'], env())).stdout;
    const changed = structuredClone(VALID) as typeof VALID & { credentials: Record<string, Record<string, unknown>> };
    changed.credentials['openai/ticketing/prod'] = { ...changed.credentials['openai/ticketing/prod'], owner: 'new-team' };
    changed.credentials['openai/other/prod'] = { provider: 'openai', owner: 'x', allowedModels: ['gpt-4o-mini'], valueFrom: 'env:NOT_SET_ANYWHERE' };
    const bad: Array<[string, string | Buffer, RegExp]> = [
      ['wrong type', stringify({ ...VALID, credentials: { 'openai/ticketing/prod': { ...VALID.credentials['openai/ticketing/prod'], allowedModels: 'gpt-4o' } } }), /bad\.yaml:\d+:\d+: credentials\.openai\/ticketing\/prod\.allowedModels: expected a list/],
      ['unknown field', stringify({ ...VALID, credentails: {} }), /unknown field "credentails"; did you mean "credentials"\?/],
      ['invalid UTF-8', Buffer.concat([Buffer.from('version: 1\nx: '), Buffer.from([0xff, 0xfe])]), /bad\.yaml:2:4: is not valid UTF-8/],
      ['alias bomb', 'version: 1\na: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e]\n', /alias/i],
      ['missing reference (valid file, changes pending)', stringify(changed), /valueFrom env:NOT_SET_ANYWHERE: the environment variable NOT_SET_ANYWHERE is not set/],
    ];
    for (const [label, content, message] of bad) {
      writeFileSync(join(cwd, 'bad.yaml'), content);
      const result = await rekeyIn(cwd, ['apply', 'bad.yaml', '--auto-approve'], env());
      expect(result.code, label).toBe(1);
      expect(result.stderr, label).toMatch(message);
      expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
    }
    expect((await rekeyIn(cwd, ['export'], env())).stdout).toBe(before.stdout);
    expect((await rekeyIn(cwd, ['audit', 'export', '--format', 'json'], env())).stdout).toBe(auditBefore);
  });
});
