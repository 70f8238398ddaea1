/**
 * Scans listed files on worker threads (one per core), in batches, and hands the results
 * back in listing order, so output is the same as a sequential scan. Used for directory
 * targets by the CLI; falls back to the calling thread when the compiled worker is not
 * there (running from TypeScript sources, as in the unit tests).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PositionedMatch } from '../chunk-scanner.js';
import type { CompiledDetectors } from '../detectors/detector-registry.js';
import { findDetector } from '../detectors/detector-registry.js';
import type { FileScanResult, ListedFile } from './file-targets.js';
import { scanFileSync } from './file-targets.js';

export interface WorkerBatch {
  id: number;
  paths: string[];
}

type SerializedMatch = Omit<PositionedMatch, 'detector'> & { detectorId: string };
type SerializedResult =
  | { kind: 'text'; matches: SerializedMatch[]; bytes: number }
  | { kind: 'binary'; bytes: number }
  | { kind: 'unreadable'; reason: string };

export interface WorkerReply {
  id: number;
  results: SerializedResult[];
}

export function serializeResult(result: FileScanResult): SerializedResult {
  if (result.kind !== 'text') return result;
  return {
    kind: 'text',
    bytes: result.bytes,
    matches: result.matches.map(({ detector, ...rest }) => ({ ...rest, detectorId: detector.id })),
  };
}

function deserializeResult(result: SerializedResult): FileScanResult {
  if (result.kind !== 'text') return result;
  const matches: PositionedMatch[] = [];
  for (const { detectorId, ...rest } of result.matches) {
    const detector = findDetector(detectorId);
    if (detector !== undefined) matches.push({ ...rest, detector });
  }
  return { kind: 'text', bytes: result.bytes, matches };
}

const workerUrl = new URL('./file-scan-worker.js', import.meta.url);

/** Whether worker threads can be used here (the compiled worker exists). */
export function parallelScanAvailable(): boolean {
  return workerUrl.protocol === 'file:' && existsSync(fileURLToPath(workerUrl));
}

const BATCH_FILES = 64;
const SMALL_TREE_FILES = 256;

/**
 * Calls `onResult` for every file, in listing order. `workers` ≤ 1, or no compiled worker,
 * scans on this thread.
 */
export async function scanFilesInParallel(
  files: AsyncIterable<ListedFile>,
  workers: number,
  onResult: (file: ListedFile, result: FileScanResult) => Promise<void>,
  compiled?: CompiledDetectors,
): Promise<void> {
  if (workers <= 1 || !parallelScanAvailable()) {
    for await (const file of files) await onResult(file, scanFileSync(file.absolute, compiled));
    return;
  }
  // Starting workers costs more than scanning a small tree: the first files are scanned
  // here, and workers start only if the listing goes on.
  const iterator = files[Symbol.asyncIterator]();
  for (let index = 0; index < SMALL_TREE_FILES; index += 1) {
    const next = await iterator.next();
    if (next.done === true) return;
    await onResult(next.value, scanFileSync(next.value.absolute, compiled));
  }
  const rest: AsyncIterable<ListedFile> = { [Symbol.asyncIterator]: () => iterator };
  await scanOnWorkers(rest, workers, onResult);
}

async function scanOnWorkers(
  files: AsyncIterable<ListedFile>,
  workers: number,
  onResult: (file: ListedFile, result: FileScanResult) => Promise<void>,
): Promise<void> {
  const pool = Array.from({ length: workers }, () => new Worker(workerUrl));
  const idle = [...pool];
  const pending = new Map<number, { files: ListedFile[]; results?: SerializedResult[] }>();
  let nextToEmit = 0;
  let nextId = 0;
  let failure: unknown;
  // A change (a reply, a failure) that happens while nobody waits is remembered, not lost.
  let changed = false;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    changed = true;
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  const waitForChange = (): Promise<void> => {
    if (changed) {
      changed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      wake = () => {
        changed = false;
        resolve();
      };
    });
  };

  for (const worker of pool) {
    worker.on('message', (reply: WorkerReply) => {
      const batch = pending.get(reply.id);
      if (batch !== undefined) batch.results = reply.results;
      idle.push(worker);
      signal();
    });
    worker.on('error', (error) => {
      failure = error;
      signal();
    });
  }

  const emitReady = async (): Promise<void> => {
    for (;;) {
      const batch = pending.get(nextToEmit);
      if (batch?.results === undefined) return;
      pending.delete(nextToEmit);
      nextToEmit += 1;
      for (let index = 0; index < batch.files.length; index += 1) {
        await onResult(batch.files[index] as ListedFile, deserializeResult(batch.results[index] as SerializedResult));
      }
    }
  };

  const dispatch = async (batchFiles: ListedFile[]): Promise<void> => {
    while (idle.length === 0 && failure === undefined) {
      await waitForChange();
      await emitReady();
    }
    if (failure !== undefined) throw failure;
    const worker = idle.pop() as Worker;
    const id = nextId;
    nextId += 1;
    pending.set(id, { files: batchFiles });
    worker.postMessage({ id, paths: batchFiles.map((file) => file.absolute) } satisfies WorkerBatch);
  };

  try {
    let batch: ListedFile[] = [];
    for await (const file of files) {
      batch.push(file);
      if (batch.length >= BATCH_FILES) {
        await dispatch(batch);
        batch = [];
      }
      await emitReady();
    }
    if (batch.length > 0) await dispatch(batch);
    while (nextToEmit < nextId) {
      if (failure !== undefined) throw failure;
      await emitReady();
      if (nextToEmit < nextId) await waitForChange();
    }
  } finally {
    await Promise.all(pool.map((worker) => worker.terminate()));
  }
}
