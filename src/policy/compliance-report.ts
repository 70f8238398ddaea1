/**
 * `rekey report compliance`: per credential, the evidence for each mapped control of one
 * standard, built from the store (versions, consumers) and the audit log (rotations, who,
 * old keys confirmed dead, consumers confirmed, leaks). The report names the audit chain
 * head it was built from and its verification, and states its own hash: SHA-256 over the
 * canonical JSON of everything but the `integrity` block (`verifyReportHash` recomputes it).
 */
import { createHash } from 'node:crypto';
import { canonicalJson, parseAuditHead } from '../audit/audit-chain.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuditEvent } from '../core/types.js';
import { AUDIT_HEAD_SETTING, type Store } from '../store/store.js';
import { CONTROLS, type ControlResult, type CredentialEvidence, type Standard } from './compliance-controls.js';
import { GOVERNANCE_SETTING, type GovernanceDocument } from './desired-state.js';
import { DAY_MS } from './policy-model.js';

export interface ComplianceReport {
  report: 'rekey-compliance';
  standard: Standard;
  title: string;
  period: { from: string; to: string };
  generatedAt: string;
  chain: { head: { seq: number; hash: string } | null; verified: boolean; detail: string };
  controls: Array<{ id: string; title: string; requirement: string }>;
  summary: Record<string, number>;
  credentials: Array<CredentialEvidence & { results: ControlResult[] }>;
  integrity?: { algorithm: 'sha256'; hash: string };
}

const days = (milliseconds: number) => Math.round(milliseconds / DAY_MS);

async function allAudit(audit: Pick<AuditLog, 'list'>): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for (let afterSeq = 0, guard = 0; guard < 10_000; guard += 1) {
    const page = await audit.list({ afterSeq, limit: 1000 });
    events.push(...page);
    const last = page.at(-1);
    if (page.length < 1000 || last === undefined) break;
    afterSeq = last.seq;
  }
  return events;
}

export async function buildComplianceReport(
  deps: { store: Pick<Store, 'listCredentials' | 'listVersions' | 'listConsumers' | 'getSetting'>; audit: Pick<AuditLog, 'list' | 'verify'> },
  options: { standard: Standard; from: Date; to: Date; now: Date },
): Promise<ComplianceReport> {
  const { store } = deps;
  const head = parseAuditHead(await store.getSetting(AUDIT_HEAD_SETTING)) ?? null;
  const verification = await deps.audit.verify();
  const events = (await allAudit(deps.audit)).filter((event) => event.at >= options.from && event.at <= options.to);
  const governanceText = await store.getSetting(GOVERNANCE_SETTING);
  const governance = governanceText === undefined ? undefined : (JSON.parse(governanceText) as GovernanceDocument);
  const exceptions = (governance?.sections.policies?.exceptions ?? []).filter((item) => Date.parse(`${item.expires}T23:59:59Z`) >= options.now.getTime());
  const custodianEvents = events.filter((event) => event.event === 'governance-apply' || event.event.startsWith('binding-') || event.event.startsWith('role-'));
  const standard = CONTROLS[options.standard];
  const credentials: ComplianceReport['credentials'] = [];
  for (const credential of (await store.listCredentials()).sort((left, right) => left.name.localeCompare(right.name))) {
    const versions = (await store.listVersions(credential.id)).filter((version) => version.stage !== 'discarded').sort((left, right) => left.number - right.number);
    const intervals = versions.slice(1).map((version, index) => days(version.createdAt.getTime() - (versions[index]?.createdAt.getTime() ?? 0)));
    const current = versions.find((version) => version.stage === 'current');
    const mine = events.filter((event) => event.credential === credential.name);
    const rotations = mine.filter((event) => event.event === 'rotation-start').map((start) => {
      const id = String(start.detail['rotation'] ?? '');
      const related = mine.filter((event) => event.detail['rotation'] === id);
      const revoked = related.find((event) => event.event === 'key-revoke' && event.outcome === 'ok' && event.detail['orphan'] !== true && event.detail['discarded'] !== true);
      const end = related.find((event) => event.event === 'rotation-end');
      return {
        id,
        kind: String(start.detail['kind'] ?? 'manual'),
        startedAt: start.at.toISOString(),
        actor: start.actor,
        outcome: end === undefined ? 'unfinished' : end.outcome === 'ok' ? 'done' : 'failed',
        oldKeyDeadAt: revoked?.at.toISOString() ?? null,
        consumersConfirmed: related.filter((event) => event.event === 'sink-write' && event.outcome === 'ok' && event.detail['verified'] !== false).map((event) => String(event.detail['consumer'] ?? '')),
        mfa: typeof start.detail['mfa'] === 'boolean' ? (start.detail['mfa'] ? 'yes' : 'no') : 'not recorded',
        approval: typeof start.detail['approvedBy'] === 'string' ? `by ${start.detail['approvedBy']}` : 'not recorded',
      };
    });
    const lastCustodian = custodianEvents.at(-1);
    const evidence: CredentialEvidence = {
      name: credential.name,
      provider: credential.provider,
      environment: credential.environment,
      owner: credential.owner,
      periodDays: credential.policy.maxAgeDays ?? credential.policy.rotateEveryDays ?? null,
      versions: versions.map((version) => ({ number: version.number, createdAt: version.createdAt.toISOString(), mintedBy: version.mintedBy, stage: version.stage })),
      intervalsDays: intervals,
      longestIntervalDays: intervals.length === 0 ? null : Math.max(...intervals),
      currentAgeDays: current === undefined ? null : days(options.now.getTime() - current.createdAt.getTime()),
      rotations,
      emergencyRotations: rotations.filter((rotation) => rotation.kind === 'emergency').length,
      leakResponses: mine.filter((event) => event.event === 'leak-response').length,
      consumers: (await store.listConsumers(credential.id)).map((consumer) => consumer.name).sort(),
      openExceptions: exceptions.filter((item) => item.credential === undefined || item.credential === credential.name).map((item) => ({ rule: item.rule, reason: item.reason, expires: item.expires })),
      custodianChanges: custodianEvents.length,
      rotatedAfterCustodianChange: lastCustodian !== undefined && rotations.some((rotation) => Date.parse(rotation.startedAt) > lastCustodian.at.getTime()),
    };
    credentials.push({ ...evidence, results: standard.controls.map((control) => ({ control: control.id, ...control.judge(evidence, verification.ok) })) });
  }
  const summary: Record<string, number> = { COMPLIANT: 0, NON_COMPLIANT: 0, EXCEPTION: 0, NOT_APPLICABLE: 0 };
  for (const credential of credentials) for (const result of credential.results) summary[result.status] = (summary[result.status] ?? 0) + 1;
  const report: ComplianceReport = {
    report: 'rekey-compliance',
    standard: options.standard,
    title: standard.title,
    period: { from: options.from.toISOString(), to: options.to.toISOString() },
    generatedAt: options.now.toISOString(),
    chain: { head, verified: verification.ok, detail: verification.ok ? `${verification.count} events verified` : `event ${verification.seq}: ${verification.reason}` },
    controls: standard.controls.map(({ id, title, requirement }) => ({ id, title, requirement })),
    summary,
    credentials,
  };
  return { ...report, integrity: { algorithm: 'sha256', hash: reportHash(report) } };
}

export function reportHash(report: object): string {
  const { integrity: _integrity, ...body } = report as Record<string, unknown>;
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** An auditor's check: the JSON report's stated hash matches its content. */
export function verifyReportHash(report: { integrity?: { hash?: string } }): boolean {
  return report.integrity?.hash !== undefined && report.integrity.hash === reportHash(report);
}
