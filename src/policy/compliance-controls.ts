/**
 * The controls each standard maps to per-credential evidence, and how each is judged.
 * Status values follow AWS Config / Vanta: COMPLIANT, NON_COMPLIANT, EXCEPTION, NOT_APPLICABLE.
 * No standard fixes an interval for API keys: the defined period is the credential's own
 * policy (max age, else rotation cadence), which the report states next to the evidence.
 */
export const STANDARDS = ['pci-dss-4', 'nist-800-53', 'soc2', 'hipaa'] as const;
export type Standard = (typeof STANDARDS)[number];

export type ControlStatus = 'COMPLIANT' | 'NON_COMPLIANT' | 'EXCEPTION' | 'NOT_APPLICABLE';

export interface CredentialEvidence {
  name: string;
  provider: string;
  environment: string;
  owner: string | null;
  periodDays: number | null;
  versions: Array<{ number: number; createdAt: string; mintedBy: string; stage: string }>;
  intervalsDays: number[];
  longestIntervalDays: number | null;
  currentAgeDays: number | null;
  rotations: Array<{ id: string; kind: string; startedAt: string; actor: string; outcome: string; oldKeyDeadAt: string | null; consumersConfirmed: string[]; mfa: string; approval: string }>;
  emergencyRotations: number;
  leakResponses: number;
  consumers: string[];
  openExceptions: Array<{ rule: string; reason: string; expires: string }>;
  custodianChanges: number;
  rotatedAfterCustodianChange: boolean;
}

export interface ControlResult {
  control: string;
  status: ControlStatus;
  evidence: string;
}

interface Control {
  id: string;
  title: string;
  requirement: string;
  judge(evidence: CredentialEvidence, chainOk: boolean): Omit<ControlResult, 'control'>;
}

function periodic(evidence: CredentialEvidence): Omit<ControlResult, 'control'> {
  if (evidence.periodDays === null) return { status: 'NON_COMPLIANT', evidence: 'no defined period (set policy.maxAgeDays or a schedule)' };
  const longest = Math.max(evidence.longestIntervalDays ?? 0, evidence.currentAgeDays ?? 0);
  const text = `period ${evidence.periodDays} d; ${evidence.versions.length} version(s), intervals ${evidence.intervalsDays.join(', ') || 'none'} d, current key ${evidence.currentAgeDays ?? '-'} d old; longest ${longest} d; ${evidence.rotations.length} rotation(s), ${evidence.emergencyRotations} emergency`;
  if (longest <= evidence.periodDays) return { status: 'COMPLIANT', evidence: text };
  const excepted = evidence.openExceptions.find((item) => item.rule === 'max-key-age' || item.rule === 'rotation-cadence');
  return excepted === undefined ? { status: 'NON_COMPLIANT', evidence: `${text} — exceeds the period` } : { status: 'EXCEPTION', evidence: `${text} — exception until ${excepted.expires}: ${excepted.reason}` };
}

function compromise(evidence: CredentialEvidence): string {
  return evidence.leakResponses === 0 ? 'no leak found in the period' : `${evidence.leakResponses} leak response(s), ${evidence.emergencyRotations} emergency rotation(s)`;
}

const noHardCoded: Control['judge'] = (evidence) => ({
  status: evidence.consumers.length > 0 ? 'COMPLIANT' : 'NOT_APPLICABLE',
  evidence: `delivered by ${evidence.consumers.length} consumer(s) (${evidence.consumers.join(', ') || 'none'}); the inventory holds references only`,
});

const auditChain: Control['judge'] = (_evidence, chainOk) => ({ status: chainOk ? 'COMPLIANT' : 'NON_COMPLIANT', evidence: chainOk ? 'every change is in the hash-chained audit log, verified against its latest checkpoint' : 'the audit chain failed verification' });

const who: Control['judge'] = (evidence) => ({
  status: evidence.rotations.length === 0 && evidence.versions.length === 0 ? 'NOT_APPLICABLE' : 'COMPLIANT',
  evidence: evidence.rotations.length === 0 ? `versions minted by ${[...new Set(evidence.versions.map((version) => version.mintedBy))].join(', ') || '-'}` : evidence.rotations.map((rotation) => `${rotation.startedAt.slice(0, 10)} ${rotation.actor} (MFA ${rotation.mfa}, approval ${rotation.approval})`).join('; '),
});

