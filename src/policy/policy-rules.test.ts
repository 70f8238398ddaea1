/** Every rule: a case that violates it (with the line it points at) and one that passes. */
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadTree } from '../../test/policy/policy-fixture.js';
import { checkExitCode, evaluatePolicies } from './policy-engine.js';
import type { LiveState } from './policy-model.js';
import { RULE_IDS, type RuleId } from './policy-rule-ids.js';
import { POLICY_RULES } from './policy-rules.js';

const NOW = new Date('2026-06-01T12:00:00Z');

type Doc = Record<string, unknown>;

function base(): Doc {
  return {
    version: 1,
    credentials: {
      'openai/ticketing/prod': { provider: 'openai', owner: 'team', allowedModels: ['gpt-4o-mini'], valueFrom: 'env:PROD_KEY', policy: { onLeak: 'rotate', graceQuiet: '30m', graceMax: '24h' } },
      'openai/ticketing/staging': { provider: 'openai', owner: 'team', allowedModels: ['gpt-4o-mini'], valueFrom: 'env:STAGING_KEY' },
    },
    schedules: {
      staging: { environments: ['staging'], every: 30, start: '2026-01-01' },
      prod: { environments: ['prod'], every: 90, start: '2026-01-08' },
    },
    policies: {
      environments: { prod: { maxKeyAgeDays: 90, rotateEveryDays: 90, allowedModels: ['gpt-4o-mini'], graceMin: '15m', graceMax: '48h', onLeak: 'rotate' } },
      naming: { credential: '{provider}/{service}/{env}', providerObject: '{yy}-{mm}-{customer}-{project}-{env}' },
      stagger: [{ before: 'staging', after: 'prod', minDays: 7 }],
    },
    providers: { openai: { projects: { proj_ticketing: { name: '26-01-acme-ticketing-prod', environment: 'prod', tags: { customer: 'acme', project: 'ticketing' }, modelPermissions: { mode: 'allow_list', models: ['gpt-4o-mini'] } } } } },
  };
}

function run(document: Doc, live?: LiveState) {
  const loaded = loadTree({ 'rekey.yaml': stringify(document) });
  return evaluatePolicies(loaded, { now: NOW, live });
}

function findingsOf(document: Doc, rule: RuleId, live?: LiveState) {
  return run(document, live).findings.filter((finding) => finding.rule === rule);
}

function change(mutate: (document: Doc & { credentials: Record<string, Doc>; policies: Doc & { environments: Record<string, Doc> }; schedules: Record<string, Doc> }) => void): Doc {
  const document = base() as Parameters<typeof mutate>[0];
  mutate(document);
  return document;
}

const prod = (document: { credentials: Record<string, Doc> }) => document.credentials['openai/ticketing/prod'] as Doc & { policy: Doc };

