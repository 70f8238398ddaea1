import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTree } from '../../test/policy/policy-fixture.js';
import { PolicyFileError } from './policy-loader.js';
import { rekeyJsonSchemaText } from './policy-json-schema.js';

function problemsOf(files: Record<string, string | Buffer>): PolicyFileError['problems'] {
  try {
    loadTree(files);
  } catch (error) {
    if (error instanceof PolicyFileError) return error.problems;
    throw error;
  }
  throw new Error('expected the file to be refused');
}

const CREDENTIAL = 'version: 1\ncredentials:\n  openai/ticketing/prod:\n    provider: openai\n    owner: team\n';

describe('rekey.yaml loader', () => {
  it('loads a valid file with defaults filled in', () => {
    const loaded = loadTree({ 'rekey.yaml': CREDENTIAL });
    const spec = loaded.file.credentials['openai/ticketing/prod'];
    expect(spec?.provider).toBe('openai');
    expect(spec?.allowedModels).toEqual([]);
    expect(loaded.file.policies.productionEnvironments).toEqual(['prod', 'production']);
    expect(loaded.locateKey(['credentials', 'openai/ticketing/prod'])).toEqual({ file: 'rekey.yaml', line: 3, column: 3 });
    expect(loaded.locate(['credentials', 'openai/ticketing/prod', 'owner'])).toEqual({ file: 'rekey.yaml', line: 5, column: 12 });
  });

  it('names file, line, column and field for a wrong type', () => {
    const [problem] = problemsOf({ 'rekey.yaml': CREDENTIAL + '    allowedModels: gpt-4o\n' });
    expect(problem).toMatchObject({ file: 'rekey.yaml', line: 6, column: 20, field: 'credentials.openai/ticketing/prod.allowedModels' });
    expect(problem?.message).toBe('expected a list, got a string');
  });

  it('refuses an unknown field with a "did you mean"', () => {
    const [problem] = problemsOf({ 'rekey.yaml': CREDENTIAL + '    allowedModel: [gpt-4o]\n' });
    expect(problem).toMatchObject({ line: 6, column: 5, field: 'credentials.openai/ticketing/prod.allowedModel' });
    expect(problem?.message).toContain('did you mean "allowedModels"?');
    const [top] = problemsOf({ 'rekey.yaml': 'version: 1\ncredentails: {}\n' });
    expect(top).toMatchObject({ line: 2, column: 1 });
    expect(top?.message).toContain('did you mean "credentials"?');
  });

  it('says what was expected for a bad enum, name or reference', () => {
    const problems = problemsOf({ 'rekey.yaml': 'version: 1\ncredentials:\n  openai/x/prod:\n    provider: openia\n    valueFrom: sk-plain-value\n  Bad Name:\n    provider: openai\n' });
    const messages = problems.map((problem) => `${problem.line}:${problem.field}: ${problem.message}`);
    expect(messages.some((text) => text.startsWith('4:credentials.openai/x/prod.provider: expected one of "openai"'))).toBe(true);
    expect(messages.some((text) => text.startsWith('5:credentials.openai/x/prod.valueFrom: expected a reference such as env:NAME'))).toBe(true);
    expect(messages.some((text) => text.includes('the name "Bad Name" is not a credential name'))).toBe(true);
  });

  it('merges includes first and lets the including file override them, keeping locations', () => {
    const loaded = loadTree({
      'rekey.yaml': 'version: 1\ninclude: [base.yaml]\ncredentials:\n  openai/ticketing/prod:\n    owner: override-team\n',
      'base.yaml': 'credentials:\n  openai/ticketing/prod:\n    provider: openai\n    owner: base-team\n    allowedModels: [gpt-4o-mini]\n',
    });
    const spec = loaded.file.credentials['openai/ticketing/prod'];
    expect(spec?.owner).toBe('override-team');
    expect(spec?.allowedModels).toEqual(['gpt-4o-mini']);
    expect(loaded.files).toEqual(['rekey.yaml', 'base.yaml']);
    expect(loaded.locate(['credentials', 'openai/ticketing/prod', 'owner'])).toMatchObject({ file: 'rekey.yaml', line: 5 });
    expect(loaded.locate(['credentials', 'openai/ticketing/prod', 'allowedModels', 0])).toMatchObject({ file: 'base.yaml', line: 5 });
  });

  it('refuses include cycles, missing includes and paths outside the directory', () => {
    expect(problemsOf({ 'rekey.yaml': 'version: 1\ninclude: [a.yaml]\n', 'a.yaml': 'include: [rekey.yaml]\n' })[0]?.message).toContain('include cycle');
    expect(problemsOf({ 'rekey.yaml': 'version: 1\ninclude: [missing.yaml]\n' })[0]).toMatchObject({ line: 2, message: 'missing.yaml does not exist' });
    expect(problemsOf({ 'rekey.yaml': 'version: 1\ninclude: [../etc/passwd]\n' })[0]?.message).toContain('must be a relative path inside');
  });

  it('refuses invalid UTF-8 at the byte, YAML syntax errors and duplicate keys with their line', () => {
    const bytes = Buffer.concat([Buffer.from('version: 1\ncredentials:\n  openai/x/prod:\n    owner: caf'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]);
    expect(problemsOf({ 'rekey.yaml': bytes })[0]).toMatchObject({ line: 4, column: 15 });
    expect(problemsOf({ 'rekey.yaml': bytes })[0]?.message).toContain('not valid UTF-8');
    expect(problemsOf({ 'rekey.yaml': 'version: 1\ncredentials: [\n' })[0]?.message).toMatch(/^YAML: /);
    const duplicate = problemsOf({ 'rekey.yaml': 'version: 1\nversion: 1\n' })[0];
    expect(duplicate).toMatchObject({ line: 2 });
    expect(duplicate?.message).toContain('unique');
  });

  it('refuses an alias bomb and a file over the size limit without expanding or reading it all', () => {
    const bomb = ['version: 1', 'a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let level = 1; level <= 8; level += 1) bomb.push(`${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(10).fill(`*${String.fromCharCode(96 + level)}`).join(',')}]`);
    expect(problemsOf({ 'rekey.yaml': bomb.join('\n') + '\n' })[0]?.message).toMatch(/aliases|alias/i);
    const big = Buffer.alloc(10 * 1024 * 1024, 0x20);
    expect(problemsOf({ 'rekey.yaml': big })[0]?.message).toMatch(/is 10\.0 MiB; a rekey.yaml file may hold at most 8 MiB/);
  });

  it('refuses a key value in the file and never repeats it', () => {
    const value = `sk-proj-${'Ab3dEf5hIj7lMn9pQr1tUv3x'.repeat(2)}T3BlbkFJ${'Zy8wXv6tSr4pQo2nMl0k'.repeat(2)}`;
    const problems = problemsOf({ 'rekey.yaml': `${CREDENTIAL}    purpose: ${value}\n` });
    expect(problems[0]).toMatchObject({ line: 6, column: 14 });
    expect(problems[0]?.message).toContain('holds what looks like a key value');
    expect(JSON.stringify(problems)).not.toContain(value);
  });

  it('publishes the JSON Schema derived from the zod schema (docs/rekey.schema.json is current)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'rekey.schema.json'), 'utf8');
    expect(committed).toBe(rekeyJsonSchemaText());
    const schema = JSON.parse(committed) as { additionalProperties: boolean; properties: Record<string, unknown> };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toContain('credentials');
  });
});