const keyManagement: Control['judge'] = (evidence) => {
  const dead = evidence.rotations.filter((rotation) => rotation.oldKeyDeadAt !== null).length;
  return {
    status: evidence.rotations.length === dead ? 'COMPLIANT' : 'NON_COMPLIANT',
    evidence: `values sealed with AES-256-GCM under per-version data keys; keys generated at ${evidence.provider}; ${dead} of ${evidence.rotations.length} rotation(s) confirmed the old key dead; consumers confirmed on the new key: ${evidence.rotations.map((rotation) => rotation.consumersConfirmed.length).join('/') || '-'}`,
  };
};

export const CONTROLS: Record<Standard, { title: string; controls: Control[] }> = {
  'pci-dss-4': {
    title: 'PCI DSS v4.0.1 — Requirement 8 (system and application accounts)',
    controls: [
      { id: '8.6.2', title: 'No hard-coded passwords for system and application accounts', requirement: 'Passwords/passphrases for system and application accounts are not hard coded in scripts, configuration files or source code.', judge: noHardCoded },
      { id: '8.6.3', title: 'Periodic change and change on compromise', requirement: 'Passwords/passphrases for system and application accounts are changed periodically (frequency from a targeted risk analysis) and on suspicion or confirmation of compromise.', judge: (evidence) => { const result = periodic(evidence); return { ...result, evidence: `${result.evidence}; ${compromise(evidence)}` }; } },
    ],
  },
  'nist-800-53': {
    title: 'NIST SP 800-53 Rev. 5',
    controls: [
      { id: 'IA-5(f)', title: 'Change or refresh authenticators', requirement: 'Change or refresh authenticators at the organization-defined period and when defined events (compromise) occur.', judge: (evidence) => { const result = periodic(evidence); return { ...result, evidence: `${result.evidence}; ${compromise(evidence)}` }; } },
      { id: 'IA-5(i)', title: 'Change shared authenticators when membership changes', requirement: 'Change authenticators for group or role accounts when membership to those accounts changes.', judge: (evidence) => ({ status: evidence.custodianChanges === 0 ? 'NOT_APPLICABLE' : evidence.rotatedAfterCustodianChange ? 'COMPLIANT' : 'NON_COMPLIANT', evidence: `${evidence.custodianChanges} role/binding change(s) in the period; ${evidence.rotatedAfterCustodianChange ? 'rotated after the last one' : 'no rotation after the last one'}` }) },
      { id: 'SC-12', title: 'Cryptographic key establishment and management', requirement: 'Establish and manage cryptographic keys: generation, distribution, storage, access and destruction.', judge: keyManagement },
    ],
  },
  soc2: {
    title: 'SOC 2 Trust Services Criteria (2017, rev. 2022)',
    controls: [
      { id: 'CC6.1', title: 'Logical access security over protected assets', requirement: 'Inventory of information assets, managing credentials for infrastructure and software, encryption and protection of keys.', judge: (evidence) => ({ status: evidence.owner === null ? 'NON_COMPLIANT' : 'COMPLIANT', evidence: `inventoried (${evidence.provider}, ${evidence.environment}), owner ${evidence.owner ?? 'none'}; values encrypted at rest` }) },
      { id: 'CC6.2', title: 'Provisioning and removal of access', requirement: 'Credentials are issued and removed through an authorised, recorded process.', judge: who },
      { id: 'CC6.3', title: 'Role-based access and periodic review', requirement: 'Access is granted by role and reviewed periodically (see `rekey report review`).', judge: (evidence) => periodic(evidence) },
    ],
  },
  hipaa: {
    title: 'HIPAA Security Rule, 45 CFR 164.312',
    controls: [
      { id: '164.312(a)(2)(iv)', title: 'Encryption and decryption', requirement: 'Implement a mechanism to encrypt and decrypt electronic protected health information (here: the keys that reach it).', judge: keyManagement },
      { id: '164.312(b)', title: 'Audit controls', requirement: 'Record and examine activity in systems that contain or use ePHI.', judge: auditChain },
      { id: '164.312(d)', title: 'Person or entity authentication', requirement: 'Verify that a person or entity seeking access is the one claimed.', judge: who },
    ],
  },
};
