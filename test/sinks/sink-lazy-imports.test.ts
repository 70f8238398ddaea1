/**
 * Cloud SDKs load only when a sink, reload or discovery source that needs them runs: no
 * file in src/sinks or src/discovery imports them statically (type-only imports vanish at
 * compile time), so the registry, `rekey scan` and the env-file sink never load them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const HEAVY = /^(@aws-sdk\/|@smithy\/|@kubernetes\/client-node|libsodium-wrappers|@azure\/|@google-cloud\/|google-auth-library|google-gax)/;
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /import\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

function emitted(file: string): string {
  return ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023, verbatimModuleSyntax: true },
    fileName: file,
  }).outputText;
}

const files = ['src/sinks', 'src/discovery']
  .flatMap((folder) => readdirSync(join(ROOT, folder)).map((name) => join(folder, name)))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));

describe('sink and discovery imports', () => {
  it('import cloud SDKs only dynamically', () => {
    const offenders = files.flatMap((file) => [...emitted(join(ROOT, file)).matchAll(STATIC_IMPORT)].map((match) => match[1] ?? '').filter((name) => HEAVY.test(name)).map((name) => `${file} → ${name}`));
    expect(offenders).toEqual([]);
  });

  it('the cloud sinks do load them, lazily (the check above is not vacuous)', () => {
    const dynamic = files.flatMap((file) => [...emitted(join(ROOT, file)).matchAll(DYNAMIC_IMPORT)].map((match) => match[1] ?? '')).filter((name) => HEAVY.test(name));
    expect(new Set(dynamic)).toEqual(new Set(['@aws-sdk/client-secrets-manager', '@kubernetes/client-node', 'libsodium-wrappers', '@azure/keyvault-secrets', '@azure/identity', '@google-cloud/secret-manager', 'google-auth-library']));
  });
});
