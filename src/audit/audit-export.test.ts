import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../core/types.js';
import { csvField } from '../core/csv.js';
import { exportAuditEvents } from './audit-export.js';

const event: AuditEvent = {
  seq: 1,
  at: new Date('2026-01-01T00:00:00.000Z'),
  event: 'credential-add',
  actor: 'cli:"ops", team',
  credential: 'openai/a/prod',
  fingerprint: null,
  outcome: 'ok',
  detail: { note: 'line one\nline two', b: 1, a: 2 },
  prevHash: '0'.repeat(64),
  hash: 'a'.repeat(64),
};

describe('exportAuditEvents', () => {
  it('quotes CSV fields as RFC 4180 says', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
  });

  it('defuses fields a spreadsheet would run as formulas, and leaves numbers alone', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField('+cmd')).toBe("'+cmd");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('-1')).toBe('-1');
    expect(csvField('cli:ops')).toBe('cli:ops');
  });

  it('writes a header and one CRLF-terminated row per event, detail as canonical JSON', () => {
    const csv = exportAuditEvents([event], 'csv');
    expect(csv).toBe(
      'seq,at,event,actor,credential,fingerprint,outcome,detail,prev_hash,hash\r\n' +
        `1,2026-01-01T00:00:00.000Z,credential-add,"cli:""ops"", team",openai/a/prod,,ok,"{""a"":2,""b"":1,""note"":""line one\\nline two""}",${'0'.repeat(64)},${'a'.repeat(64)}\r\n`,
    );
  });

  it('writes JSON with ISO times that parses back', () => {
    const parsed = JSON.parse(exportAuditEvents([event], 'json')) as Array<Record<string, unknown>>;
    expect(parsed).toEqual([{ ...event, at: '2026-01-01T00:00:00.000Z' }]);
  });
});
