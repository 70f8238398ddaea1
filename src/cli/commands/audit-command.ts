/** `rekey audit list|verify|export`. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { IntegrityError, UsageError } from '../../core/errors.js';
import type { AuditEvent } from '../../core/types.js';
import { withCliContext } from '../cli-context.js';
import { colour, outputFormat, printJson, printList, type Column } from '../output.js';

const columns: Array<Column<AuditEvent>> = [
  { header: 'SEQ', value: (event) => event.seq },
  { header: 'AT', value: (event) => event.at.toISOString() },
  { header: 'EVENT', value: (event) => event.event },
  { header: 'ACTOR', value: (event) => event.actor },
  { header: 'CREDENTIAL', value: (event) => event.credential ?? '' },
  { header: 'OUTCOME', value: (event) => event.outcome },
  { header: 'DETAIL', value: (event) => JSON.stringify(event.detail) },
];

function auditJson(event: AuditEvent): Record<string, unknown> {
  return { ...event, at: event.at.toISOString() };
}

export function register(program: Command): void {
  const audit = program.command('audit').description('Read, verify and export the hash-chained audit log');

  audit
    .command('list')
    .description('List audit events, oldest first (--newest-first for the other way)')
    .option('--credential <name>', 'only events of this credential')
    .option('--limit <n>', 'at most this many events (the newest)')
    .option('--newest-first', 'the newest event first')
    .option('--output <format>', 'table, json or csv')
    .option('--json', 'print JSON')
    .action(async (options: { credential?: string; limit?: string; newestFirst?: boolean; output?: string; json?: boolean }) => {
      const format = outputFormat(options);
      if (options.limit !== undefined && !/^\d+$/.test(options.limit)) throw new UsageError(`--limit must be a whole number, not "${options.limit}"`);
      const events = await withCliContext(({ audit: log }) => {
        const filter: { credential?: string } = {};
        if (options.credential !== undefined) filter.credential = options.credential;
        return log.list(filter);
      });
      const shown = options.limit === undefined ? events : events.slice(-Number(options.limit));
      printList(options.newestFirst === true ? shown.reverse() : shown, columns, format, auditJson);
    });

  audit
    .command('verify')
    .description('Check the hash chain; exits 1 naming the first bad event')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const result = await withCliContext(({ audit: log }) => log.verify());
      if (options.json === true) printJson(result);
      if (!result.ok) {
        throw new IntegrityError(`audit log broken at event ${result.seq}: ${result.reason}`);
      }
      if (options.json !== true) process.stdout.write(`${colour.green('ok')}: ${result.count} audit events, chain intact\n`);
    });

  audit
    .command('export')
    .description('Export the audit log as JSON or CSV')
    .option('--format <format>', 'json or csv', 'json')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (options: { format: string; out?: string }) => {
      if (options.format !== 'json' && options.format !== 'csv') throw new UsageError(`--format must be json or csv, not "${options.format}"`);
      const text = await withCliContext(({ audit: log }) => log.export(options.format as 'json' | 'csv'));
      if (options.out === undefined) process.stdout.write(text);
      else writeFileSync(options.out, text, { mode: 0o600 });
    });
}
