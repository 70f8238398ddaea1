/** Rules about time: key age, rotation cadence, the stagger between environments, grace bounds, on-leak action, expired exceptions. */
import { DAY_MS, durationSeconds, effectiveCadenceDays, environmentOf, type PolicyRule, type RuleFinding } from './policy-model.js';

export const maxKeyAgeRule: PolicyRule = {
  id: 'max-key-age',
  severity: 'error',
  title: 'Key age within the environment maximum',
  description: "A credential's max age may not exceed its environment's maxKeyAgeDays; with --live, its current version may not be older.",
  evaluate({ file, locate, locateKey, now, live }) {
    const findings: RuleFinding[] = [];
    for (const [name, spec] of Object.entries(file.credentials)) {
      const limit = file.policies.environments[environmentOf(name, spec)]?.maxKeyAgeDays;
      const own = spec.policy.maxAgeDays;
      if (limit !== undefined && own !== undefined && own > limit) {
        findings.push({ subject: name, field: `credentials.${name}.policy.maxAgeDays`, location: locate(['credentials', name, 'policy', 'maxAgeDays']), message: `${name} allows keys up to ${own} days old; ${environmentOf(name, spec)} allows at most ${limit}` });
      }
      const effective = Math.min(limit ?? Infinity, own ?? Infinity);
      const createdAt = live?.credentials.get(name)?.currentCreatedAt;
      if (Number.isFinite(effective) && createdAt !== undefined && createdAt !== null) {
        const age = Math.floor((now.getTime() - createdAt.getTime()) / DAY_MS);
        if (age > effective) findings.push({ subject: name, field: `credentials.${name}`, location: locateKey(['credentials', name]), message: `the current key of ${name} is ${age} days old; the limit is ${effective} days` });
      }
    }
    return findings;
  },
};

export const rotationCadenceRule: PolicyRule = {
  id: 'rotation-cadence',
  severity: 'error',
  title: 'Rotation cadence per environment',
  description: "A credential must rotate at least as often as its environment's rotateEveryDays (its own cadence, else its schedule's).",
  evaluate({ file, locate, locateKey }) {
    const findings: RuleFinding[] = [];
    for (const [name, spec] of Object.entries(file.credentials)) {
      const environment = environmentOf(name, spec);
      const limit = file.policies.environments[environment]?.rotateEveryDays;
      if (limit === undefined) continue;
      const cadence = effectiveCadenceDays(file, name, spec);
      if (cadence === undefined) {
        findings.push({ subject: name, field: `credentials.${name}`, location: locateKey(['credentials', name]), message: `${name} has no rotation cadence and no schedule covers ${environment}; ${environment} must rotate at least every ${limit} days` });
      } else if (cadence > limit) {
        const own = spec.policy.rotateEveryDays !== undefined;
        findings.push({ subject: name, field: own ? `credentials.${name}.policy.rotateEveryDays` : `credentials.${name}`, location: own ? locate(['credentials', name, 'policy', 'rotateEveryDays']) : locateKey(['credentials', name]), message: `${name} rotates every ${cadence} days; ${environment} must rotate at least every ${limit} days` });
      }
    }
    return findings;
  },
};

const HORIZON_DAYS = 730;

/** The rotation days of every environment over the horizon, by schedule. */
function rotationDays(schedules: Record<string, { environments: string[]; every: number; start: string }>): Map<string, Array<{ day: number; schedule: string }>> {
  const days = new Map<string, Array<{ day: number; schedule: string }>>();
  const starts = Object.values(schedules).map((schedule) => Date.parse(`${schedule.start}T00:00:00Z`) / DAY_MS);
  const origin = Math.min(...starts);
  for (const [name, schedule] of Object.entries(schedules)) {
    const start = Date.parse(`${schedule.start}T00:00:00Z`) / DAY_MS;
    for (const environment of schedule.environments) {
      const list = days.get(environment) ?? [];
      for (let day = start; day <= origin + HORIZON_DAYS; day += schedule.every) list.push({ day, schedule: name });
      days.set(environment, list);
    }
  }
  return days;
}

