/**
 * Routing, pure: which routes (channels) hear an alert. A rule matches on the alert's
 * kind (or `*`), its minimum severity, the credential's environment and a credential
 * glob; an alert goes to the union of every matching rule's routes, in rule order.
 */
import { severityRank, type AlertEvent, type AlertKind, type Severity } from './alert-types.js';

export interface RoutingRule {
  events: ReadonlyArray<AlertKind | '*'>;
  routes: readonly string[];
  minSeverity?: Severity | undefined;
  environments?: readonly string[] | undefined;
  credentials?: readonly string[] | undefined;
}

/** `*` and `?` stay within one `/`-separated segment; `**` crosses segments. */
export function credentialGlobMatches(glob: string, name: string): boolean {
  let pattern = '';
  for (let index = 0; index < glob.length; index += 1) {
    const char = glob[index] as string;
    if (char === '*' && glob[index + 1] === '*') {
      pattern += '.*';
      index += 1;
    } else if (char === '*') pattern += '[^/]*';
    else if (char === '?') pattern += '[^/]';
    else pattern += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`).test(name);
}

export function ruleMatches(rule: RoutingRule, event: Pick<AlertEvent, 'kind' | 'severity' | 'environment' | 'credential'>): boolean {
  if (!rule.events.includes('*') && !rule.events.includes(event.kind)) return false;
  if (rule.minSeverity !== undefined && severityRank(event.severity) < severityRank(rule.minSeverity)) return false;
  if (rule.environments !== undefined && (event.environment === null || !rule.environments.includes(event.environment))) return false;
  if (rule.credentials !== undefined && (event.credential === null || !rule.credentials.some((glob) => credentialGlobMatches(glob, event.credential as string)))) return false;
  return true;
}

export function routeEvent(rules: readonly RoutingRule[], event: Pick<AlertEvent, 'kind' | 'severity' | 'environment' | 'credential'>): string[] {
  const routes: string[] = [];
  for (const rule of rules) {
    if (!ruleMatches(rule, event)) continue;
    for (const route of rule.routes) if (!routes.includes(route)) routes.push(route);
  }
  return routes;
}
