/**
 * SARIF 2.1.0 output (OASIS), one run, one rule per detector. Results carry the hint,
 * never the value; `partialFingerprints` hash the detector, path and hint (value-free) so
 * code-scanning services can follow a finding across runs.
 */
import { createHash } from 'node:crypto';
import type { Detector } from './detectors/detector-registry.js';
import { allDetectors } from './detectors/detector-registry.js';
import type { Finding } from './finding.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifOptions {
  toolVersion: string;
  detectors?: readonly Detector[] | undefined;
}

function message(finding: Finding): string {
  let text = `${finding.description} found: ${finding.hint}.`;
  if (finding.ownership !== undefined) {
    text += ` It is the ${finding.ownership.stage} version of credential ${finding.ownership.credential}.`;
  }
  if (finding.verification !== undefined) text += ` Verification: ${finding.verification}.`;
  return text;
}

function artifactUri(finding: Finding): string {
  const path = finding.location.path ?? 'stdin';
  return path.split('/').map(encodeURIComponent).join('/');
}

export function toSarif(findings: readonly Finding[], options: SarifOptions): Record<string, unknown> {
  const detectors = options.detectors ?? allDetectors;
  const ruleIndex = new Map(detectors.map((detector, index) => [detector.id, index]));
  const rules = detectors.map((detector) => ({
    id: detector.id,
    name: detector.id.replace(/(^|-)([a-z])/g, (_all, _dash: string, letter: string) => letter.toUpperCase()),
    shortDescription: { text: detector.description },
    fullDescription: { text: `${detector.description}. A leaked key must be rotated: revoke it at ${detector.provider} and issue a new one.` },
    defaultConfiguration: { level: 'error' },
    properties: { provider: detector.provider, tags: ['security', 'secret'] },
  }));
  const results = findings.map((finding) => {
    const { location } = finding;
    const length = finding.secret.length;
    const properties: Record<string, unknown> = { provider: finding.provider, hint: finding.hint, source: location.source };
    if (location.encoding !== undefined) properties['encoding'] = location.encoding;
    if (location.commit !== undefined) {
      properties['commit'] = location.commit;
      properties['author'] = location.author;
      properties['committedAt'] = location.committedAt;
    }
    if (finding.host !== undefined) properties['host'] = finding.host;
    if (finding.ownership !== undefined) properties['ownership'] = finding.ownership;
    if (finding.verification !== undefined) properties['verification'] = finding.verification;
    const index = ruleIndex.get(finding.detectorId);
    return {
      ruleId: finding.detectorId,
      ...(index === undefined ? {} : { ruleIndex: index }),
      level: 'error',
      message: { text: message(finding) },
      locations: [{
        physicalLocation: {
          artifactLocation: { uri: artifactUri(finding) },
          region: {
            startLine: location.line,
            startColumn: location.column,
            endLine: location.line,
            endColumn: location.column + length,
            byteOffset: location.byteOffset,
            byteLength: location.byteLength,
          },
        },
      }],
      partialFingerprints: {
        'rekeyFinding/v1': createHash('sha256')
          .update(`${finding.detectorId}\0${location.path ?? ''}\0${finding.hint}`)
          .digest('hex'),
      },
      properties,
    };
  });
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'rekey', version: options.toolVersion, semanticVersion: options.toolVersion, rules } },
      results,
      columnKind: 'utf16CodeUnits',
    }],
  };
}
