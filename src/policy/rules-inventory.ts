/** Rules about the inventory: allowed models, naming, one credential per service, no shared production value, owners. */
import { environmentOf, isProduction, serviceOf, type PolicyRule, type RuleFinding } from './policy-model.js';
import { templateMatches } from './naming-template.js';

export const allowedModelsRule: PolicyRule = {
  id: 'allowed-models',
  severity: 'error',
  title: 'Models allowed per environment',
  description: "A credential's allowed models (and an OpenAI project's model permissions) stay within its environment's allowedModels; with --live, the provider-side permissions are checked too.",
  evaluate({ file, locate, locateKey, live }) {
    const findings: RuleFinding[] = [];
    for (const [name, spec] of Object.entries(file.credentials)) {
      const environment = environmentOf(name, spec);
      const allowed = file.policies.environments[environment]?.allowedModels;
      if (allowed === undefined) continue;
      if (spec.allowedModels.length === 0) {
        findings.push({ subject: name, field: `credentials.${name}.allowedModels`, location: locateKey(['credentials', name]), message: `${name} does not restrict models; ${environment} allows only ${allowed.join(', ')}` });
      }
      spec.allowedModels.forEach((model, index) => {
        if (!allowed.includes(model)) {
          findings.push({ subject: name, field: `credentials.${name}.allowedModels.${index}`, location: locate(['credentials', name, 'allowedModels', index]), message: `${name} allows model ${model}, which ${environment} does not allow (allowed: ${allowed.join(', ')})` });
        }
      });
    }
    for (const [projectId, project] of Object.entries(file.providers?.openai?.projects ?? {})) {
      const environment = project.environment;
      const allowed = environment === undefined ? undefined : file.policies.environments[environment]?.allowedModels;
      if (allowed === undefined) continue;
      const permissions = project.modelPermissions;
      if (permissions?.mode === 'allow_list') {
        permissions.models.forEach((model, index) => {
          if (!allowed.includes(model)) findings.push({ subject: projectId, field: `providers.openai.projects.${projectId}.modelPermissions.models.${index}`, location: locate(['providers', 'openai', 'projects', projectId, 'modelPermissions', 'models', index]), message: `OpenAI project ${project.name} permits model ${model}, which ${environment} does not allow` });
        });
      }
      const actual = live?.openaiModelPermissions?.get(projectId);
      if (live?.openaiModelPermissions?.has(projectId) === true) {
        const extra = actual === null || actual === undefined ? ['every model'] : actual.mode === 'deny_list' ? ['every model not denied'] : actual.models.filter((model) => !allowed.includes(model));
        if (extra.length > 0) findings.push({ subject: projectId, field: `providers.openai.projects.${projectId}`, location: locateKey(['providers', 'openai', 'projects', projectId]), message: `at the provider, OpenAI project ${project.name} permits ${extra.join(', ')}; ${environment} allows only ${allowed.join(', ')}` });
      }
    }
    return findings;
  },
};

export const namingCredentialRule: PolicyRule = {
  id: 'naming-credential',
  severity: 'error',
  title: 'Credential names follow the convention',
  description: 'Credential names match policies.naming.credential, e.g. {provider}/{service}/{env}.',
  evaluate({ file, locateKey }) {
    const template = file.policies.naming.credential;
    if (template === undefined) return [];
    return Object.entries(file.credentials).flatMap(([name, spec]) => {
      const known = { provider: spec.provider, env: environmentOf(name, spec), ...(spec.service === undefined ? {} : { service: spec.service }), ...spec.tags };
      return templateMatches(template, name, known) ? [] : [{ subject: name, field: `credentials.${name}`, location: locateKey(['credentials', name]), message: `credential name ${name} does not follow ${template}` }];
    });
  },
};