export const staggerRule: PolicyRule = {
  id: 'stagger',
  severity: 'error',
  title: 'Environments rotate staggered',
  description: 'For each stagger pair, every rotation of the later environment comes at least minDays after the latest rotation of the earlier one; one schedule may not cover both.',
  evaluate({ file, locate }) {
    const findings: RuleFinding[] = [];
    const schedules = file.schedules;
    if (Object.keys(schedules).length === 0) return findings;
    const days = rotationDays(schedules);
    for (const [index, pair] of file.policies.stagger.entries()) {
      for (const [name, schedule] of Object.entries(schedules)) {
        if (schedule.environments.includes(pair.before) && schedule.environments.includes(pair.after)) {
          findings.push({ subject: `schedules.${name}`, field: `schedules.${name}.environments`, location: locate(['schedules', name, 'environments']), message: `schedule ${name} rotates ${pair.before} and ${pair.after} in the same window; ${pair.after} must follow ${pair.before} by at least ${pair.minDays} days` });
        }
      }
      const earlier = days.get(pair.before) ?? [];
      for (const later of days.get(pair.after) ?? []) {
        const clash = earlier.find((item) => item.day <= later.day && item.day > later.day - pair.minDays && item.schedule !== later.schedule);
        if (clash === undefined) continue;
        const gap = later.day - clash.day;
        const date = new Date(later.day * DAY_MS).toISOString().slice(0, 10);
        findings.push({
          subject: `schedules.${later.schedule}`,
          field: `schedules.${later.schedule}.start`,
          location: locate(['schedules', later.schedule, 'start']),
          message: `${pair.after} rotates on ${date}, ${gap === 0 ? 'the same day as' : `${gap} day${gap === 1 ? '' : 's'} after`} ${pair.before} (schedule ${clash.schedule}); stagger policy ${index + 1} asks for at least ${pair.minDays} days`,
        });
        break;
      }
    }
    return findings;
  },
};

export const graceBoundsRule: PolicyRule = {
  id: 'grace-bounds',
  severity: 'error',
  title: 'Grace within the environment bounds',
  description: "A credential's graceQuiet is at least its environment's graceMin, and its graceMax lies between graceMin and the environment's graceMax.",
  evaluate({ file, locate }) {
    const findings: RuleFinding[] = [];
    for (const [name, spec] of Object.entries(file.credentials)) {
      const environment = environmentOf(name, spec);
      const bounds = file.policies.environments[environment];
      if (bounds === undefined) continue;
      const minimum = durationSeconds(bounds.graceMin);
      const maximum = durationSeconds(bounds.graceMax);
      const quiet = durationSeconds(spec.policy.graceQuiet);
      const max = durationSeconds(spec.policy.graceMax);
      const at = (field: string) => ({ subject: name, field: `credentials.${name}.policy.${field}`, location: locate(['credentials', name, 'policy', field]) });
      if (minimum !== undefined && quiet !== undefined && quiet < minimum) findings.push({ ...at('graceQuiet'), message: `${name} ends grace after ${spec.policy.graceQuiet} of quiet; ${environment} needs at least ${bounds.graceMin}` });
      if (maximum !== undefined && max !== undefined && max > maximum) findings.push({ ...at('graceMax'), message: `${name} holds grace up to ${spec.policy.graceMax}; ${environment} allows at most ${bounds.graceMax}` });
      if (minimum !== undefined && max !== undefined && max < minimum) findings.push({ ...at('graceMax'), message: `${name} gives up grace after ${spec.policy.graceMax}; ${environment} needs at least ${bounds.graceMin}` });
    }
    return findings;
  },
};

export const onLeakRule: PolicyRule = {
  id: 'on-leak-action',
  severity: 'error',
  title: 'On-leak action per environment',
  description: "A credential's onLeak equals the action its environment requires (e.g. rotate in prod).",
  evaluate({ file, locate, locateKey }) {
    const findings: RuleFinding[] = [];
    for (const [name, spec] of Object.entries(file.credentials)) {
      const environment = environmentOf(name, spec);
      const required = file.policies.environments[environment]?.onLeak;
      if (required === undefined || spec.policy.onLeak === required) continue;
      const set = spec.policy.onLeak !== undefined;
      findings.push({
        subject: name,
        field: `credentials.${name}.policy.onLeak`,
        location: set ? locate(['credentials', name, 'policy', 'onLeak']) : locateKey(['credentials', name]),
        message: `${name} ${set ? `has onLeak: ${spec.policy.onLeak}` : 'has no onLeak action'}; ${environment} requires onLeak: ${required}`,
      });
    }
    return findings;
  },
};

export const exceptionExpiredRule: PolicyRule = {
  id: 'exception-expired',
  severity: 'warning',
  title: 'Exceptions are current',
  description: 'An exception past its expiry date no longer applies; renew it with a reason or fix the finding.',
  evaluate({ file, locate, now }) {
    return file.policies.exceptions.flatMap((exception, index) => {
      if (Date.parse(`${exception.expires}T23:59:59Z`) >= now.getTime()) return [];
      return [{ subject: exception.credential ?? exception.rule, field: `policies.exceptions.${index}.expires`, location: locate(['policies', 'exceptions', index, 'expires']), message: `the exception for ${exception.rule}${exception.credential === undefined ? '' : ` on ${exception.credential}`} expired on ${exception.expires}` }];
    });
  },
};
