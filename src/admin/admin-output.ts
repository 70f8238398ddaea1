/**
 * Streaming row writers: `--output table|json|ndjson|csv|yaml`. Every format writes each
 * row as it arrives (a JSON array is opened, filled and closed; YAML is one sequence item
 * per row), so a listing of 10,000 keys or 90 days of hourly buckets holds no more than
 * one page in memory. A table sizes its columns from the first rows it sees and streams the rest.
 * CSV goes through the project's one CSV field writer (`core/csv.ts`).
 */
import { stringify } from 'yaml';
import { csvField } from '../core/csv.js';
import { UsageError } from '../core/errors.js';
import type { Cell, Row } from './admin-query.js';

export const OUTPUT_FORMATS = ['table', 'json', 'ndjson', 'csv', 'yaml'] as const;
export type AdminOutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutputFormat(text: string | undefined, json?: boolean): AdminOutputFormat {
  if (json === true) return 'json';
  const value = text ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(value)) {
    throw new UsageError(`--output: "${value}" is not an output format`, { hint: `use one of ${OUTPUT_FORMATS.join(', ')}` });
  }
  return value as AdminOutputFormat;
}

/** Where the writer puts text; `write` may return a promise to apply back-pressure. */
export interface TextSink {
  write(text: string): void | Promise<void>;
}

export interface RowWriter {
  write(row: Row): Promise<void>;
  /** Closes the output (the JSON array, the table). */
  end(): Promise<void>;
  /** Rows written so far. */
  readonly count: number;
}

/** A sink on a Node stream that waits for `drain` when the stream's buffer is full. */
export function streamSink(stream: NodeJS.WritableStream): TextSink {
  return {
    write(text) {
      if (stream.write(text)) return undefined;
      return new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    },
  };
}

/** How many rows a table reads before it fixes its column widths. */
const TABLE_SIZING_ROWS = 200;

function tableCell(value: Cell | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Math.round(value * 10_000) / 10_000);
  return String(value);
}

function plainCell(value: Cell | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

/** Column headers are the row keys in `columns` order, upper-cased for tables. */
export function createRowWriter(format: AdminOutputFormat, columns: readonly string[], sink: TextSink): RowWriter {
  let count = 0;
  const pick = (row: Row): Row => Object.fromEntries(columns.map((column) => [column, row[column] ?? null]));

  if (format === 'json') {
    return {
      get count() {
        return count;
      },
      async write(row) {
        await sink.write(`${count === 0 ? '[\n' : ',\n'}  ${JSON.stringify(pick(row))}`);
        count += 1;
      },
      async end() {
        await sink.write(count === 0 ? '[]\n' : '\n]\n');
      },
    };
  }
  if (format === 'ndjson') {
    return {
      get count() {
        return count;
      },
      async write(row) {
        await sink.write(`${JSON.stringify(pick(row))}\n`);
        count += 1;
      },
      async end() {},
    };
  }
  if (format === 'csv') {
    return {
      get count() {
        return count;
      },
      async write(row) {
        const header = count === 0 ? `${columns.map(csvField).join(',')}\r\n` : '';
        await sink.write(`${header}${columns.map((column) => csvField(plainCell(row[column]))).join(',')}\r\n`);
        count += 1;
      },
      async end() {
        if (count === 0) await sink.write(`${columns.map(csvField).join(',')}\r\n`);
      },
    };
  }
  if (format === 'yaml') {
    return {
      get count() {
        return count;
      },
      async write(row) {
        await sink.write(stringify([pick(row)], { lineWidth: 0 }));
        count += 1;
      },
      async end() {
        if (count === 0) await sink.write('[]\n');
      },
    };
  }

  // table
  const headers = columns.map((column) => column.toUpperCase());
  let pending: string[][] | undefined = [];
  let widths: number[] = [];
  const render = (cells: readonly string[]) => cells.map((text, index) => (index === cells.length - 1 ? text : text.padEnd(widths[index] ?? 0))).join('  ').trimEnd() + '\n';
  const flushPending = async () => {
    if (pending === undefined) return;
    const rows = pending;
    pending = undefined;
    widths = headers.map((header, index) => Math.max(header.length, ...rows.map((cells) => (cells[index] ?? '').length)));
    let text = render(headers);
    for (const cells of rows) text += render(cells);
    await sink.write(text);
  };
  return {
    get count() {
      return count;
    },
    async write(row) {
      const cells = columns.map((column) => tableCell(row[column]));
      count += 1;
      if (pending !== undefined) {
        pending.push(cells);
        if (pending.length >= TABLE_SIZING_ROWS) await flushPending();
        return;
      }
      await sink.write(render(cells));
    },
    async end() {
      if (count === 0) {
        pending = undefined;
        await sink.write('(none)\n');
        return;
      }
      await flushPending();
    },
  };
}

/** Writes every row of a stream; the writer is closed only when the stream ended without error. */
export async function writeRows(rows: AsyncIterable<Row>, writer: RowWriter): Promise<number> {
  for await (const row of rows) await writer.write(row);
  await writer.end();
  return writer.count;
}

export async function* fromArray(rows: readonly Row[]): AsyncGenerator<Row> {
  for (const row of rows) yield row;
}
