import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { createJsonFileSink } from '../../src/sinks/json-file-sink.js';
import { createYamlFileSink } from '../../src/sinks/yaml-file-sink.js';
import { runSinkContract } from '../contracts/sink.js';
import { fileSinkFaults } from './file-sink-faults.js';

const salt = randomBytes(32);
const context = { fingerprintSalt: salt, consumerName: 'contract' };

for (const [kind, create, file] of [
  ['json-file', createJsonFileSink, 'config.json'],
  ['yaml-file', createYamlFileSink, 'config.yaml'],
] as const) {
  runSinkContract(kind, async () => {
    const directory = await mkdtemp(join(tmpdir(), `rekey-${kind}-`));
    const path = join(directory, file);
    return {
      sink: create({ path, pointer: '/openai/apiKey' }, context),
      fingerprintSalt: salt,
      ...fileSinkFaults(path, directory),
    };
  });
}

describe('json and yaml file sinks', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rekey-doc-'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));
  const key = new SecretValue('sk-proj-DOCvalue000000000000000000000000000000001');

  it('JSON: keeps key order, tab indentation, CRLF and the missing final newline', async () => {
    const path = join(directory, 'app.json');
    await writeFile(path, '{\r\n\t"name": "ticketing",\r\n\t"openai": {\r\n\t\t"apiKey": "sk-old",\r\n\t\t"model": "gpt-4o"\r\n\t},\r\n\t"port": 8080\r\n}');
    const sink = createJsonFileSink({ path, pointer: '/openai/apiKey' }, context);
    await sink.write('main', key);
    await sink.write({ version: 4 }, key);
    expect(await readFile(path, 'utf8')).toBe(
      `{\r\n\t"name": "ticketing",\r\n\t"openai": {\r\n\t\t"apiKey": "${key.reveal()}",\r\n\t\t"model": "gpt-4o",\r\n\t\t"apiKey_V4": "${key.reveal()}"\r\n\t},\r\n\t"port": 8080\r\n}`,
    );
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('JSON: edits in place, so inline arrays and objects, spacing and escapes stay exactly as written', async () => {
    const path = join(directory, 'inline.json');
    const original = '{\n  "models": ["gpt-4o", "gpt-4o-mini"],\n  "openai": { "apiKey": "sk-old", "org": "org-1" },\n  "url":  "https:\\/\\/api.example\\/v1"\n}\n';
    await writeFile(path, original);
    const sink = createJsonFileSink({ path, pointer: '/openai/apiKey' }, context);
    await sink.write('main', key);
    const updated = original.replace('"sk-old"', `"${key.reveal()}"`);
    expect(await readFile(path, 'utf8')).toBe(updated);
    await sink.write({ version: 2 }, key);
    expect(await readFile(path, 'utf8')).toBe(updated.replace('"org": "org-1" }', `"org": "org-1", "apiKey_V2": "${key.reveal()}" }`));
    await sink.remove({ version: 2 });
    expect(await readFile(path, 'utf8')).toBe(updated);
  });

  it('JSON: a pointer through a string is an error, not absent; invalid JSON is an error that quotes nothing', async () => {
    const path = join(directory, 'app.json');
    await writeFile(path, '{"openai": "sk-proj-inline-secret-value-000000000"}');
    const sink = createJsonFileSink({ path, pointer: '/openai/apiKey' }, context);
    await expect(sink.readFingerprint('main')).rejects.toMatchObject({ code: 'sink', isRetryable: false });
    await writeFile(path, '{"openai": {"apiKey": "sk-proj-broken-secret-value-0000000000"');
    const error = await sink.readFingerprint('main').catch((caught: unknown) => caught as Error);
    expect(String((error as Error).message)).toMatch(/not valid JSON/);
    expect(String((error as Error).message)).not.toContain('sk-proj-broken');
  });

  it('YAML: keeps comments, anchors, quoting and order; reads through sequences', async () => {
    const path = join(directory, 'values.yaml');
    const original = [
      '# Helm values for ticketing',
      'defaults: &defaults',
      '  timeout: 30 # seconds',
      '',
      'openai:',
      '  <<: *defaults',
      "  apiKey: 'sk-old' # rotated by rekey",
      '  model: gpt-4o',
      'env:',
      '  - name: OPENAI_API_KEY',
      '    value: "sk-old"',
      '',
    ].join('\n');
    await writeFile(path, original);
    const sink = createYamlFileSink({ path, pointer: '/openai/apiKey' }, context);
    await sink.write('main', key);
    const listed = createYamlFileSink({ path, pointer: '/env/0/value' }, context);
    await listed.write('main', key);
    expect(await listed.readFingerprint('main')).toEqual({ state: 'present', fingerprint: fingerprint(salt, key.reveal()) });
    expect(await readFile(path, 'utf8')).toBe(
      original.replace("'sk-old' # rotated", `'${key.reveal()}' # rotated`).replace('value: "sk-old"', `value: "${key.reveal()}"`),
    );
    await sink.write({ version: 2 }, key);
    await sink.remove({ version: 2 });
    expect(await readFile(path, 'utf8')).toContain('# Helm values for ticketing');
    expect(await readFile(path, 'utf8')).not.toContain('apiKey_V2');
  });

  it('rejects a bad pointer with a ConfigError naming the consumer', () => {
    expect(() => createYamlFileSink({ path: join(directory, 'x.yaml'), pointer: 'openai.apiKey' }, context)).toThrow(/consumer contract: yaml-file option "pointer"/);
  });
});
