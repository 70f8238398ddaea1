/**
 * Runs every rule over a loaded rekey.yaml (and, optionally, the live state), applies
 * severity overrides and open exceptions, and sorts findings by file and line. Findings
 * covered by an open exception are kept (with the reason) but not counted.
 */
import type { LoadedPolicyFile } from './policy-loader.js';
import type { Finding, LiveState } from './policy-model.js';
import { POLICY_RULES } from './policy-rules.js';
import { RULE_IDS } from './policy-rule-ids.js';

export interface CheckResult {
  findings: Finding[];
  /** Findings not covered by an exception. */
  counted: Finding[];
  errors: number;
  warnings: number;
  files: string[];
  rulesRun: string[];
}

export function evaluatePolicies(loaded: Pick<LoadedPolicyFile, 'file' | 'locate' | 'locateKey' | 'files'>, options: { now: Date; live?: LiveState | undefined }): CheckResult {
  const { file } = loaded;
  const findings: Finding[] = [];
  const rulesRun: string[] = [];
  for (const id of RULE_IDS) {
    const rule = POLICY_RULES[id];
    const override = file.policies.rules[id]?.severity;
    if (override === 'off') continue;
    rulesRun.push(id);
    const severity = override ?? rule.severity;
    for (const finding of rule.evaluate({ file, locate: loaded.locate, locateKey: loaded.locateKey, now: options.now, live: options.live })) {
      const exception = id === 'exception-expired' ? undefined : file.policies.exceptions.find((candidate) =>
        candidate.rule === id && (candidate.credential === undefined || candidate.credential === finding.subject) && Date.parse(`${candidate.expires}T23:59:59Z`) >= options.now.getTime());
      findings.push({ ...finding, rule: id, severity, exception: exception === undefined ? undefined : { reason: exception.reason, expires: exception.expires } });
    }
  }
  findings.sort((left, right) => left.location.file.localeCompare(right.location.file) || left.location.line - right.location.line || left.location.column - right.location.column || left.rule.localeCompare(right.rule));
  const counted = findings.filter((finding) => finding.exception === undefined);
  return {
    findings,
    counted,
    errors: counted.filter((finding) => finding.severity === 'error').length,
    warnings: counted.filter((finding) => finding.severity === 'warning').length,
    files: loaded.files,
    rulesRun,
  };
}

/** Conftest's exit codes: 1 on any failure; with failOnWarn 2 on failures, 1 on warnings only; else 0. */
export function checkExitCode(result: Pick<CheckResult, 'errors' | 'warnings'>, failOnWarn: boolean): number {
  if (failOnWarn) return result.errors > 0 ? 2 : result.warnings > 0 ? 1 : 0;
  return result.errors > 0 ? 1 : 0;
}
