import { describe, expect, it } from 'vitest';
import { BUILTIN_ROLE_NAMES, BUILTIN_ROLES, CAPABILITIES, isInstallCapability, type Role, type RoleBinding } from '../core/team-types.js';
import { authorize, isProduction, needsStepUp, type AuthorizationTarget, type Principal } from './authorize.js';

const roles: Role[] = BUILTIN_ROLE_NAMES.map((name) => ({ ...BUILTIN_ROLES[name], requireMfa: false }));
const alice: Principal = { name: 'alice', groups: ['platform'], active: true, mfaEnrolled: false };
const staging: AuthorizationTarget = { kind: 'credential', name: 'openai/ticketing/staging', environment: 'staging', provider: 'openai', ownerTeam: 'support' };
const prod: AuthorizationTarget = { kind: 'credential', name: 'openai/ticketing/prod', environment: 'prod', provider: 'openai', ownerTeam: 'support' };

function binding(role: string, scope: RoleBinding['scope'], subject = 'alice', subjectKind: RoleBinding['subjectKind'] = 'user'): RoleBinding {
  return { id: `rb_${role}_${subject}`, role, subjectKind, subject, scope };
}

describe('authorize: every capability × every built-in role × in scope / out of scope', () => {
  for (const roleName of BUILTIN_ROLE_NAMES) {
    for (const capability of CAPABILITIES) {
      const granted = (BUILTIN_ROLES[roleName].capabilities as readonly string[]).includes(capability);
      const install = isInstallCapability(capability);
      it(`${roleName} × ${capability}: ${granted ? 'allowed in scope' : 'denied'}, denied out of scope`, () => {
        // In scope: credential capabilities on a */staging binding for a staging credential;
        // install capabilities need an unrestricted binding.
        const inScope = authorize({
          principal: alice,
          capability,
          target: install ? { kind: 'install' } : staging,
          roles,
          bindings: [binding(roleName, install ? {} : { credentials: '*/staging' })],
        });
        expect(inScope.allowed).toBe(granted);
        const outOfScope = authorize({
          principal: alice,
          capability,
          target: install ? { kind: 'install' } : prod,
          roles,
          bindings: [binding(roleName, { credentials: '*/staging' })],
        });
        expect(outOfScope.allowed).toBe(false);
        if (!outOfScope.allowed) expect(outOfScope.reason).toContain(capability);
        if (!inScope.allowed) expect(inScope.reason).toContain(`lacks capability ${capability}`);
      });
    }
  }
});

