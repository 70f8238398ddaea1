/**
 * `rekey status`: every credential on one screen (age, next due, any rotation in flight or
 * held and why, consumers a rotation delivered the current version to) and what needs
 * attention first, each with its command. Reads the store only (rotation/credential-status.ts).
 */
import type { Command } from 'commander';
import type { AttentionItem, CredentialStatus, StatusReport } from '../../rotation/credential-status.js';
import { withCliContext } from '../cli-context.js';
import { colour, formatTable, printJson, type Column } from '../output.js';

function age(days: number): string {
  return days === 0 ? 'today' : `${days} d`;
}

function nextDue(status: CredentialStatus): string {
  if (status.nextDue === null) return 'never (no cadence)';
  const day = status.nextDue.at.slice(0, 10);
  return status.nextDue.overdue ? `overdue since ${day}` : day;
}

function rotation(status: CredentialStatus): string {
  const { rotation: active } = status;
  if (active === null) return '—';
  return `${active.stage} (${active.state}) ${active.id.slice(0, 8)}`;
}

function consumers(status: CredentialStatus): string {
  if (status.consumers.total === 0) return 'none';
  if (status.current === null) return `${status.consumers.total}`;
  return `${status.consumers.confirmed.length}/${status.consumers.total} on v${status.current.version}`;
}

const columns: Array<Column<CredentialStatus>> = [
  { header: 'CREDENTIAL', value: (status) => status.credential },
  { header: 'CURRENT', value: (status) => (status.current === null ? '(none)' : `v${status.current.version} ${status.current.hint}`) },
  { header: 'AGE', value: (status) => (status.current === null ? '' : age(status.current.ageDays)) },
  { header: 'NEXT DUE', value: nextDue },
  { header: 'ROTATION', value: rotation },
  { header: 'CONSUMERS DELIVERED', value: consumers },
];

const MARK: Record<AttentionItem['severity'], (text: string) => string> = {
  high: (text) => colour.red(`! ${text}`),
  medium: (text) => colour.yellow(`! ${text}`),
  low: (text) => `· ${text}`,
};

function printReport(report: StatusReport): void {
  const out = process.stdout;
  if (report.credentials.length > 0) out.write(formatTable(report.credentials, columns));
  for (const status of report.credentials) {
    if (status.rotation?.why !== null && status.rotation?.why !== undefined) out.write(colour.dim(`  ${status.credential}: rotation ${status.rotation.id} — ${status.rotation.why}`) + '\n');
  }
  if (report.attention.length === 0) {
    out.write(colour.green('nothing needs attention') + '\n');
    return;
  }
  out.write(`\n${colour.bold('Needs attention, first things first:')}\n`);
  for (const item of report.attention) {
    out.write(`  ${MARK[item.severity](`${item.credential === null ? '' : `${item.credential} `}${item.what}`)}\n      ${item.command}\n`);
  }
}

export function register(program: Command): void {
  program
    .command('status')
    .description('One screen: every credential (age, next due, rotation in flight or held and why, consumers delivered) and what needs attention first')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { buildStatusReport } = await import('../../rotation/credential-status.js');
      const report = await withCliContext(({ store, clock }) => buildStatusReport({ store, clock }));
      if (options.json === true) printJson(report);
      else printReport(report);
    });
}
