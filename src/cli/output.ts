/** Printing for the CLI: JSON, tables and CSV; colour only on a TTY and never under NO_COLOR. */
import { csvField } from '../core/csv.js';
import { UsageError } from '../core/errors.js';

export type OutputFormat = 'table' | 'json' | 'csv';

export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
}

const paint = (code: number) => (text: string): string => (useColour() ? `\u001b[${code}m${text}\u001b[0m` : text);
export const colour = { green: paint(32), red: paint(31), yellow: paint(33), dim: paint(2), bold: paint(1) };

export function printJson(data: unknown): void {
  process.stdout.write(JSON.stringify(data, jsonReplacer, 2) + '\n');
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Buffer) return undefined;
  return value;
}

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | null | undefined;
}

function cell(value: string | number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

export function formatTable<Row>(rows: Row[], columns: Array<Column<Row>>): string {
  const cells = rows.map((row) => columns.map((column) => cell(column.value(row))));
  const widths = columns.map((column, index) => Math.max(column.header.length, ...cells.map((line) => (line[index] ?? '').length)));
  const render = (line: string[]): string => line.map((text, index) => text.padEnd(widths[index] ?? 0)).join('  ').trimEnd();
  return [colour.bold(render(columns.map((column) => column.header))), ...cells.map(render)].join('\n') + '\n';
}


export function formatCsv<Row>(rows: Row[], columns: Array<Column<Row>>): string {
  const lines = [columns.map((column) => csvField(column.header)), ...rows.map((row) => columns.map((column) => csvField(cell(column.value(row)))))];
  return lines.map((line) => line.join(',')).join('\r\n') + '\r\n';
}

/** `--json` wins, then `--output`, default table. */
export function outputFormat(options: { json?: boolean; output?: string }): OutputFormat {
  if (options.json === true) return 'json';
  const format = options.output ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'csv') {
    throw new UsageError(`--output must be table, json or csv, not "${format}"`);
  }
  return format;
}

export function printList<Row>(rows: Row[], columns: Array<Column<Row>>, format: OutputFormat, json: (row: Row) => unknown): void {
  if (format === 'json') printJson(rows.map(json));
  else if (format === 'csv') process.stdout.write(formatCsv(rows, columns));
  else if (rows.length === 0) process.stdout.write(colour.dim('(none)') + '\n');
  else process.stdout.write(formatTable(rows, columns));
}
