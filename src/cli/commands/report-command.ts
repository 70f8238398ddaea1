/**
 * `rekey report compliance|review|verify`. Compliance reports come as JSON, CSV, Markdown or
 * printable HTML; `--pdf` prints the HTML with Chromium when it is installed. `verify`
 * recomputes a JSON report's stated hash.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { ConfigError, UsageError } from '../../core/errors.js';
import { printJson } from '../output.js';
import { parseAtDate } from './check-command.js';

const CHROMIUM = process.env.REKEY_CHROMIUM ?? '/usr/bin/chromium';

async function printPdf(html: string, target: string): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new ConfigError(`--pdf needs Chromium at ${CHROMIUM}`, { hint: 'install chromium (or set REKEY_CHROMIUM), or print the --format html report from a browser' });
  const directory = mkdtempSync(join(tmpdir(), 'rekey-report-'));
  try {
    const page = join(directory, 'report.html');
    writeFileSync(page, html, { mode: 0o600 });
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${join(directory, 'profile')}`, '--no-pdf-header-footer', `--print-to-pdf=${resolve(target)}`, pathToFileURL(page).href];
    const code = await new Promise<number>((done, fail) => {
      const child = spawn(CHROMIUM, args, { stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', fail);
      child.on('close', (exit) => { clearTimeout(timer); done(exit ?? 1); });
    });
    if (code !== 0 || !existsSync(target)) throw new ConfigError(`Chromium could not print the PDF (exit ${code})`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

export function register(program: Command): void {
  const report = program.command('report').description('Compliance evidence and the quarterly access review');

  report
    .command('compliance')
    .description('Per-credential evidence for a standard: pci-dss-4, nist-800-53, soc2 or hipaa')
    .requiredOption('--standard <standard>', 'pci-dss-4, nist-800-53, soc2 or hipaa')
    .option('--from <date>', 'start of the period (default: 365 days ago)')
    .option('--to <date>', 'end of the period (default: now)')
    .option('--format <format>', 'html, json, csv or md', 'html')
    .option('--out-file <file>', 'write to a file instead of standard output')
    .option('--pdf <file>', 'also print the HTML report to this PDF with Chromium')
    .action(async (options: { standard: string; from?: string; to?: string; format: string; outFile?: string; pdf?: string }) => {
      const { STANDARDS } = await import('../../policy/compliance-controls.js');
      const { REPORT_FORMATS, renderReport } = await import('../../policy/report-render.js');
      if (!(STANDARDS as readonly string[]).includes(options.standard)) throw new UsageError(`--standard must be one of ${STANDARDS.join(', ')}, not "${options.standard.slice(0, 40)}"`);
      if (!(REPORT_FORMATS as readonly string[]).includes(options.format)) throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(', ')}`);
      const now = new Date();
      const to = options.to === undefined ? now : parseAtDate(options.to);
      const from = options.from === undefined ? new Date(to.getTime() - 365 * 86_400_000) : parseAtDate(options.from);
      if (options.to !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(options.to)) to.setUTCHours(23, 59, 59, 999);
      if (options.from !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(options.from)) from.setUTCHours(0, 0, 0, 0);
      if (from > to) throw new UsageError('--from is after --to');
      const { buildComplianceReport } = await import('../../policy/compliance-report.js');
      const { withCliContext } = await import('../cli-context.js');
      const built = await withCliContext(({ store, audit }) => buildComplianceReport({ store, audit }, { standard: options.standard as (typeof STANDARDS)[number], from, to, now }));
      const text = renderReport(built, options.format as (typeof REPORT_FORMATS)[number]);
      if (options.outFile === undefined) process.stdout.write(text);
      else await writeFile(options.outFile, text);
      if (options.pdf !== undefined) await printPdf(renderReport(built, 'html'), options.pdf);
    });

  report
    .command('review')
    .description('Quarterly review: who has which capabilities, unused tokens, overdue credentials, unconfirmed consumers, expiring exceptions')
    .option('--unused-days <days>', 'a token with no use for this long is listed', '90')
    .option('--expiring-days <days>', 'exceptions expiring within this many days are listed', '30')
    .option('--json', 'print JSON')
    .action(async (options: { unusedDays: string; expiringDays: string; json?: boolean }) => {
      const unusedDays = Number(options.unusedDays);
      const expiringDays = Number(options.expiringDays);
      if (!Number.isInteger(unusedDays) || unusedDays < 1 || !Number.isInteger(expiringDays) || expiringDays < 0) throw new UsageError('--unused-days and --expiring-days take whole numbers of days');
      const { buildReviewReport, formatReviewText } = await import('../../policy/review-report.js');
      const { withCliContext } = await import('../cli-context.js');
      const built = await withCliContext(({ store, clock }) => buildReviewReport({ store, tokens: () => store.listAccessTokens(), lastUse: async () => null }, { now: clock.now(), unusedDays, expiringDays }));
      if (options.json === true) printJson(built);
      else process.stdout.write(formatReviewText(built));
    });

  report
    .command('verify <file>')
    .description("Recompute a JSON compliance report's stated SHA-256 (exit 1 when it does not match)")
    .action(async (file: string) => {
      const { verifyReportHash } = await import('../../policy/compliance-report.js');
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        throw new UsageError(`${file} is not a JSON compliance report`);
      }
      const ok = typeof parsed === 'object' && parsed !== null && verifyReportHash(parsed as { integrity?: { hash?: string } });
      process.stdout.write(ok ? `ok: the report hash matches its content\n` : `MISMATCH: the report was changed after it was written\n`);
      if (!ok) process.exitCode = 1;
    });
}
