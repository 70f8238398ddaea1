/** One `rekey scan` run for the benchmark: prints `{ findings, bytes, files }` as JSON, never a value. */
import { availableParallelism } from 'node:os';
import { createScanService } from '../../src/scan/scan-service.js';

const parallelism = Number(process.env['REKEY_SCAN_WORKERS'] ?? availableParallelism());
const report = await createScanService({ parallelism }).scan({ paths: process.argv.slice(2), noIgnore: true });
process.stdout.write(JSON.stringify({ findings: report.findings.length, bytes: report.stats.bytes, files: report.stats.files }) + '\n');
