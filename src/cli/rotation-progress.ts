/**
 * Rotation progress on stderr (stdout stays clean for --json). On a terminal: one live
 * status line (an `ora` spinner) that says which step runs or what the grace waits for,
 * the time left and how to skip it; finished steps stay as one line each. Off a terminal
 * (CI, pipes, logs): one plain line per state change, never one per poll. Colour follows
 * `useColour` (TTY, no NO_COLOR, TERM not dumb).
 */
import { formatDuration } from '../core/duration.js';
import type { RotationProgress } from '../rotation/rotation-deps.js';
import { colour, useColour } from './output.js';

export interface ProgressReporter {
  onProgress(progress: RotationProgress): void;
  /** The rotation and step last reported (for the Ctrl+C message). */
  last(): { rotationId: string; credential: string; step: string } | undefined;
  /** Resolves once everything reported so far is on the stream. */
  settled(): Promise<void>;
  stop(): void;
}

interface Spinner {
  text: string;
  start(text?: string): unknown;
  stop(): unknown;
  stopAndPersist(options: { symbol: string; text: string }): unknown;
  clear(): unknown;
  render(): unknown;
  readonly isSpinning: boolean;
}

const BAD_OUTCOME = /failed|held|busy|needed/;

function skipHint(progress: RotationProgress): string {
  return `to skip: rekey rotations end-grace ${progress.rotationId} --yes`;
}

export function createProgressReporter(options: { stream?: NodeJS.WriteStream; interactive?: boolean } = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const interactive = options.interactive ?? (stream.isTTY === true && process.env.TERM !== 'dumb' && process.env.CI === undefined);
  const started = new Map<string, number>();
  let last: { rotationId: string; credential: string; step: string } | undefined;
  let spinner: Spinner | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let waiting: RotationProgress | undefined;

  const line = (text: string) => {
    if (spinner?.isSpinning === true) {
      spinner.clear();
      stream.write(text + '\n');
      spinner.render();
    } else {
      stream.write(text + '\n');
    }
  };

  const waitText = (progress: RotationProgress): string => {
    const left = progress.until === undefined ? '' : ` · ${formatDuration(Math.max(0, (new Date(progress.until).getTime() - Date.now()) / 1000))} left`;
    return `${progress.step}: ${progress.message.replace(/^waiting: /, '')}${left} · ${skipHint(progress)}`;
  };

  const ensureSpinner = async (): Promise<Spinner> => {
    if (spinner !== undefined) return spinner;
    const { default: ora } = await import('ora');
    spinner = ora({ stream, discardStdin: false, color: useColour(stream) ? 'cyan' : false, hideCursor: true }) as unknown as Spinner;
    return spinner;
  };

  const endLine = (progress: RotationProgress): string => {
    const seconds = (Date.now() - (started.get(progress.step) ?? Date.now())) / 1000;
    const mark = BAD_OUTCOME.test(progress.message) ? colour.yellow('!') : colour.green('✓');
    return `  ${mark} ${progress.step} → ${progress.message} ${colour.dim(`(${formatDuration(seconds)})`)}`;
  };

  const stopTicker = () => {
    if (ticker !== undefined) clearInterval(ticker);
    ticker = undefined;
    waiting = undefined;
  };

  function plain(progress: RotationProgress): void {
    if (progress.phase === 'begin') line(colour.dim(`  … ${progress.step}`));
    else if (progress.phase === 'end') line(endLine(progress));
    else if (progress.phase === 'wait') line(colour.dim(`    ${progress.message}${progress.until === undefined ? '' : ` (${skipHint(progress)})`}`));
    else line(colour.dim(`    ${progress.message}`));
  }

  async function live(progress: RotationProgress): Promise<void> {
    const current = await ensureSpinner();
    if (progress.phase === 'begin') {
      stopTicker();
      current.start(`${progress.step}…`);
    } else if (progress.phase === 'end') {
      stopTicker();
      current.stopAndPersist({ symbol: '', text: endLine(progress) });
    } else if (progress.phase === 'wait') {
      waiting = progress;
      current.text = waitText(progress);
      if (!current.isSpinning) current.start();
      current.render();
      // Time left counts down between the (rarer) state changes.
      ticker ??= setInterval(() => {
        if (waiting !== undefined) current.text = waitText(waiting);
      }, 1000);
      ticker.unref();
    } else {
      line(colour.dim(`    ${progress.message}`));
    }
  }

  let queue: Promise<void> = Promise.resolve();
  return {
    onProgress(progress) {
      last = { rotationId: progress.rotationId, credential: progress.credential, step: progress.step };
      if (progress.phase === 'begin') started.set(progress.step, Date.now());
      if (!interactive) return plain(progress);
      // ora loads lazily; keep the lines in order while it does.
      queue = queue.then(() => live(progress)).catch(() => plain(progress));
    },
    last: () => last,
    settled: () => queue,
    stop() {
      stopTicker();
      spinner?.stop();
    },
  };
}
