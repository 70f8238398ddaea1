/**
 * What a person may do, as data (team mode, issue 11): capabilities, the scopes they are
 * granted on, roles and role bindings. Pure types and constants (no I/O);
 * `src/team/authorize.ts` decides.
 */

/** Every capability rekey checks. Credential capabilities are granted on a scope; install capabilities need an unrestricted scope. */
export const CREDENTIAL_CAPABILITIES = [
  'read-metadata',
  'reveal',
  'rotate',
  'emergency-rotate',
  'end-grace',
  'approve',
  'manage-consumers',
  'manage-tokens',
] as const;

export const INSTALL_CAPABILITIES = ['manage-users', 'manage-policy', 'read-audit', 'master-key-rotate'] as const;

export const CAPABILITIES = [...CREDENTIAL_CAPABILITIES, ...INSTALL_CAPABILITIES] as const;

export type CredentialCapability = (typeof CREDENTIAL_CAPABILITIES)[number];
export type InstallCapability = (typeof INSTALL_CAPABILITIES)[number];
export type Capability = (typeof CAPABILITIES)[number];

export function isCapability(value: string): value is Capability {
  return (CAPABILITIES as readonly string[]).includes(value);
}

export function isInstallCapability(capability: Capability): capability is InstallCapability {
  return (INSTALL_CAPABILITIES as readonly string[]).includes(capability);
}

/**
 * Dangerous on a production credential: the session must have passed MFA within the
 * step-up window, whatever the role says.
 */
export const STEP_UP_CAPABILITIES: readonly Capability[] = ['reveal', 'rotate', 'emergency-rotate', 'end-grace', 'manage-tokens', 'master-key-rotate'];

/**
 * Where a grant applies. Every field given must match (a glob: `*` is any run of characters,
 * `/` included, `?` one character); a field left out matches anything. `{}` is everything.
 */
export interface Scope {
  /** Credential name glob, e.g. `openai/*\/prod` or `*\/staging`. */
  credentials?: string | undefined;
  environment?: string | undefined;
  provider?: string | undefined;
  /** The credential's owner team (its `team` tag). */
  ownerTeam?: string | undefined;
}

export const SCOPE_FIELDS = ['credentials', 'environment', 'provider', 'ownerTeam'] as const;

export interface Role {
  name: string;
  description: string;
  capabilities: Capability[];
  /** People holding this role must have MFA enrolled and have passed it at login to use it. */
  requireMfa: boolean;
  builtin: boolean;
}

export type SubjectKind = 'user' | 'group';

export interface RoleBinding {
  id: string;
  role: string;
  subjectKind: SubjectKind;
  /** A user name or a group name. */
  subject: string;
  scope: Scope;
}

export const BUILTIN_ROLE_NAMES = ['viewer', 'operator', 'admin', 'auditor'] as const;
export type BuiltinRoleName = (typeof BUILTIN_ROLE_NAMES)[number];

/** The built-in roles; their capabilities are fixed, only `requireMfa` can be changed. */
export const BUILTIN_ROLES: Readonly<Record<BuiltinRoleName, Omit<Role, 'requireMfa'>>> = {
  viewer: { name: 'viewer', description: 'read credential metadata', capabilities: ['read-metadata'], builtin: true },
  operator: {
    name: 'operator',
    description: 'rotate, emergency-rotate, end grace, manage consumers and approve, on its scope',
    capabilities: ['read-metadata', 'rotate', 'emergency-rotate', 'end-grace', 'manage-consumers', 'approve'],
    builtin: true,
  },
  admin: { name: 'admin', description: 'every capability', capabilities: [...CAPABILITIES], builtin: true },
  auditor: { name: 'auditor', description: 'read credential metadata and the audit log', capabilities: ['read-metadata', 'read-audit'], builtin: true },
};

export function isBuiltinRole(name: string): name is BuiltinRoleName {
  return (BUILTIN_ROLE_NAMES as readonly string[]).includes(name);
}

/** What an action acts on, as an approval request records it: the install, or one credential (by id and its scope attributes). */
export type ActionTarget =
  | { kind: 'install' }
  | { kind: 'credential'; credentialId: string; name: string; environment: string; provider: string; ownerTeam: string | null };
