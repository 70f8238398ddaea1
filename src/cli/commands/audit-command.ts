/** `rekey audit list|verify|export`. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { IntegrityError, UsageError } from '../../core/errors.js';
import type { AuditEvent } from '../../core/types.js';
import { withCliContext } from '../cli-context.js';
import { serverUrl } from '../server-client.js';
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
      const events = serverUrl() !== undefined ? await remoteEvents(options.credential) : await withCliContext(({ audit: log }) => {
        const filter: { credential?: string } = {};
        if (options.credential !== undefined) filter.credential = options.credential;
        return log.list(filter);
      });
      const shown = options.limit === undefined ? events : events.slice(-Number(options.limit));
      printList(options.newestFirst === true ? shown.reverse() : shown, columns, format, auditJson);
    });

  audit
    .command('verify')
    .description('Check the hash chain, and with --checkpoint that it still holds the signed checkpoints; exits 1 naming the first bad event or checkpoint')
    .option('--checkpoint <file>', 'a checkpoint file (rekey audit checkpoint --out): every signed head must still be in the database')
    .option('--public-key <key>', 'with --checkpoint: the checkpoint public key you kept (default: this install\'s own)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean; checkpoint?: string; publicKey?: string }) => {
      if (options.publicKey !== undefined && options.checkpoint === undefined) throw new UsageError('--public-key needs --checkpoint');
      if (serverUrl() !== undefined && options.checkpoint !== undefined) throw new UsageError('--checkpoint checks the database itself: run it where the database is, without --server');
      const checkpoints = options.checkpoint === undefined ? undefined : (await import('./audit-checkpoint-command.js')).readCheckpointFile(options.checkpoint);
      const { result, checkpoint } = serverUrl() !== undefined ? { result: await remoteVerify(), checkpoint: undefined } : await withCliContext(async (context) => ({
        result: await context.audit.verify(),
        checkpoint: checkpoints === undefined ? undefined : await (await import('./audit-checkpoint-command.js')).checkAgainst(context, checkpoints, options.publicKey),
      }));
      if (options.json === true) printJson(checkpoint === undefined ? result : { ...result, checkpoints: checkpoint });
      if (!result.ok) {
        throw new IntegrityError(`audit log broken at event ${result.seq}: ${result.reason}`);
      }
      if (checkpoint !== undefined && !checkpoint.ok) throw new IntegrityError(`audit log does not hold ${options.checkpoint}: ${checkpoint.reason}`);
      if (options.json !== true) {
        const held = checkpoint === undefined || !checkpoint.ok ? '' : `; ${checkpoint.checked} signed checkpoint(s) up to event ${checkpoint.latestSeq} held`;
        process.stdout.write(`${colour.green('ok')}: ${result.count} audit events, chain intact${held}\n`);
      }
    });

  audit
    .command('checkpoint')
    .description('Sign the verified chain head (Ed25519) and append it to a file and/or post it to a webhook, somewhere the database admin cannot write')
    .option('--out <file>', 'append the checkpoint (one JSON line) to this file, created 0600')
    .option('--webhook <url>', 'POST the checkpoint as JSON to this URL')
    .option('--json', 'print JSON')
    .action(async (options: { out?: string; webhook?: string; json?: boolean }) => {
      const { writeCheckpoint } = await import('./audit-checkpoint-command.js');
      const checkpoint = await withCliContext((context) => writeCheckpoint(context, options));
      if (options.json === true) printJson(checkpoint);
      else process.stdout.write(`${colour.green('signed')} event ${checkpoint.seq} (${checkpoint.hash.slice(0, 16)}…) with ${checkpoint.publicKey}\n`);
    });

  audit
    .command('public-key')
    .description('Print the public key that verifies this install\'s audit checkpoints')
    .action(async () => {
      const { publicKeyOf } = await import('./audit-checkpoint-command.js');
      process.stdout.write(`${await withCliContext(async (context) => publicKeyOf(context))}\n`);
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

async function remoteEvents(credential: string | undefined): Promise<AuditEvent[]> {
  const { openApiClient } = await import('../server-client.js');
  const { auditEventSchema } = await import('../../server/api/api-schemas.js');
  const { auditEventFromWire } = await import('../remote-state.js');
  const { z } = await import('zod');
  const query = credential === undefined ? '' : `?${new URLSearchParams({ credential }).toString()}`;
  return (await openApiClient().request('GET', `/v1/audit${query}`, z.array(auditEventSchema))).map(auditEventFromWire);
}

async function remoteVerify(): Promise<{ ok: true; count: number } | { ok: false; seq: number; reason: string }> {
  const { openApiClient } = await import('../server-client.js');
  const { z } = await import('zod');
  const schema = z.union([z.object({ ok: z.literal(true), count: z.number() }).loose(), z.object({ ok: z.literal(false), seq: z.number(), reason: z.string() }).loose()]);
  return openApiClient().request('GET', '/v1/audit/verify', schema);
}
