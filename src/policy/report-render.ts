/** Compliance reports as JSON, CSV, Markdown and printable HTML; each states the report hash and the audit chain head. */
import { csvField } from '../core/csv.js';
import type { ComplianceReport } from './compliance-report.js';

export const REPORT_FORMATS = ['json', 'csv', 'md', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const escapeHtml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const headText = (report: ComplianceReport) => (report.chain.head === null ? 'empty chain' : `event ${report.chain.head.seq}, ${report.chain.head.hash}`);

function rows(report: ComplianceReport): string[][] {
  return report.credentials.flatMap((credential) => credential.results.map((result) => [
    credential.name, credential.environment, credential.owner ?? '', result.control, result.status,
    String(credential.periodDays ?? ''), String(credential.longestIntervalDays ?? ''), String(credential.currentAgeDays ?? ''), String(credential.rotations.length), result.evidence,
  ]));
}
const HEADERS = ['credential', 'environment', 'owner', 'control', 'status', 'period_days', 'longest_interval_days', 'current_age_days', 'rotations', 'evidence'];

export function renderReport(report: ComplianceReport, format: ReportFormat): string {
  const hash = report.integrity?.hash ?? '';
  if (format === 'json') return JSON.stringify(report, null, 2) + '\n';
  if (format === 'csv') {
    const meta = [['# rekey compliance report', report.standard, report.period.from, report.period.to], ['# report sha256', hash], ['# audit chain head', headText(report), report.chain.verified ? 'verified' : 'NOT verified']];
    return [...meta, HEADERS, ...rows(report)].map((line) => line.map(csvField).join(',')).join('\r\n') + '\r\n';
  }
  if (format === 'md') {
    const lines = [
      `# ${report.title}`, '',
      `Period ${report.period.from} – ${report.period.to}; generated ${report.generatedAt}.`, '',
      `- Report SHA-256: \`${hash}\` (canonical JSON of the report without this field; \`rekey report verify\`)`,
      `- Audit chain head: ${headText(report)} — ${report.chain.verified ? 'verified' : 'NOT verified'} (${report.chain.detail})`,
      `- Summary: ${Object.entries(report.summary).map(([status, count]) => `${status} ${count}`).join(', ')}`, '',
      '| Control | Requirement |', '| --- | --- |', ...report.controls.map((control) => `| ${control.id} ${control.title} | ${control.requirement} |`), '',
      '| Credential | Env | Owner | Control | Status | Evidence |', '| --- | --- | --- | --- | --- | --- |',
      ...report.credentials.flatMap((credential) => credential.results.map((result) => `| ${credential.name} | ${credential.environment} | ${credential.owner ?? ''} | ${result.control} | ${result.status} | ${result.evidence.replaceAll('|', '\\|')} |`)),
    ];
    return lines.join('\n') + '\n';
  }
  const body = report.credentials.map((credential) => `
  <section class="credential">
    <h2>${escapeHtml(credential.name)} <small>${escapeHtml(credential.provider)} · ${escapeHtml(credential.environment)} · owner ${escapeHtml(credential.owner ?? 'none')}</small></h2>
    <p>Period ${credential.periodDays ?? '–'} d · longest interval ${credential.longestIntervalDays ?? '–'} d · current key ${credential.currentAgeDays ?? '–'} d · ${credential.rotations.length} rotation(s), ${credential.emergencyRotations} emergency · consumers: ${escapeHtml(credential.consumers.join(', ') || 'none')}</p>
    <table><thead><tr><th>Control</th><th>Status</th><th>Evidence</th></tr></thead><tbody>
${credential.results.map((result) => `      <tr class="${result.status.toLowerCase()}"><td>${escapeHtml(result.control)}</td><td>${result.status}</td><td>${escapeHtml(result.evidence)}</td></tr>`).join('\n')}
    </tbody></table>
    ${credential.rotations.length === 0 ? '' : `<table><thead><tr><th>Rotation</th><th>Kind</th><th>Started</th><th>By</th><th>MFA</th><th>Approval</th><th>Old key dead</th><th>Consumers confirmed</th></tr></thead><tbody>${credential.rotations.map((rotation) => `<tr><td>${escapeHtml(rotation.id)}</td><td>${escapeHtml(rotation.kind)}</td><td>${rotation.startedAt}</td><td>${escapeHtml(rotation.actor)}</td><td>${rotation.mfa}</td><td>${escapeHtml(rotation.approval)}</td><td>${rotation.oldKeyDeadAt ?? 'no'}</td><td>${escapeHtml(rotation.consumersConfirmed.join(', '))}</td></tr>`).join('')}</tbody></table>`}
  </section>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(report.title)} — rekey</title>
<style>
  body { font: 11pt/1.4 system-ui, sans-serif; margin: 2em; color: #111; }
  table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; } th, td { border: 1px solid #999; padding: .25em .5em; text-align: left; vertical-align: top; }
  .non_compliant td:nth-child(2) { color: #a00; font-weight: bold; } .exception td:nth-child(2) { color: #a60; }
  code { word-break: break-all; } section.credential { page-break-inside: avoid; }
  @page { size: A4; margin: 15mm; } @media print { body { margin: 0; } }
</style></head><body>
<h1>${escapeHtml(report.title)}</h1>
<p>Period ${report.period.from} – ${report.period.to} · generated ${report.generatedAt}</p>
<ul>
  <li>Report SHA-256: <code>${hash}</code> (canonical JSON of the report without this field)</li>
  <li>Audit chain head: <code>${escapeHtml(headText(report))}</code> — ${report.chain.verified ? 'verified' : '<strong>NOT verified</strong>'} (${escapeHtml(report.chain.detail)})</li>
  <li>Summary: ${Object.entries(report.summary).map(([status, count]) => `${status} ${count}`).join(' · ')}</li>
</ul>
<table><thead><tr><th>Control</th><th>Requirement</th></tr></thead><tbody>
${report.controls.map((control) => `<tr><td>${escapeHtml(`${control.id} ${control.title}`)}</td><td>${escapeHtml(control.requirement)}</td></tr>`).join('\n')}
</tbody></table>
${body}
</body></html>
`;
}
