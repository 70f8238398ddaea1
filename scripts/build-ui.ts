/**
 * Bundles the web dashboard (ui/) into dist/ui/ with esbuild: one minified ES module, one
 * stylesheet and the static files of ui/public/. No network: every dependency is bundled
 * from node_modules (no CDN, no web fonts). Prints the gzip size of what a browser loads.
 * Run by `npm run build:ui` (and so by `npm ci`, through `prepare`).
 */
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '../..');
const out = join(root, 'dist/ui');

export async function buildUi(): Promise<{ files: Record<string, { bytes: number; gzip: number }> }> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: { app: join(root, 'ui/src/main.tsx') },
    bundle: true,
    format: 'esm',
    minify: true,
    sourcemap: false,
    target: ['chrome120', 'firefox120', 'safari17'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: out,
    legalComments: 'none',
    logLevel: 'warning',
    tsconfig: join(root, 'ui/tsconfig.json'),
  });
  cpSync(join(root, 'ui/public'), out, { recursive: true });
  const files: Record<string, { bytes: number; gzip: number }> = {};
  for (const name of readdirSync(out)) {
    const body = readFileSync(join(out, name));
    files[name] = { bytes: body.length, gzip: gzipSync(body, { level: 9 }).length };
  }
  writeFileSync(join(out, 'sizes.json'), JSON.stringify(files, null, 2) + '\n');
  return { files };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { files } = await buildUi();
  const total = Object.values(files).reduce((sum, file) => sum + file.gzip, 0);
  console.log(`dashboard built in dist/ui/: ${Object.entries(files).map(([name, file]) => `${name} ${file.gzip} B gzip`).join(', ')}; ${total} B gzip in all`);
}
