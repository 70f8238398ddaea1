/**
 * `rekey check --format sarif`: SARIF 2.1.0 with one rule per policy rule and one result
 * per finding, located at the line and column in rekey.yaml (or the included file).
 * Excepted findings carry an external suppression with the exception's reason.
 */
import type { CheckResult } from './policy-engine.js';
import { POLICY_RULES } from './policy-rules.js';
import { RULE_IDS } from './policy-rule-ids.js';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

const artifactUri = (file: string) => file.split(/[\\/]/).map(encodeURIComponent).join('/');

export function toCheckSarif(result: CheckResult, toolVersion: string): Record<string, unknown> {
  const rules = [
    ...RULE_IDS.map((id) => ({
      id,
      name: POLICY_RULES[id].title,
      shortDescription: { text: POLICY_RULES[id].title },
      fullDescription: { text: POLICY_RULES[id].description },
      defaultConfiguration: { level: POLICY_RULES[id].severity },
    })),
    { id: 'schema', name: 'Valid rekey.yaml', shortDescription: { text: 'The file matches the rekey.yaml schema' }, fullDescription: { text: 'Every field is known, of the expected type, and no value is a secret.' }, defaultConfiguration: { level: 'error' } },
  ];
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id, index]));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'rekey', version: toolVersion, rules } },
      columnKind: 'unicodeCodePoints',
      results: result.findings.map((finding) => ({
        ruleId: finding.rule,
        ruleIndex: ruleIndex.get(finding.rule) ?? 0,
        level: finding.severity,
        message: { text: finding.message },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: artifactUri(finding.location.file) },
            region: { startLine: finding.location.line, startColumn: finding.location.column },
          },
        }],
        properties: { subject: finding.subject, field: finding.field },
        ...(finding.exception === undefined ? {} : { suppressions: [{ kind: 'external', status: 'accepted', justification: `${finding.exception.reason} (until ${finding.exception.expires})` }] }),
      })),
    }],
  };
}
