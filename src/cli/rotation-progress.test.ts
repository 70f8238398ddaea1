import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createProgressReporter } from './rotation-progress.js';

/** A terminal stand-in: what ora writes to a TTY stream (text and cursor moves), captured. */
function terminal(): { stream: NodeJS.WriteStream; text: () => string } {
  let written = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream & Record<string, unknown>;
  Object.assign(stream, { isTTY: true, columns: 200, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream, text: () => written };
}

const progress = (phase: 'begin' | 'end' | 'wait', step: string, message: string, until?: string) => ({ rotationId: 'rot-1', credential: 'openai/a/dev', step, phase, message, until });

describe('rotation progress on a terminal', () => {
  const before = process.env.NO_COLOR;
  afterEach(() => {
    if (before === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = before;
  });

  it('shows a live status line with what it waits for, time left and how to skip; NO_COLOR leaves out colour codes', async () => {
    process.env.NO_COLOR = '1';
    const { stream, text } = terminal();
    const reporter = createProgressReporter({ stream, interactive: true });
    reporter.onProgress(progress('begin', 'watch-grace', 'watch-grace…'));
    reporter.onProgress(progress('wait', 'grace', 'waiting: usage data from sdk covers only up to 12:00:00 (its data can be up to 30s behind)', new Date(Date.now() + 90_000).toISOString()));
    await reporter.settled();
    reporter.stop();
    expect(text()).toMatch(/grace: usage data from sdk covers only up to .* · 1m ?\d*s? left · to skip: rekey rotations end-grace rot-1 --yes/);
    // Cursor control is fine; colour (SGR "…m" sequences) is not.
    expect(text()).not.toMatch(/\u001b\[\d+(;\d+)*m/);
    expect(reporter.last()).toEqual({ rotationId: 'rot-1', credential: 'openai/a/dev', step: 'grace' });
  });
});
