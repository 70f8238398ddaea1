/** `rekey check` output as text, JSON and GitHub Actions workflow commands. */
import type { CheckResult } from './policy-engine.js';
import type { Finding } from './policy-model.js';

export const CHECK_FORMATS = ['text', 'json', 'sarif', 'junit', 'github'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

const where = (finding: Finding) => `${finding.location.file}:${finding.location.line}:${finding.location.column}`;

export function formatCheckText(result: CheckResult): string {
  const lines = result.findings.map((finding) => {
    const excepted = finding.exception === undefined ? '' : ` (excepted until ${finding.exception.expires}: ${finding.exception.reason})`;
    return `${where(finding)}: ${finding.exception === undefined ? finding.severity : 'excepted'} [${finding.rule}] ${finding.message}${excepted}`;
  });
  const summary = `${result.errors} error${result.errors === 1 ? '' : 's'}, ${result.warnings} warning${result.warnings === 1 ? '' : 's'}` +
    `${result.findings.length > result.counted.length ? `, ${result.findings.length - result.counted.length} excepted` : ''} in ${result.files.length} file${result.files.length === 1 ? '' : 's'} (${result.rulesRun.length} rules)`;
  return [...lines, summary].join('\n') + '\n';
}

export function checkJson(result: CheckResult): Record<string, unknown> {
  return {
    ok: result.errors === 0,
    errors: result.errors,
    warnings: result.warnings,
    files: result.files,
    rules: result.rulesRun,
    findings: result.findings.map((finding) => ({
      rule: finding.rule,
      severity: finding.severity,
      message: finding.message,
      subject: finding.subject,
      field: finding.field,
      file: finding.location.file,
      line: finding.location.line,
      column: finding.location.column,
      exception: finding.exception ?? null,
    })),
  };
}

/** Workflow-command property values escape %, CR, LF, ":" and ","; messages escape %, CR, LF. */
const escapeData = (text: string) => text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
const escapeProperty = (text: string) => escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');

export function formatGithubAnnotations(result: CheckResult): string {
  const lines = result.counted.map((finding) => {
    const command = finding.severity === 'error' ? 'error' : 'warning';
    const properties = [`file=${escapeProperty(finding.location.file)}`, `line=${finding.location.line}`, `col=${finding.location.column}`, `title=${escapeProperty(`rekey ${finding.rule}`)}`];
    return `::${command} ${properties.join(',')}::${escapeData(finding.message)}`;
  });
  lines.push(`rekey check: ${result.errors} error(s), ${result.warnings} warning(s)`);
  return lines.join('\n') + '\n';
}
