/** Text and JSON renderings of findings. Neither ever contains a key value, only its hint. */
import type { Finding } from './finding.js';
import { findingPlace } from './finding.js';
import type { ScanReport } from './scan-service.js';

/** One finding as a JSON-ready object (the `--format json` element). */
export function findingToJson(finding: Finding): Record<string, unknown> {
  const { location } = finding;
  return {
    detector: finding.detectorId,
    provider: finding.provider,
    description: finding.description,
    hint: finding.hint,
    source: location.source,
    path: location.path,
    line: location.line,
    column: location.column,
    byteOffset: location.byteOffset,
    byteLength: location.byteLength,
    ...(location.encoding === undefined ? {} : { encoding: location.encoding }),
    ...(location.commit === undefined ? {} : { commit: location.commit, author: location.author, committedAt: location.committedAt }),
    ...(finding.host === undefined ? {} : { host: finding.host }),
    ...(finding.ownership === undefined ? {} : { ownership: finding.ownership }),
    ...(finding.verification === undefined ? {} : { verification: finding.verification }),
    ...(finding.verificationReason === undefined ? {} : { verificationReason: finding.verificationReason }),
  };
}

export function reportToJson(report: ScanReport): Record<string, unknown> {
  return {
    findings: report.findings.map(findingToJson),
    suppressed: report.suppressed,
    stats: report.stats,
    ...(report.hookErrors.length === 0 ? {} : { hookErrors: report.hookErrors }),
    ...(report.unreadable.length === 0 ? {} : { unreadable: report.unreadable }),
  };
}

/** `src/app.ts:12:7  openai-project-key  sk-proj-…Ab3d  ours: openai/app/prod (current)  live` */
export function formatFindingLine(finding: Finding): string {
  const parts = [findingPlace(finding), finding.detectorId, finding.hint];
  if (finding.location.encoding !== undefined) parts.push(`encoded (${finding.location.encoding})`);
  if (finding.host !== undefined) parts.push(`host ${finding.host}`);
  if (finding.ownership !== undefined) parts.push(`ours: ${finding.ownership.credential} (${finding.ownership.stage})`);
  if (finding.verification !== undefined) parts.push(finding.verificationReason === undefined ? finding.verification : `${finding.verification} (${finding.verificationReason})`);
  let line = parts.join('  ');
  if (finding.location.commit !== undefined) {
    line += `\n    commit ${finding.location.commit} by ${finding.location.author ?? '?'} on ${finding.location.committedAt ?? '?'}`;
  }
  return line;
}

export function formatSummary(report: ScanReport): string {
  const { stats } = report;
  const megabytes = (stats.bytes / 1e6).toFixed(1);
  const scanned = stats.blobs > 0 ? `${stats.blobs} blob${stats.blobs === 1 ? '' : 's'}` : `${stats.files} file${stats.files === 1 ? '' : 's'}`;
  const count = report.findings.length;
  const suppressed = report.suppressed > 0 ? ` (${report.suppressed} accepted by the baseline)` : '';
  return `${count} finding${count === 1 ? '' : 's'}${suppressed} in ${scanned}, ${megabytes} MB` +
    (stats.binaries > 0 ? `, ${stats.binaries} binary skipped` : '') +
    (stats.unreadable > 0 ? `, ${stats.unreadable} unreadable` : '');
}
