import { describe, expect, it } from 'vitest';
import { addedLines } from './staged-changes.js';
import { unquotePath } from './git-history.js';

describe('staged diff parsing', () => {
  it('collects added line numbers per file, across hunks, with quoted paths', () => {
    const diff = [
      'diff --git a/src/app.ts b/src/app.ts',
      '--- a/src/app.ts',
      '+++ b/src/app.ts',
      '@@ -3 +3,2 @@',
      '-old',
      '+new line three',
      '+new line four',
      '@@ -10,0 +12 @@',
      '+line twelve',
      'diff --git "a/tab\\there.txt" "b/tab\\there.txt"',
      '--- /dev/null',
      '+++ "b/tab\\there.txt"',
      '@@ -0,0 +1 @@',
      '+first',
      'diff --git a/gone.txt b/gone.txt',
      '--- a/gone.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
    ].join('\n');
    const added = addedLines(diff);
    expect([...added.keys()]).toEqual(['src/app.ts', 'tab\there.txt']);
    expect([...(added.get('src/app.ts') ?? [])]).toEqual([3, 4, 12]);
    expect([...(added.get('tab\there.txt') ?? [])]).toEqual([1]);
  });

  it('unquotes git C-style paths, octal UTF-8 included', () => {
    expect(unquotePath('"caf\\303\\251.txt"')).toBe('café.txt');
    expect(unquotePath('plain.txt')).toBe('plain.txt');
  });
});
