/**
 * The web dashboard (issue 16) at `/ui/`: the files that `npm run build:ui` bundled into
 * `dist/ui/` (from `ui/` at the repository root, which talks to the API over HTTP only),
 * served from memory with a strict Content-Security-Policy (no inline script or style,
 * nothing from another origin), no framing and no MIME sniffing. Every path under `/ui/`
 * that is not a file is the single page (client-side routes are shareable URLs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type MiddlewareHandler } from 'hono';

export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** What every response of `rekey serve` carries: no framing, no sniffing, no referrer, and a CSP that loads nothing for non-UI answers. */
export function securityHeaders(): MiddlewareHandler {
  return async (context, next) => {
    await next();
    context.header('x-content-type-options', 'nosniff');
    context.header('x-frame-options', 'DENY');
    context.header('referrer-policy', 'no-referrer');
    context.header('cross-origin-opener-policy', 'same-origin');
    context.header('cross-origin-resource-policy', 'same-origin');
    if (!context.req.path.startsWith('/ui')) context.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/** The built dashboard: `dist/ui/` beside the compiled server, or under the repository root when run from source. */
export function defaultUiDirectory(): string | undefined {
  const here = fileURLToPath(new URL('.', import.meta.url));
  // Compiled: dist/src/server/routes → dist/ui. From source: src/server/routes → dist/ui.
  for (const candidate of [join(here, '../../../ui'), join(here, '../../../dist/ui')]) {
    if (existsSync(join(candidate, 'index.html')) && existsSync(join(candidate, 'app.js'))) return candidate;
  }
  return undefined;
}

function loadFiles(directory: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(directory, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (TYPES[extname(entry.name)] !== undefined) files.set(path, readFileSync(join(directory, path)));
    }
  };
  walk('');
  return files;
}

export function uiRoutes(options: { directory?: string | undefined } = {}): Hono {
  const app = new Hono();
  const directory = options.directory ?? defaultUiDirectory();
  let files: Map<string, Buffer> | undefined;
  const filesNow = () => (files ??= directory === undefined ? new Map() : loadFiles(directory));
  const send = (path: string, body: Buffer) =>
    new Response(new Uint8Array(body), {
      status: 200,
      headers: { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-cache', 'content-security-policy': UI_CSP },
    });
  app.get('/ui', (context) => context.redirect('/ui/', 302));
  app.get('/ui/:path{.*}', (context) => {
    const relative = decodeURIComponent(context.req.path.slice('/ui/'.length));
    const file = filesNow().get(relative);
    if (file !== undefined) return send(relative, file);
    if (extname(relative) !== '') return context.text('not found', 404);
    const index = filesNow().get('index.html');
    if (index === undefined) return context.text('the dashboard is not built: run npm run build:ui', 503);
    return send('index.html', index);
  });
  return app;
}
