/**
 * Fuzz targets for input that arrives on this machine: key values on stdin (`credential add
 * --read-value`, in process through the registered command), consumer configs of every sink
 * kind, the env/JSON/YAML files the file sinks edit, and files the scanner reads.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import fc from 'fast-check';
import { expect, vi } from 'vitest';
import { register as registerCredential } from '../../src/cli/commands/credential-command.js';
import { register as registerInit } from '../../src/cli/commands/init-command.js';
import { openCliContext } from '../../src/cli/cli-context.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { scanBytes } from '../../src/scan/chunk-scanner.js';
import { parseEnv, readVariable } from '../../src/sinks/env-file-format.js';
import { createSink } from '../../src/sinks/sink-registry.js';
import { SINK_KINDS, type SinkKind } from '../../src/sinks/sink-spec.js';
import { fuzz, outcomeOf } from './fuzz-harness.js';

const PLANTED = `sk-proj-FUZZ${randomBytes(18).toString('hex')}`;

/** Text that looks like a key and then is damaged: control characters, spaces, other prefixes, sizes. */
export const keyLikeText = fc.oneof(
  fc.record({ prefix: fc.constantFrom('sk-proj-', 'sk-', 'sk-ant-api03-', 'sk-or-v1-', 'sk-admin-', '', 'AIza'), body: fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/) }).map(({ prefix, body }) => prefix + body),
  fc
    .record({ base: fc.constant(PLANTED), at: fc.nat(), insert: fc.constantFrom('\n', '\r', '\r\n', ' ', '\t', '\0', '\u00a0', '\u202e', '"', "'", '`', '$(id)', '\\', 'é', '\ufeff') })
    .map(({ base, at, insert }) => base.slice(0, at % base.length) + insert + base.slice(at % base.length)),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('', '\n', ' \n', '\r\n', PLANTED + '\n', PLANTED + '\r\n', PLANTED + '\n\n', 'x'.repeat(70_000)),
);

const PROVIDER_KEYS = {
  openai: fc.stringMatching(/^[A-Za-z0-9_-]{20,60}$/).map((body) => `sk-proj-${body}`),
  anthropic: fc.stringMatching(/^[A-Za-z0-9_-]{20,60}$/).map((body) => `sk-ant-api03-${body}`),
  openrouter: fc.stringMatching(/^[a-f0-9]{20,64}$/).map((body) => `sk-or-v1-${body}`),
  'azure-openai': fc.stringMatching(/^[a-f0-9]{32}$/),
} as const;

/** A provider and a value for it: a well-formed key, one with a line ending or damage, or anything. */
const providerAndValue = fc.constantFrom(...(Object.keys(PROVIDER_KEYS) as Array<keyof typeof PROVIDER_KEYS>)).chain((provider) =>
  fc.tuple(
    fc.constant(provider),
    fc.oneof(
      PROVIDER_KEYS[provider],
      fc.tuple(PROVIDER_KEYS[provider], fc.constantFrom('\n', '\r\n', ' ', '\n\n', '\0', '\u00a0x')).map(([key, tail]) => key + tail),
      keyLikeText,
    ),
  ),
);

/** `rekey credential add NAME --read-value` with the text on stdin, in process; the store is checked after each refusal. */
export async function fuzzStdinValues(home: string): Promise<void> {
  process.env.REKEY_HOME = home;
  process.env.REKEY_MASTER_KEY = randomBytes(32).toString('base64');
  const program = () => {
    const command = new Command('rekey').exitOverride();
    registerInit(command);
    registerCredential(command);
    return command;
  };
  const quiet = () => [vi.spyOn(process.stdout, 'write').mockImplementation(() => true), vi.spyOn(process.stderr, 'write').mockImplementation(() => true)];
  const restore = quiet();
  await program().parseAsync(['node', 'rekey', 'init']);
  for (const spy of restore) spy.mockRestore();
  const count = async () => {
    const context = await openCliContext();
    try {
      return (await context.store.listCredentials()).length;
    } finally {
      await context.close();
    }
  };
  let stored = 0;
  let index = 0;
  await fuzz(
    'stdin values (credential add --read-value)',
    providerAndValue,
    async ([provider, text]) => {
      index += 1;
      const stdin = vi.spyOn(process, 'stdin', 'get').mockReturnValue(Readable.from([Buffer.from(text)]) as unknown as typeof process.stdin);
      const spies = quiet();
      const scope = provider === 'openai' ? ['--scope', 'project=proj_fuzz'] : [];
      try {
        const outcome = await outcomeOf(() => program().parseAsync(['node', 'rekey', 'credential', 'add', `${provider}/fuzz${index}/prod`, '--provider', provider, ...scope, '--read-value']), {
          secrets: text.length > 12 ? [text.trim()] : [],
        });
        if (outcome === 'accepted') stored += 1;
        return outcome;
      } finally {
        stdin.mockRestore();
        for (const spy of spies) spy.mockRestore();
      }
    },
    { runs: 30, caseMilliseconds: 2_000 },
  );
  // A refused value stored nothing: only the accepted ones are in the store.
  expect(await count()).toBe(stored);
}