export const namingProviderObjectRule: PolicyRule = {
  id: 'naming-provider-object',
  severity: 'error',
  title: 'Provider-side names follow the convention',
  description: 'Provider-side objects rekey manages (OpenAI project names) match policies.naming.providerObject, e.g. {yy}-{mm}-{customer}-{project}-{env}.',
  evaluate({ file, locate }) {
    const template = file.policies.naming.providerObject;
    if (template === undefined) return [];
    return Object.entries(file.providers?.openai?.projects ?? {}).flatMap(([projectId, project]) => {
      const known = { provider: 'openai', ...(project.environment === undefined ? {} : { env: project.environment }), ...project.tags };
      return templateMatches(template, project.name, known) ? [] : [{ subject: projectId, field: `providers.openai.projects.${projectId}.name`, location: locate(['providers', 'openai', 'projects', projectId, 'name']), message: `OpenAI project name ${project.name} does not follow ${template}` }];
    });
  },
};

export const onePerServiceRule: PolicyRule = {
  id: 'one-per-service-environment',
  severity: 'error',
  title: 'One credential per service, provider and environment',
  description: 'Two credentials for the same service, provider and environment mean a shared or forgotten key.',
  evaluate({ file, locateKey }) {
    if (!file.policies.onePerServiceEnvironment) return [];
    const seen = new Map<string, string>();
    const findings: RuleFinding[] = [];
    for (const [name, spec] of Object.entries(file.credentials)) {
      const key = `${serviceOf(name, spec)}\u0000${spec.provider}\u0000${environmentOf(name, spec)}`;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, name);
      else findings.push({ subject: name, field: `credentials.${name}`, location: locateKey(['credentials', name]), message: `${name} is a second ${spec.provider} credential for service ${serviceOf(name, spec)} in ${environmentOf(name, spec)} (the first is ${first})` });
    }
    return findings;
  },
};

export const noSharedProductionValueRule: PolicyRule = {
  id: 'no-shared-production-value',
  severity: 'error',
  title: 'No production value in a non-production credential',
  description: 'A non-production credential may not read its value from the same reference as a production one; with --live, no two such credentials may hold a version with the same fingerprint.',
  evaluate({ file, locate, locateKey, live }) {
    if (!file.policies.noSharedProductionValue) return [];
    const findings: RuleFinding[] = [];
    const entries = Object.entries(file.credentials);
    const production = entries.filter(([name, spec]) => isProduction(file, environmentOf(name, spec)));
    const others = entries.filter(([name, spec]) => !isProduction(file, environmentOf(name, spec)));
    for (const [name, spec] of others) {
      const sharing = production.find(([, prod]) => spec.valueFrom !== undefined && prod.valueFrom === spec.valueFrom);
      if (sharing !== undefined) {
        findings.push({ subject: name, field: `credentials.${name}.valueFrom`, location: locate(['credentials', name, 'valueFrom']), message: `${name} (${environmentOf(name, spec)}) reads its value from ${spec.valueFrom}, like production credential ${sharing[0]}` });
        continue;
      }
      const fingerprints = live?.credentials.get(name)?.liveFingerprints ?? [];
      const shared = production.find(([prodName]) => (live?.credentials.get(prodName)?.liveFingerprints ?? []).some((print) => fingerprints.includes(print)));
      if (shared !== undefined) findings.push({ subject: name, field: `credentials.${name}`, location: locateKey(['credentials', name]), message: `${name} (${environmentOf(name, spec)}) holds the same key as production credential ${shared[0]} (same fingerprint)` });
    }
    return findings;
  },
};

export const ownerRequiredRule: PolicyRule = {
  id: 'owner-required',
  severity: 'error',
  title: 'Every credential has an owner',
  description: 'A credential names its owning team or person (its own owner, else defaults.owner).',
  evaluate({ file, locateKey }) {
    if (!file.policies.ownerRequired) return [];
    return Object.entries(file.credentials).flatMap(([name, spec]) =>
      (spec.owner ?? file.defaults?.owner) === undefined ? [{ subject: name, field: `credentials.${name}.owner`, location: locateKey(['credentials', name]), message: `${name} has no owner` }] : []);
  },
};