describe('policy rules', () => {
  it('the base file passes every rule', () => {
    const result = run(base());
    expect(result.findings).toEqual([]);
    expect(result.rulesRun).toEqual([...RULE_IDS]);
    expect(checkExitCode(result, false)).toBe(0);
  });

  it('every rule has an id, a severity, a title and a description', () => {
    for (const id of RULE_IDS) {
      expect(POLICY_RULES[id].id).toBe(id);
      expect(['error', 'warning']).toContain(POLICY_RULES[id].severity);
      expect(POLICY_RULES[id].description.length).toBeGreaterThan(20);
    }
  });

  it('max-key-age: a declared max age above the environment limit, and a live key too old', () => {
    const [declared] = findingsOf(change((document) => { prod(document).policy['maxAgeDays'] = 120; }), 'max-key-age');
    expect(declared?.message).toContain('allows keys up to 120 days old; prod allows at most 90');
    expect(declared?.location.line).toBeGreaterThan(1);
    const old: LiveState = { credentials: new Map([['openai/ticketing/prod', { currentCreatedAt: new Date('2026-01-01T00:00:00Z'), liveFingerprints: ['a'] }]]) };
    expect(findingsOf(base(), 'max-key-age', old)[0]?.message).toContain('is 151 days old; the limit is 90 days');
    const fresh: LiveState = { credentials: new Map([['openai/ticketing/prod', { currentCreatedAt: new Date('2026-05-01T00:00:00Z'), liveFingerprints: ['a'] }]]) };
    expect(findingsOf(base(), 'max-key-age', fresh)).toEqual([]);
  });

  it('rotation-cadence: a cadence longer than the environment allows, or none', () => {
    expect(findingsOf(change((document) => { prod(document).policy['rotateEveryDays'] = 120; }), 'rotation-cadence')[0]?.message).toContain('rotates every 120 days; prod must rotate at least every 90 days');
    expect(findingsOf(change((document) => { delete document.schedules['prod']; }), 'rotation-cadence')[0]?.message).toContain('has no rotation cadence');
    expect(findingsOf(change((document) => { prod(document).policy['rotateEveryDays'] = 60; }), 'rotation-cadence')).toEqual([]);
  });

  it('stagger: prod on the same day as staging, too soon after it, or in one schedule', () => {
    const same = findingsOf(change((document) => { (document.schedules['prod'] as Doc)['start'] = '2026-01-01'; }), 'stagger');
    expect(same).toHaveLength(1);
    expect(same[0]?.message).toContain('the same day as staging');
    expect(same[0]?.field).toBe('schedules.prod.start');
    expect(findingsOf(change((document) => { (document.schedules['prod'] as Doc)['start'] = '2026-01-04'; }), 'stagger')[0]?.message).toContain('3 days after staging');
    const shared = findingsOf(change((document) => { document.schedules = { all: { environments: ['staging', 'prod'], every: 30, start: '2026-01-01' } }; }), 'stagger');
    expect(shared[0]?.message).toContain('schedule all rotates staging and prod in the same window');
    expect(findingsOf(change((document) => { (document.schedules['prod'] as Doc)['start'] = '2026-01-10'; }), 'stagger')).toEqual([]);
  });

  it('allowed-models: a model outside the environment list, no restriction at all, a project permission, and the live provider', () => {
    const outside = findingsOf(change((document) => { prod(document)['allowedModels'] = ['gpt-4o-mini', 'o1-pro']; }), 'allowed-models');
    expect(outside).toHaveLength(1);
    expect(outside[0]?.field).toBe('credentials.openai/ticketing/prod.allowedModels.1');
    expect(findingsOf(change((document) => { prod(document)['allowedModels'] = []; }), 'allowed-models')[0]?.message).toContain('does not restrict models');
    const project = findingsOf(change((document) => { ((document as unknown as { providers: { openai: { projects: Record<string, Doc & { modelPermissions: Doc }> } } }).providers.openai.projects['proj_ticketing'] as Doc & { modelPermissions: Doc }).modelPermissions['models'] = ['gpt-4o-mini', 'gpt-4.5']; }), 'allowed-models');
    expect(project[0]?.message).toContain('permits model gpt-4.5');
    const live: LiveState = { credentials: new Map(), openaiModelPermissions: new Map([['proj_ticketing', null]]) };
    expect(findingsOf(base(), 'allowed-models', live)[0]?.message).toContain('at the provider, OpenAI project 26-01-acme-ticketing-prod permits every model');
    const liveOk: LiveState = { credentials: new Map(), openaiModelPermissions: new Map([['proj_ticketing', { mode: 'allow_list', models: ['gpt-4o-mini'] }]]) };
    expect(findingsOf(base(), 'allowed-models', liveOk)).toEqual([]);
  });

  it('naming-credential and naming-provider-object: names outside the templates', () => {
    const credential = findingsOf(change((document) => { document.credentials['openai/ticketing/production'] = { ...prod(document), environment: 'prod' }; delete document.credentials['openai/ticketing/prod']; }), 'naming-credential');
    expect(credential[0]?.message).toBe('credential name openai/ticketing/production does not follow {provider}/{service}/{env}');
    const provider = findingsOf(change((document) => { ((document as unknown as { providers: { openai: { projects: Record<string, Doc> } } }).providers.openai.projects['proj_ticketing'] as Doc)['name'] = 'acme-ticketing-prod'; }), 'naming-provider-object');
    expect(provider[0]?.field).toBe('providers.openai.projects.proj_ticketing.name');
    expect(findingsOf(change((document) => { ((document as unknown as { providers: { openai: { projects: Record<string, Doc> } } }).providers.openai.projects['proj_ticketing'] as Doc)['name'] = '26-13-acme-ticketing-prod'; }), 'naming-provider-object')).toHaveLength(1);
    expect(findingsOf(base(), 'naming-credential')).toEqual([]);
  });

  it('one-per-service-environment: a second credential for the same service, provider and environment', () => {
    const second = findingsOf(change((document) => { document.credentials['openai/ticketing/prod-2'] = { ...prod(document), environment: 'prod', service: 'ticketing', valueFrom: 'env:OTHER' }; }), 'one-per-service-environment');
    expect(second[0]?.message).toContain('is a second openai credential for service ticketing in prod');
    expect(findingsOf(change((document) => { document.credentials['anthropic/ticketing/prod'] = { provider: 'anthropic', owner: 'x', allowedModels: ['gpt-4o-mini'], policy: { onLeak: 'rotate' } }; }), 'one-per-service-environment')).toEqual([]);
  });

  it('no-shared-production-value: the same reference, or (live) the same fingerprint, in a non-production credential', () => {
    const reference = findingsOf(change((document) => { (document.credentials['openai/ticketing/staging'] as Doc)['valueFrom'] = 'env:PROD_KEY'; }), 'no-shared-production-value');
    expect(reference[0]?.field).toBe('credentials.openai/ticketing/staging.valueFrom');
    const shared: LiveState = { credentials: new Map([['openai/ticketing/prod', { currentCreatedAt: NOW, liveFingerprints: ['f1'] }], ['openai/ticketing/staging', { currentCreatedAt: NOW, liveFingerprints: ['f2', 'f1'] }]]) };
    expect(findingsOf(base(), 'no-shared-production-value', shared)[0]?.message).toContain('holds the same key as production credential openai/ticketing/prod');
    const distinct: LiveState = { credentials: new Map([['openai/ticketing/prod', { currentCreatedAt: NOW, liveFingerprints: ['f1'] }], ['openai/ticketing/staging', { currentCreatedAt: NOW, liveFingerprints: ['f2'] }]]) };
    expect(findingsOf(base(), 'no-shared-production-value', distinct)).toEqual([]);
  });

  it('owner-required: no owner and no default owner', () => {
    expect(findingsOf(change((document) => { delete prod(document)['owner']; }), 'owner-required')[0]?.message).toBe('openai/ticketing/prod has no owner');
    expect(findingsOf(change((document) => { delete prod(document)['owner']; document['defaults'] = { owner: 'platform' }; }), 'owner-required')).toEqual([]);
  });

  it('grace-bounds: quiet shorter than the minimum, max longer than the maximum', () => {
    const findings = findingsOf(change((document) => { prod(document).policy['graceQuiet'] = '5m'; prod(document).policy['graceMax'] = '72h'; }), 'grace-bounds');
    expect(findings.map((finding) => finding.field)).toEqual(['credentials.openai/ticketing/prod.policy.graceQuiet', 'credentials.openai/ticketing/prod.policy.graceMax']);
  });

  it('on-leak-action: prod requires rotate', () => {
    expect(findingsOf(change((document) => { prod(document).policy['onLeak'] = 'alert'; }), 'on-leak-action')[0]?.message).toContain('has onLeak: alert; prod requires onLeak: rotate');
    expect(findingsOf(change((document) => { delete prod(document).policy['onLeak']; }), 'on-leak-action')[0]?.message).toContain('has no onLeak action');
  });

  it('exceptions: an open one covers its finding (reported, not counted); an expired one no longer does and is itself a warning', () => {
    const open = run(change((document) => { prod(document).policy['onLeak'] = 'alert'; document.policies['exceptions'] = [{ rule: 'on-leak-action', credential: 'openai/ticketing/prod', reason: 'migration in progress', expires: '2026-07-01' }]; }));
    expect(open.findings).toHaveLength(1);
    expect(open.findings[0]?.exception).toEqual({ reason: 'migration in progress', expires: '2026-07-01' });
    expect(open.errors).toBe(0);
    const expired = run(change((document) => { prod(document).policy['onLeak'] = 'alert'; document.policies['exceptions'] = [{ rule: 'on-leak-action', credential: 'openai/ticketing/prod', reason: 'migration in progress', expires: '2026-05-01' }]; }));
    expect(expired.errors).toBe(1);
    expect(expired.warnings).toBe(1);
    expect(expired.findings.find((finding) => finding.rule === 'exception-expired')?.message).toContain('expired on 2026-05-01');
    expect(checkExitCode(expired, true)).toBe(2);
    expect(checkExitCode({ errors: 0, warnings: 1 }, true)).toBe(1);
    expect(checkExitCode({ errors: 0, warnings: 1 }, false)).toBe(0);
  });

  it('severity overrides: a rule can become a warning or be turned off', () => {
    const warned = run(change((document) => { delete prod(document)['owner']; document.policies['rules'] = { 'owner-required': { severity: 'warning' } }; }));
    expect(warned.warnings).toBe(1);
    expect(warned.errors).toBe(0);
    const off = run(change((document) => { delete prod(document)['owner']; document.policies['rules'] = { 'owner-required': { severity: 'off' } }; }));
    expect(off.findings).toEqual([]);
    expect(off.rulesRun).not.toContain('owner-required');
  });
});
