/**
 * Runs every configured discovery source for one credential value and turns the findings
 * into consumer proposals, leaving out places already registered as consumers. A source
 * that fails is reported by name with a value-free reason; the others still run.
 */
import { isRekeyError } from '../core/errors.js';
import type { ConsumerProposal, DiscoveryFinding, DiscoverySource, DiscoveryTarget } from './discovery-spec.js';

export interface DiscoveryReport {
  findings: Array<DiscoveryFinding & { known: boolean }>;
  /** Proposals not yet registered, with unique names. */
  proposals: ConsumerProposal[];
  errors: Array<{ source: string; reason: string }>;
}

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'object' && inner !== null && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([left], [right]) => left.localeCompare(right))) : inner,
  );

export async function runDiscovery(deps: {
  sources: DiscoverySource[];
  target: DiscoveryTarget;
  /** Consumers the credential already has, to mark known places. */
  existing: Array<{ name: string; kind: string; config: Record<string, unknown> }>;
}): Promise<DiscoveryReport> {
  const known = new Set(deps.existing.map((consumer) => `${consumer.kind}:${canonical(consumer.config)}`));
  const taken = new Set(deps.existing.map((consumer) => consumer.name));
  const report: DiscoveryReport = { findings: [], proposals: [], errors: [] };
  for (const source of deps.sources) {
    let findings: DiscoveryFinding[];
    try {
      findings = await source.discover(deps.target);
    } catch (error) {
      report.errors.push({ source: source.name, reason: isRekeyError(error) ? error.message : `the ${source.name} source failed${(error as { name?: unknown })?.name === undefined ? '' : ` (${String((error as { name?: unknown }).name)})`}` });
      continue;
    }
    for (const finding of findings) {
      const isKnown = finding.proposal !== undefined && known.has(`${finding.proposal.kind}:${canonical(finding.proposal.config)}`);
      report.findings.push({ ...finding, known: isKnown });
      if (finding.proposal === undefined || isKnown) continue;
      const signature = `${finding.proposal.kind}:${canonical(finding.proposal.config)}`;
      if (report.proposals.some((proposal) => `${proposal.kind}:${canonical(proposal.config)}` === signature)) continue;
      let name = finding.proposal.name;
      for (let suffix = 2; taken.has(name); suffix += 1) name = `${finding.proposal.name.slice(0, 60)}-${suffix}`;
      taken.add(name);
      report.proposals.push({ ...finding.proposal, name });
    }
  }
  return report;
}

/** A shell-safe `rekey consumer add` line for a proposal. */
export function consumerAddCommand(credential: string, proposal: ConsumerProposal): string {
  const quote = (text: string): string => (/^[A-Za-z0-9_./:@-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);
  return `rekey consumer add ${quote(credential)} ${quote(proposal.name)} --kind ${proposal.kind} --config-json ${quote(JSON.stringify(proposal.config))}`;
}