const VALID_CONFIGS: Record<SinkKind, Record<string, unknown>> = {
  'env-file': { path: '/srv/app/.env', name: 'OPENAI_API_KEY' },
  'json-file': { path: '/srv/app/config.json', pointer: '/openai/apiKey' },
  'yaml-file': { path: '/srv/app/config.yaml', pointer: '/openai/apiKey' },
  'vault-kv': { address: 'https://vault.internal:8200', path: 'apps/ticketing', name: 'OPENAI_API_KEY' },
  'aws-secrets-manager': { region: 'eu-west-1', secretId: 'ticketing/openai' },
  'kubernetes-secret': { namespace: 'apps', secret: 'ticketing', key: 'OPENAI_API_KEY' },
  'github-actions': { scope: 'repository', repository: 'acme/app', name: 'OPENAI_API_KEY' },
  'gitlab-ci': { scope: 'project', project: 'group/app', name: 'OPENAI_API_KEY' },
  webhook: { url: 'https://hooks.internal/rekey', secretEnv: 'REKEY_WEBHOOK_SECRET' },
  'azure-key-vault': { vaultUrl: 'https://acme.vault.azure.net', name: 'openai-api-key' },
  'gcp-secret-manager': { project: 'acme-prod', secret: 'openai-api-key' },
  'vercel-env': { project: 'web', name: 'OPENAI_API_KEY' },
  'netlify-env': { account: 'acme', site: 'site-1', name: 'OPENAI_API_KEY' },
  'fly-secrets': { app: 'ticketing', name: 'OPENAI_API_KEY' },
  'n8n-credential': { baseUrl: 'https://n8n.internal', name: 'OpenAI prod' },
  doppler: { project: 'backend', config: 'prd', name: 'OPENAI_API_KEY' },
  '1password-connect': { connectUrl: 'https://op-connect.internal', vault: 'aaaaaaaaaaaaaaaaaaaaaaaaaa', item: 'bbbbbbbbbbbbbbbbbbbbbbbbbb' },
};

const wrongValue = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 40 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.object({ maxDepth: 1, maxKeys: 3 }));

/** Consumer configs: each kind's valid config with a field replaced, removed or added, or a random object. */
export async function fuzzConsumerConfigs(): Promise<void> {
  const salt = randomBytes(32);
  const environment = { VAULT_TOKEN: 'hvs.fuzz', GITHUB_TOKEN: 'ghp_fuzz', GITLAB_TOKEN: 'glpat-fuzz', REKEY_WEBHOOK_SECRET: 'whsec_fuzz', KUBECONFIG: '/nonexistent', VERCEL_TOKEN: 'vcp_fuzz0001', NETLIFY_AUTH_TOKEN: 'nfp_fuzz0001', FLY_API_TOKEN: 'fm2_fuzz0001', N8N_TOKEN: 'n8n_fuzz0001', DOPPLER_TOKEN: 'dp.st.fuzz0001', OP_CONNECT_TOKEN: 'opc_fuzz0001', GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.fuzz0001' };
  const config = fc.constantFrom(...SINK_KINDS).chain((kind) =>
    fc.tuple(
      fc.constant(kind),
      fc.oneof(
        fc.record({ field: fc.constantFrom(...Object.keys(VALID_CONFIGS[kind])), value: wrongValue }).map(({ field, value }) => ({ ...VALID_CONFIGS[kind], [field]: value })),
        fc.constantFrom(...Object.keys(VALID_CONFIGS[kind])).map((field) => Object.fromEntries(Object.entries(VALID_CONFIGS[kind]).filter(([key]) => key !== field))),
        fc.record({ field: fc.string({ minLength: 1, maxLength: 12 }), value: wrongValue }).map(({ field, value }) => ({ ...VALID_CONFIGS[kind], [field]: value })),
        fc.object({ maxDepth: 2, maxKeys: 5 }),
        fc.constant(VALID_CONFIGS[kind]),
      ),
    ),
  );
  await fuzz(
    'consumer configs (every sink kind)',
    config,
    ([kind, candidate]) => outcomeOf(() => createSink({ name: 'fuzzed', kind, config: candidate as Record<string, unknown> }, salt, environment), { secrets: Object.values(environment) }),
    { runs: 200 },
  );
}

const envLines = fc.array(
  fc.oneof(
    fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/), fc.string({ maxLength: 30 })).map(([name, value]) => `${name}=${value}`),
    fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/), fc.string({ maxLength: 30 })).map(([name, value]) => `export ${name}="${value}"`),
    fc.constantFrom('OPENAI_API_KEY=old', "OPENAI_API_KEY='a b'", 'OPENAI_API_KEY="unterminated', '# comment', '', 'OPENAI_API_KEY_V1=x', '=novalue', 'A=`cmd`', 'B=$(id)'),
    fc.string({ maxLength: 40 }),
  ),
  { maxLength: 8 },
);
const envText = fc.tuple(envLines, fc.constantFrom('\n', '\r\n')).map(([lines, separator]) => lines.join(separator));

