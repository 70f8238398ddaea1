/**
 * Machine identities of the Store contract (issue 11, migration 13): a CI job whose OIDC
 * token comes from `issuer` for `audience`, with claims matching `boundClaims`, acts as the
 * named identity with its groups (role bindings to those groups give it capabilities).
 */
export interface WorkloadIdentityRecord {
  name: string;
  issuer: string;
  audience: string;
  /** Claim name → glob, e.g. `{ repository: 'acme/app', ref: 'refs/heads/main' }`; every one must match. */
  boundClaims: Record<string, string>;
  groups: string[];
  createdAt: Date;
  createdBy: string;
  mac: string | null;
}

export interface IdentityStore {
  /** Creates or replaces the identity of that name. */
  saveWorkloadIdentity(identity: WorkloadIdentityRecord): Promise<WorkloadIdentityRecord>;
  listWorkloadIdentities(filter?: { issuer?: string }): Promise<WorkloadIdentityRecord[]>;
  /** NotFoundError when absent. */
  removeWorkloadIdentity(name: string): Promise<void>;
}
