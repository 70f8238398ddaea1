/**
 * `rekey check --format junit`: one <testsuite> per rule, one <testcase> per rule ×
 * credential (and per other subject with a finding), a <failure> on a violation, a
 * <skipped> for an excepted finding. Readable by any JUnit consumer (GitLab, Jenkins).
 */
import type { RekeyFile } from './policy-schema.js';
import type { CheckResult } from './policy-engine.js';
import { POLICY_RULES } from './policy-rules.js';
import type { RuleId } from './policy-rule-ids.js';

const escapeXml = (text: string) =>
  text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&apos;');

export function toCheckJunit(result: CheckResult, file: Pick<RekeyFile, 'credentials'>): string {
  const credentials = Object.keys(file.credentials);
  const suites: string[] = [];
  let totalTests = 0;
  let totalFailures = 0;
  const ids = [...result.rulesRun, ...(result.findings.some((finding) => finding.rule === 'schema') ? ['schema'] : [])];
  for (const id of ids) {
    const findings = result.findings.filter((finding) => finding.rule === id);
    const subjects = [...new Set([...(id === 'schema' ? [] : credentials), ...findings.map((finding) => finding.subject)])];
    const cases = subjects.map((subject) => {
      const mine = findings.filter((finding) => finding.subject === subject);
      const failing = mine.filter((finding) => finding.exception === undefined);
      const excepted = mine.filter((finding) => finding.exception !== undefined);
      const body = [
        ...failing.map((finding) => `      <failure type="${finding.severity}" message="${escapeXml(finding.message)}">${escapeXml(`${finding.location.file}:${finding.location.line}:${finding.location.column}: ${finding.message}`)}</failure>`),
        ...(failing.length === 0 && excepted.length > 0 ? [`      <skipped message="${escapeXml(`excepted until ${excepted[0]?.exception?.expires ?? ''}: ${excepted[0]?.exception?.reason ?? ''}`)}"/>`] : []),
      ];
      const location = mine[0]?.location;
      const fileAttribute = location === undefined ? '' : ` file="${escapeXml(location.file)}" line="${location.line}"`;
      return { failed: failing.length > 0, skipped: failing.length === 0 && excepted.length > 0, xml: `    <testcase classname="rekey.${escapeXml(id)}" name="${escapeXml(subject)}"${fileAttribute}${body.length === 0 ? '/>' : `>\n${body.join('\n')}\n    </testcase>`}` };
    });
    const failures = cases.filter((item) => item.failed).length;
    const skipped = cases.filter((item) => item.skipped).length;
    totalTests += cases.length;
    totalFailures += failures;
    const title = id === 'schema' ? 'Valid rekey.yaml' : POLICY_RULES[id as RuleId].title;
    suites.push(`  <testsuite name="${escapeXml(`${id}: ${title}`)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}">\n${cases.map((item) => item.xml).join('\n')}\n  </testsuite>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="rekey check" tests="${totalTests}" failures="${totalFailures}" errors="0">\n${suites.join('\n')}\n</testsuites>\n`;
}
