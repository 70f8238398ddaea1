import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createRowWriter, fromArray, parseOutputFormat, writeRows, type TextSink } from './admin-output.js';
import { aggregateRows, filterRows, parseBucket, parseFilters, parseGroupBy, parseTimePoint, parseTimeRange, type Row } from './admin-query.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');

function memorySink(): TextSink & { text: () => string; writes: number } {
  const parts: string[] = [];
  return {
    write(text) {
      parts.push(text);
    },
    text: () => parts.join(''),
    get writes() {
      return parts.length;
    },
  };
}

const ROWS: Row[] = [
  { project_id: 'proj_a', model: 'gpt-4o', input_tokens: 10, amount_usd: 0.1, note: 'plain' },
  { project_id: 'proj_a', model: 'gpt-4o-mini', input_tokens: 5, amount_usd: 0.2, note: 'has, comma and "quotes"' },
  { project_id: 'proj_b', model: 'gpt-4o', input_tokens: 7, amount_usd: null, note: '=1+1' },
  { project_id: 'proj_b', model: 'gpt-4o', input_tokens: 1, amount_usd: 0.05, note: 'line\nbreak' },
];
const COLUMNS = ['project_id', 'model', 'input_tokens', 'amount_usd', 'note'];

describe('time ranges', () => {
  it('reads relative and absolute times', () => {
    expect(parseTimePoint('7d', '--since', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseTimePoint('12h', '--since', NOW)).toBe(NOW - 12 * 3_600_000);
    expect(parseTimePoint('30m', '--since', NOW)).toBe(NOW - 30 * 60_000);
    expect(parseTimePoint('2w', '--since', NOW)).toBe(NOW - 14 * 86_400_000);
    expect(parseTimePoint('2026-12-01', '--from', NOW)).toBe(Date.parse('2026-12-01T00:00:00Z'));
    expect(parseTimePoint('2026-12-01T08:30:00Z', '--from', NOW)).toBe(Date.parse('2026-12-01T08:30:00Z'));
    expect(parseTimePoint('2026-12-01T08:30', '--from', NOW)).toBe(Date.parse('2026-12-01T08:30:00Z'));
    expect(parseTimePoint('2026-12-01T08:30:00+02:00', '--from', NOW)).toBe(Date.parse('2026-12-01T06:30:00Z'));
    expect(parseTimePoint('1764547200', '--from', NOW)).toBe(1_764_547_200_000);
  });

  it('refuses what does not parse, naming the option and the forms it takes', () => {
    for (const bad of ['7 days', 'yesterday', '2026-13-45', '7x', '']) {
      expect(() => parseTimePoint(bad, '--since', NOW)).toThrowError(new RegExp(`--since: "${bad}" is not a time`));
    }
    try {
      parseTimePoint('soon', '--since', NOW);
    } catch (error) {
      expect((error as { hint?: string }).hint).toMatch(/7d/);
    }
  });

  it('combines --since / --from / --to and refuses an empty or doubly given range', () => {
    expect(parseTimeRange({ since: '7d' }, NOW)).toEqual({ startMs: NOW - 7 * 86_400_000, endMs: NOW });
    expect(parseTimeRange({ from: '2026-11-01', to: '2026-11-08' }, NOW)).toEqual({ startMs: Date.parse('2026-11-01T00:00:00Z'), endMs: Date.parse('2026-11-08T00:00:00Z') });
    expect(parseTimeRange({ from: '14d', to: '7d' }, NOW)).toEqual({ startMs: NOW - 14 * 86_400_000, endMs: NOW - 7 * 86_400_000 });
    expect(parseTimeRange({}, NOW, 30).startMs).toBe(NOW - 30 * 86_400_000);
    expect(() => parseTimeRange({ since: '7d', from: '2026-11-01' }, NOW)).toThrowError(/not both/);
    expect(() => parseTimeRange({ from: '2026-11-08', to: '2026-11-01' }, NOW)).toThrowError(/empty/);
  });

  it('bucket widths', () => {
    expect(parseBucket(undefined)).toBe('1d');
    expect(parseBucket('1h')).toBe('1h');
    expect(() => parseBucket('5m')).toThrowError(/"5m" is not a bucket width/);
    expect(() => parseBucket('1h', ['1d'])).toThrowError(/not a bucket width here/);
  });
});

describe('group-by and filters', () => {
  it('maps aliases to columns, accepts combinations and refuses what the command cannot group by', () => {
    expect(parseGroupBy(['project,model'], ['project_id', 'model', 'api_key_id'])).toEqual(['project_id', 'model']);
    expect(parseGroupBy(['key', 'day', 'key'], ['api_key_id', 'day'])).toEqual(['api_key_id', 'day']);
    expect(parseGroupBy(['line-item'], ['line_item'])).toEqual(['line_item']);
    expect(() => parseGroupBy(['workspace'], ['project_id', 'model'])).toThrowError(/cannot group by "workspace"/);
  });

  it('filters on any column; an unknown column is refused with the list of columns', async () => {
    const filters = parseFilters(['model=gpt-4o', 'project!=proj_a'], COLUMNS);
    const kept: Row[] = [];
    for await (const row of filterRows(fromArray(ROWS), filters)) kept.push(row);
    expect(kept.map((row) => row['input_tokens'])).toEqual([7, 1]);
    const contains = parseFilters(['note~COMMA'], COLUMNS);
    const found: Row[] = [];
    for await (const row of filterRows(fromArray(ROWS), contains)) found.push(row);
    expect(found).toHaveLength(1);
    try {
      parseFilters(['colour=red'], COLUMNS);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe('--filter: no column "colour"');
      expect((error as { hint?: string }).hint).toBe(`columns: ${COLUMNS.join(', ')}`);
    }
    expect(() => parseFilters(['model'], COLUMNS)).toThrowError(/is not column=value/);
  });

  it('aggregates sums per group (null stays null when nothing was summed)', async () => {
    const grouped = await aggregateRows(fromArray(ROWS), ['project_id'], ['input_tokens', 'amount_usd']);
    expect(grouped).toEqual([
      { project_id: 'proj_a', input_tokens: 15, amount_usd: 0.30000000000000004 },
      { project_id: 'proj_b', input_tokens: 8, amount_usd: 0.05 },
    ]);
    const byBoth = await aggregateRows(fromArray(ROWS), ['project_id', 'model'], ['input_tokens']);
    expect(byBoth).toHaveLength(3);
    const none = await aggregateRows(fromArray([{ a: 'x', n: null }]), ['a'], ['n']);
    expect(none).toEqual([{ a: 'x', n: null }]);
  });
});

describe('output formats, parsed back', () => {
  async function render(format: Parameters<typeof createRowWriter>[0], rows = ROWS) {
    const sink = memorySink();
    await writeRows(fromArray(rows), createRowWriter(format, COLUMNS, sink));
    return sink.text();
  }

  it('json and ndjson parse back to the same rows', async () => {
    expect(JSON.parse(await render('json'))).toEqual(ROWS);
    expect(JSON.parse(await render('json', []))).toEqual([]);
    const lines = (await render('ndjson')).trimEnd().split('\n').map((line) => JSON.parse(line) as Row);
    expect(lines).toEqual(ROWS);
  });

  it('csv parses back (quotes, commas, line breaks; formula cells defused)', async () => {
    const text = await render('csv');
    const records = parseCsv(text, { columns: true }) as Array<Record<string, string>>;
    expect(records).toHaveLength(ROWS.length);
    records.forEach((record, index) => {
      const row = ROWS[index] as Row;
      expect(record['project_id']).toBe(row['project_id']);
      expect(Number(record['input_tokens'])).toBe(row['input_tokens']);
      expect(record['amount_usd']).toBe(row['amount_usd'] === null ? '' : String(row['amount_usd']));
      expect(record['note']).toBe(row['note'] === '=1+1' ? "'=1+1" : row['note']);
    });
    expect(await render('csv', [])).toBe('project_id,model,input_tokens,amount_usd,note\r\n');
  });

  it('yaml parses back', async () => {
    expect(parseYaml(await render('yaml'))).toEqual(ROWS);
    expect(parseYaml(await render('yaml', []))).toEqual([]);
  });

  it('table: upper-case headers, aligned columns, (none) when empty', async () => {
    const text = await render('table');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^PROJECT_ID\s+MODEL\s+INPUT_TOKENS\s+AMOUNT_USD\s+NOTE$/);
    expect(lines[1]?.indexOf('gpt-4o')).toBe(lines[0]?.indexOf('MODEL'));
    expect(await render('table', [])).toBe('(none)\n');
  });

  it('streams: rows reach the sink before the stream ends (every format)', async () => {
    for (const format of ['json', 'ndjson', 'csv', 'yaml', 'table'] as const) {
      const sink = memorySink();
      const writer = createRowWriter(format, COLUMNS, sink);
      let seenBeforeEnd = 0;
      async function* many(): AsyncGenerator<Row> {
        for (let index = 0; index < 1000; index += 1) {
          if (index === 999) seenBeforeEnd = sink.writes;
          yield { project_id: `p${index}`, model: 'm', input_tokens: index, amount_usd: 0, note: '' };
        }
      }
      await writeRows(many(), writer);
      expect(seenBeforeEnd, format).toBeGreaterThan(500);
    }
  });

  it('refuses an unknown output format', () => {
    expect(parseOutputFormat(undefined)).toBe('table');
    expect(parseOutputFormat('yaml')).toBe('yaml');
    expect(parseOutputFormat('table', true)).toBe('json');
    expect(() => parseOutputFormat('xml')).toThrowError(/"xml" is not an output format/);
  });
});
