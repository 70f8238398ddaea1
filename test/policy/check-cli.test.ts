/**
 * `rekey check` through the built binary over the example repository and its deliberately
 * broken change (examples/inventory/broken-change.patch applied with `git apply`): text,
 * JSON, SARIF (validated against the SARIF 2.1.0 schema), JUnit (read back by junit2json)
 * and GitHub annotations; Conftest exit codes.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseJunit } from 'junit2json';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliUnavailableReason, runCli } from '../scan/cli-harness.js';
import { EXAMPLE_DIRECTORY } from './policy-fixture.js';

const AT = ['--at', '2026-12-07'];

function sarifValidator() {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'scan', 'fixtures', 'sarif-2.1.0-rtm.5.schema.json'), 'utf8')) as Record<string, unknown>;
  schema['$id'] = schema['id'];
  delete schema['id'];
  delete schema['$schema'];
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  (addFormatsModule as unknown as (instance: Ajv) => void)(ajv);
  return { validate: ajv.compile(schema), ajv };
}

/** A copy of the example with the broken change applied, as a pull request would. */
function brokenCopy(): string {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-broken-'));
  cpSync(EXAMPLE_DIRECTORY, directory, { recursive: true });
  execFileSync('git', ['apply', '-p1', 'broken-change.patch'], { cwd: directory });
  return directory;
}

const EXPECTED = [
  { rule: 'no-shared-production-value', file: 'environments/dev.yaml', line: 36 },
  { rule: 'allowed-models', file: 'environments/prod.yaml', line: 8 },
  { rule: 'naming-provider-object', file: 'environments/prod.yaml', line: 59 },
  { rule: 'stagger', file: 'policies.yaml', line: 45 },
];

describe.skipIf(cliUnavailableReason() !== undefined)('rekey check (binary)', () => {
  let broken: string;
  beforeAll(() => {
    broken = brokenCopy();
  });

  it('passes the example repository (one excepted finding, exit 0)', async () => {
    const result = await runCli(['check', ...AT], { cwd: EXAMPLE_DIRECTORY });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('0 errors, 0 warnings, 1 excepted in 5 files (12 rules)');
  });

  it('the broken change fails with exactly four findings at the changed lines', async () => {
    const text = await runCli(['check', ...AT], { cwd: broken });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('4 errors, 0 warnings');
    const json = await runCli(['check', ...AT, '--format', 'json'], { cwd: broken });
    const report = JSON.parse(json.stdout) as { findings: Array<{ rule: string; file: string; line: number; exception: unknown }> };
    const counted = report.findings.filter((finding) => finding.exception === null).map(({ rule, file, line }) => ({ rule, file, line }));
    expect(counted).toEqual(EXPECTED);
    // The lines are the ones the patch changed.
    for (const finding of EXPECTED) {
      const changed = readFileSync(join(broken, finding.file), 'utf8').split('\n')[finding.line - 1] ?? '';
      const original = readFileSync(join(EXAMPLE_DIRECTORY, finding.file), 'utf8').split('\n')[finding.line - 1] ?? '';
      expect(changed).not.toBe(original);
    }
  });

  it('SARIF 2.1.0 validates against the schema and points at the lines', async () => {
    const result = await runCli(['check', ...AT, '--format', 'sarif'], { cwd: broken });
    expect(result.code).toBe(1);
    const sarif = JSON.parse(result.stdout) as { runs: Array<{ results: Array<{ ruleId: string; suppressions?: unknown; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }> }> };
    const { validate, ajv } = sarifValidator();
    expect(validate(sarif), ajv.errorsText(validate.errors)).toBe(true);
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toBe(false);
    const located = sarif.runs[0]?.results.filter((item) => item.suppressions === undefined).map((item) => ({ rule: item.ruleId, file: item.locations[0]?.physicalLocation.artifactLocation.uri, line: item.locations[0]?.physicalLocation.region.startLine }));
    expect(located).toEqual(EXPECTED);
  });

  it('JUnit XML is read back by a JUnit parser: one failure per finding, the exception skipped', async () => {
    const outFile = join(broken, 'check.xml');
    const result = await runCli(['check', ...AT, '--format', 'junit', '--out-file', outFile], { cwd: broken });
    expect(result.code).toBe(1);
    const parsed = await parseJunit(readFileSync(outFile, 'utf8')) as { tests?: number; failures?: number; testsuite?: Array<{ name?: string; testcase?: Array<{ name?: string; failure?: Array<{ message?: string }>; skipped?: unknown[] }> }> };
    expect(parsed.failures).toBe(4);
    const failing = (parsed.testsuite ?? []).flatMap((suite) => (suite.testcase ?? []).filter((test) => (test.failure ?? []).length > 0).map((test) => `${suite.name?.split(':')[0]} ${test.name}`));
    expect(failing.sort()).toEqual(['allowed-models openai/ticketing/prod', 'naming-provider-object proj_acme_billing_prod', 'no-shared-production-value openai/billing/dev', 'stagger schedules.prod']);
    const skipped = (parsed.testsuite ?? []).flatMap((suite) => (suite.testcase ?? []).filter((test) => test.skipped !== undefined).map((test) => test.name));
    expect(skipped).toEqual(['anthropic/search/dev']);
    expect(parsed.tests).toBeGreaterThan(9 * 11);
  });

  it('GitHub annotations name file, line and column', async () => {
    const result = await runCli(['check', ...AT, '--format', 'github'], { cwd: broken });
    expect(result.stdout).toContain('::error file=environments/prod.yaml,line=8,col=34,title=rekey allowed-models::openai/ticketing/prod allows model o1-pro');
    expect(result.stdout.split('\n').filter((line) => line.startsWith('::error'))).toHaveLength(4);
  });

  it('Conftest exit codes with --fail-on-warn; a schema error is a located finding', async () => {
    expect((await runCli(['check', ...AT, '--fail-on-warn'], { cwd: broken })).code).toBe(2);
    const directory = mkdtempSync(join(tmpdir(), 'rekey-warn-'));
    writeFileSync(join(directory, 'rekey.yaml'), 'version: 1\ncredentials:\n  openai/x/prod:\n    provider: openai\n    owner: me\npolicies:\n  rules:\n    owner-required: { severity: warning }\n  exceptions:\n    - { rule: owner-required, reason: old one, expires: 2020-01-01 }\n');
    expect((await runCli(['check', ...AT], { cwd: directory })).code).toBe(0);
    expect((await runCli(['check', ...AT, '--fail-on-warn'], { cwd: directory })).code).toBe(1);
    writeFileSync(join(directory, 'bad.yaml'), 'version: 1\ncredentials:\n  openai/x/prod:\n    provder: openai\n');
    const bad = await runCli(['check', 'bad.yaml', ...AT, '--format', 'github'], { cwd: directory });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('::error file=bad.yaml,line=4,col=5,title=rekey schema::credentials.openai/x/prod.provder: unknown field "provder"; did you mean "provider"?');
  });
});
