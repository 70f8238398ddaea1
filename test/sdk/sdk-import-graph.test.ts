/**
 * The SDK entry must not pull in the server, CLI, store, database drivers, web framework
 * or provider/cloud SDKs (DESIGN.md §7). This walks every static and dynamic import
 * reachable from the entry: in the compiled `dist/src/sdk/index.js` when a build exists,
 * and always in the sources compiled on the fly (same emit as the build: type-only
 * imports vanish, everything else stays).
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const IMPORT_PATTERN = /(?:import|export)\s+(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

function specifiersOf(code: string): string[] {
  return [...code.matchAll(IMPORT_PATTERN)].map((match) => match[1] ?? match[2] ?? '').filter((text) => text !== '');
}

function compiledSource(file: string): string {
  const output = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023, verbatimModuleSyntax: true },
    fileName: file,
  });
  return output.outputText;
}

/** Every file and every bare package reachable from `entry`. */
function walk(entry: string, read: (file: string) => string, resolveRelative: (from: string, specifier: string) => string) {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() ?? '';
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of specifiersOf(read(file))) {
      if (specifier.startsWith('.')) queue.push(resolveRelative(file, specifier));
      else packages.add(specifier);
    }
  }
  return { files: [...files].map((file) => relative(ROOT, file)), packages: [...packages] };
}

const fromSources = (entry: string) =>
  walk(resolve(ROOT, entry), compiledSource, (from, specifier) => resolve(dirname(from), specifier).replace(/\.js$/, '.ts'));

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const FORBIDDEN_FOLDERS = /^(dist\/)?src\/(server|proxy|cli|store|emulator|providers|sinks|rotation|scan|audit|vault|crypto)\//;

function violations(graph: { files: string[]; packages: string[] }): string[] {
  return [...graph.packages.filter((name) => !builtins.has(name)), ...graph.files.filter((file) => FORBIDDEN_FOLDERS.test(file))];
}

describe('SDK import graph', () => {
  it('reaches only the SDK, the pure core and Node built-ins (sources)', () => {
    const graph = fromSources('src/sdk/index.ts');
    expect(graph.files).toContain('src/sdk/key-source.ts');
    expect(violations(graph)).toEqual([]);
  });

  it('reaches only the SDK, the pure core and Node built-ins (build output)', (context) => {
    const entry = resolve(ROOT, 'dist/src/sdk/index.js');
    if (!existsSync(entry)) {
      context.skip('no build output: run `npm run build` (npm test builds before running vitest)');
      return;
    }
    const graph = walk(entry, (file) => readFileSync(file, 'utf8'), (from, specifier) => resolve(dirname(from), specifier));
    expect(graph.files).toContain('dist/src/sdk/key-source.js');
    expect(violations(graph)).toEqual([]);
  });

  it('would notice a forbidden import (the walker is not blind)', () => {
    const graph = fromSources('src/server/key-server.ts');
    expect(violations(graph)).toEqual(expect.arrayContaining(['@hono/node-server', 'hono']));
  });
});