const jsonText = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify({ openai: { apiKey: 'old', extra: value }, other: value }, null, 2)),
  fc.constantFrom('{"openai": "a string"}', '{"openai": {"apiKey": 5}}', '{"openai": [1]}', '{', '', '\ufeff{}', '{"a":1,"a":2}', '{"openai":{"apiKey":"x"}} trailing'),
  fc.string({ maxLength: 60 }),
);

const yamlText = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => `openai:\n  apiKey: old\nother: ${JSON.stringify(value)}\n`),
  fc.constantFrom('openai: scalar\n', 'openai:\n  apiKey: [1, 2]\n', 'a: &a [x]\nb: *a\n', '- list\n', '{', ': :\n', 'openai: !!binary aGVsbG8=\n', '%YAML 1.2\n---\nopenai: {}\n', 'openai:\n\tapiKey: tab\n'),
  fc.string({ maxLength: 60 }),
  fc.uint8Array({ maxLength: 60 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

/** What the sink did not write is as it was: every other variable of an env file, every other member of a JSON file. */
function expectOthersKept(kind: SinkKind, before: string, after: string): void {
  if (kind === 'env-file') {
    const [old, next] = [parseEnv(before), parseEnv(after)];
    for (const entry of old.entries) {
      if (entry.kind !== 'assignment' || /^OPENAI_API_KEY(_V\d+)?$/.test(entry.name)) continue;
      expect(readVariable(next, entry.name), `env-file: ${entry.name} changed`).toBe(readVariable(old, entry.name));
    }
  }
  if (kind === 'json-file' && before.trim() !== '') {
    // An empty file is a new document; anything else that was accepted was a JSON object.
    const [old, next] = [JSON.parse(before.replace(/^\ufeff/, '')) as Record<string, unknown>, JSON.parse(after.replace(/^\ufeff/, '')) as Record<string, unknown>];
    for (const key of Object.keys(old)) if (key !== 'openai') expect(next[key], `json-file: ${key} changed`).toEqual(old[key]);
  }
}

/** The file sinks edit a file they did not write: either the key is there afterwards, or the write was refused and the file is byte for byte as it was. */
export async function fuzzSinkFiles(directory: string): Promise<void> {
  const salt = randomBytes(32);
  const value = new SecretValue(PLANTED);
  const cases: Array<[SinkKind, fc.Arbitrary<string>, Record<string, unknown>]> = [
    ['env-file', envText, { path: join(directory, 'app.env'), name: 'OPENAI_API_KEY' }],
    ['json-file', jsonText, { path: join(directory, 'config.json'), pointer: '/openai/apiKey' }],
    ['yaml-file', yamlText, { path: join(directory, 'config.yaml'), pointer: '/openai/apiKey' }],
  ];
  for (const [kind, text, config] of cases) {
    const path = String(config.path);
    const sink = await createSink({ name: 'fuzzed', kind, config }, salt);
    await fuzz(
      `${kind} files being edited`,
      fc.tuple(text, fc.constantFrom<'main' | { version: number }>('main', { version: 3 })),
      async ([content, slot]) => {
        writeFileSync(path, content, { mode: 0o600 });
        const before = readFileSync(path);
        const outcome = await outcomeOf(() => sink.write(slot, value), { secrets: [PLANTED] });
        if (outcome === 'refused') {
          expect(readFileSync(path).equals(before), `${kind}: a refused write changed the file`).toBe(true);
          return outcome;
        }
        expect(await sink.readFingerprint?.(slot)).toEqual({ state: 'present', fingerprint: fingerprint(salt, PLANTED) });
        expectOthersKept(kind, before.toString('utf8'), readFileSync(path, 'utf8'));
        await outcomeOf(() => sink.readFingerprint?.(slot === 'main' ? { version: 9 } : 'main'), { secrets: [PLANTED] });
        return outcome;
      },
      { runs: kind === 'yaml-file' ? 50 : 80 },
    );
  }
}

/** Scanned files: random bytes, text and binary, with and without a key inside, in every encoding the scanner sniffs. */
export async function fuzzScannedFiles(): Promise<void> {
  const chunk = fc.oneof(
    fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
    fc.string({ maxLength: 200 }).map((text) => Buffer.from(text)),
    fc.string({ maxLength: 100 }).map((text) => Buffer.from(`\ufeff${text}`, 'utf16le')),
    fc.constantFrom(Buffer.from(PLANTED), Buffer.from(Buffer.from(PLANTED).toString('base64')), Buffer.from(encodeURIComponent(`key=${PLANTED}`)), Buffer.from(`OPENAI_API_KEY="${PLANTED}"`, 'utf16le'), Buffer.alloc(9000, 0)),
  );
  await fuzz(
    'scanned files',
    fc.array(chunk, { maxLength: 6 }).map((chunks) => Buffer.concat(chunks)),
    (bytes) => {
      const found = scanBytes(bytes);
      if (found === 'binary') return 'refused';
      for (const match of found) {
        expect(match.line).toBeGreaterThanOrEqual(1);
        expect(match.value.length).toBeGreaterThan(0);
      }
      return 'accepted';
    },
    { runs: 300, caseMilliseconds: 500 },
  );
}