describe('authorize: deny by default and the edges', () => {
  it('denies with no bindings, names the capability and the target', () => {
    const decision = authorize({ principal: alice, capability: 'rotate', target: prod, roles, bindings: [] });
    expect(decision).toEqual({ allowed: false, capability: 'rotate', reason: 'user alice lacks capability rotate on openai/ticketing/prod' });
  });
  it('grants through a group binding, not through another person', () => {
    expect(authorize({ principal: alice, capability: 'rotate', target: prod, roles, bindings: [binding('operator', {}, 'platform', 'group')] }).allowed).toBe(true);
    expect(authorize({ principal: alice, capability: 'rotate', target: prod, roles, bindings: [binding('operator', {}, 'bob')] }).allowed).toBe(false);
    expect(authorize({ principal: alice, capability: 'rotate', target: prod, roles, bindings: [binding('operator', {}, 'alice', 'group')] }).allowed).toBe(false);
  });
  it('refuses a disabled person whatever they hold', () => {
    const decision = authorize({ principal: { ...alice, active: false }, capability: 'read-metadata', target: prod, roles, bindings: [binding('admin', {})] });
    expect(decision).toMatchObject({ allowed: false, reason: 'user alice is disabled' });
  });
  it('ignores a binding to a role that does not exist (fail closed)', () => {
    expect(authorize({ principal: alice, capability: 'rotate', target: prod, roles, bindings: [binding('superuser', {})] }).allowed).toBe(false);
  });
  it('matches every scope field: environment, provider, owner team', () => {
    const check = (scope: RoleBinding['scope']) => authorize({ principal: alice, capability: 'rotate', target: prod, roles, bindings: [binding('operator', scope)] }).allowed;
    expect(check({ environment: 'prod' })).toBe(true);
    expect(check({ environment: 'staging' })).toBe(false);
    expect(check({ provider: 'openai', environment: 'prod' })).toBe(true);
    expect(check({ provider: 'anthropic' })).toBe(false);
    expect(check({ ownerTeam: 'support' })).toBe(true);
    expect(check({ ownerTeam: 'sales' })).toBe(false);
    expect(check({ credentials: 'openai/*/prod' })).toBe(true);
    expect(check({ credentials: 'openai/*/prod', ownerTeam: 'sales' })).toBe(false);
    const noTeam: AuthorizationTarget = { ...prod, ownerTeam: null } as AuthorizationTarget;
    expect(authorize({ principal: alice, capability: 'rotate', target: noTeam, roles, bindings: [binding('operator', { ownerTeam: '*' })] }).allowed).toBe(false);
  });
  it('keeps install-wide capabilities off credential targets and credential ones off the install', () => {
    expect(authorize({ principal: alice, capability: 'read-audit', target: prod, roles, bindings: [binding('admin', {})] }).allowed).toBe(false);
    expect(authorize({ principal: alice, capability: 'rotate', target: { kind: 'install' }, roles, bindings: [binding('admin', {})] }).allowed).toBe(false);
  });
  it('a custom role grants exactly its capabilities', () => {
    const custom: Role = { name: 'revealer', description: '', capabilities: ['reveal'], requireMfa: false, builtin: false };
    const bindings = [binding('revealer', { environment: 'staging' })];
    expect(authorize({ principal: alice, capability: 'reveal', target: staging, roles: [...roles, custom], bindings }).allowed).toBe(true);
    expect(authorize({ principal: alice, capability: 'rotate', target: staging, roles: [...roles, custom], bindings }).allowed).toBe(false);
  });
  it('a role that requires MFA refuses a person without MFA and tells the caller to check it for one with MFA', () => {
    const strict = roles.map((role) => (role.name === 'operator' ? { ...role, requireMfa: true } : role));
    const bindings = [binding('operator', {})];
    expect(authorize({ principal: alice, capability: 'rotate', target: prod, roles: strict, bindings })).toMatchObject({ allowed: false, reason: expect.stringContaining('requires MFA') });
    expect(authorize({ principal: { ...alice, mfaEnrolled: true }, capability: 'rotate', target: prod, roles: strict, bindings })).toMatchObject({ allowed: true, requireMfa: true, role: 'operator' });
    // A second grant without the requirement is preferred.
    const both = [...bindings, binding('admin', {}, 'platform', 'group')];
    expect(authorize({ principal: alice, capability: 'rotate', target: prod, roles: strict, bindings: both })).toMatchObject({ allowed: true, requireMfa: false, role: 'admin' });
  });
});

describe('step-up', () => {
  it('is needed for the dangerous capabilities on production credentials and install-wide master-key rotation only', () => {
    expect(needsStepUp('rotate', prod)).toBe(true);
    expect(needsStepUp('reveal', prod)).toBe(true);
    expect(needsStepUp('emergency-rotate', prod)).toBe(true);
    expect(needsStepUp('end-grace', prod)).toBe(true);
    expect(needsStepUp('manage-tokens', prod)).toBe(true);
    expect(needsStepUp('master-key-rotate', { kind: 'install' })).toBe(true);
    expect(needsStepUp('rotate', staging)).toBe(false);
    expect(needsStepUp('read-metadata', prod)).toBe(false);
    expect(needsStepUp('approve', prod)).toBe(false);
    expect(['prod', 'production', 'PRD', 'live'].every(isProduction)).toBe(true);
    expect(['staging', 'dev', 'preprod'].some(isProduction)).toBe(false);
  });
});
