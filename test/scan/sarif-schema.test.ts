import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { fakeKey, seededRandom } from '../../bench/scan/fake-key-generator.js';
import { scanText } from '../../src/scan/scan-engine.js';
import { createFinding } from '../../src/scan/finding.js';
import { toSarif } from '../../src/scan/sarif-report.js';

function loadValidator() {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'sarif-2.1.0-rtm.5.schema.json'), 'utf8')) as Record<string, unknown>;
  // Draft-04 → ajv 8: the only draft-04 construct in this schema is the top-level `id`.
  // One of its patterns is not valid with the `u` flag, hence `unicodeRegExp: false`.
  schema['$id'] = schema['id'];
  delete schema['id'];
  delete schema['$schema'];
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  const addFormats = addFormatsModule as unknown as (instance: Ajv) => void;
  addFormats(ajv);
  return ajv.compile(schema);
}

describe('SARIF output', () => {
  const validate = loadValidator();
  const random = seededRandom(31);

  it('the schema rejects a malformed log (the validator is real)', () => {
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toBe(false);
    expect(validate({ version: '2.0.0', runs: [] })).toBe(false);
  });

  it('validates against the SARIF 2.1.0 schema, with and without results', () => {
    const key = fakeKey('openai-admin-key', random);
    const text = `# config\nOPENAI_ADMIN_KEY=${key}\n`;
    const findings = scanText(text).map((match) => {
      const finding = createFinding(match.detector, match.value, {
        source: 'git', path: 'deploy/secret files/é.env', line: 2, column: 18, byteOffset: match.start, byteLength: match.value.length,
        commit: 'a'.repeat(40), author: 'Ada <ada@example.test>', committedAt: '2026-01-01T00:00:00Z',
      }, undefined);
      finding.ownership = { credential: 'openai/ops/prod', stage: 'current' };
      finding.verification = 'live';
      return finding;
    });
    expect(findings).toHaveLength(1);
    const log = toSarif(findings, { toolVersion: '0.1.0' });
    const valid = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(JSON.stringify(log)).not.toContain(key);
    expect(validate(toSarif([], { toolVersion: '0.1.0' }))).toBe(true);
    // A deep defect is caught too: a result level outside the enum.
    const broken = JSON.parse(JSON.stringify(log)) as { runs: Array<{ results: Array<Record<string, unknown>> }> };
    const result = broken.runs[0]?.results[0];
    if (result !== undefined) result['level'] = 'fatal';
    expect(validate(broken)).toBe(false);
  });
});
