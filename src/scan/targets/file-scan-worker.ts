/**
 * Worker side of the parallel file scan: scans the files of each batch it is sent and
 * posts the matches back (detector ids, not detector objects, which do not cross threads).
 * Values cross only as in-process messages, never to disk or a log.
 */
import { parentPort } from 'node:worker_threads';
import { scanFileSync } from './file-targets.js';
import type { WorkerBatch, WorkerReply } from './parallel-file-scan.js';
import { serializeResult } from './parallel-file-scan.js';

const port = parentPort;
if (port !== null) {
  port.on('message', (batch: WorkerBatch) => {
    const reply: WorkerReply = { id: batch.id, results: batch.paths.map((path) => serializeResult(scanFileSync(path))) };
    port.postMessage(reply);
  });
}
