/** `rekey plan` as a readable diff and as JSON. Neither ever holds a key value (only references such as env:NAME). */
import type { Plan, PlanChange, FieldChange } from './plan-model.js';

const show = (value: unknown): string => {
  if (value === null || value === undefined) return 'none';
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
};

const fieldLines = (fields: FieldChange[], indent: string) => fields.map((field) => `${indent}${field.field}: ${show(field.from)} → ${show(field.to)}`);

const SYMBOL: Record<PlanChange['kind'], string> = {
  'credential-create': '+',
  'credential-update': '~',
  'credential-remove': '-',
  'consumer-add': '+',
  'consumer-replace': '~',
  'consumer-remove': '-',
  'governance-update': '~',
  'openai-model-permissions': '~',
  'openai-spend-limit': '~',
  'openai-rate-limit': '~',
};

function describe(change: PlanChange): string[] {
  switch (change.kind) {
    case 'credential-create': {
      const { metadata, consumers, valueFrom } = change.desired;
      return [
        `credential ${change.subject} (${metadata.provider}, ${metadata.environment}, owner ${metadata.owner ?? 'none'})${valueFrom === undefined ? ', no value yet' : `, value from ${valueFrom}`}`,
        ...consumers.map((consumer) => `    + consumer ${consumer.name} (${consumer.kind})`),
      ];
    }
    case 'credential-update': return [`credential ${change.subject}`, ...fieldLines(change.fields, '    ')];
    case 'credential-remove': return [`credential ${change.subject} (not in the file; ${change.liveVersions} live version${change.liveVersions === 1 ? '' : 's'} — revoke them at the provider)`];
    case 'consumer-add': return [`consumer ${change.consumer.name} (${change.consumer.kind}) of ${change.credential}`];
    case 'consumer-replace': return [`consumer ${change.consumer.name} of ${change.credential}`, ...fieldLines(change.fields, '    ')];
    case 'consumer-remove': return [`consumer ${change.consumer} of ${change.credential} (not in the file)`];
    case 'governance-update': return [`policies, schedules and other sections: ${change.fields.map((field) => field.field).join(', ') || 'stored form'}`];
    case 'openai-model-permissions': return [`OpenAI project ${change.projectId} model permissions: ${change.from === null ? 'none' : `${change.from.mode} ${show(change.from.models)}`} → ${change.to.mode} ${show(change.to.models)}`];
    case 'openai-spend-limit': return [`OpenAI project ${change.projectId} spend limit: ${change.from === null ? 'none' : `${change.from} cents`} → ${change.to} cents a month`];
    case 'openai-rate-limit': return [`OpenAI project ${change.projectId} rate limit for ${change.model}: ${show(change.from)} → ${show(change.to)}`];
  }
}

export function formatPlanText(plan: Plan): string {
  const lines: string[] = [];
  for (const change of plan.changes) {
    const [first, ...rest] = describe(change);
    lines.push(`  ${SYMBOL[change.kind]} ${first ?? ''}`, ...rest.map((line) => `  ${line}`));
  }
  for (const drift of plan.drift) lines.push(`  ! ${drift.message}`);
  const counts = { add: 0, change: 0, remove: 0 };
  for (const change of plan.changes) {
    const symbol = SYMBOL[change.kind];
    if (symbol === '+') counts.add += 1;
    else if (symbol === '-') counts.remove += 1;
    else counts.change += 1;
  }
  const provider = plan.providerChecked ? '' : ' (provider not compared)';
  const summary = plan.changes.length === 0 && plan.drift.length === 0
    ? `No changes: the store${plan.providerChecked ? ' and the provider match' : ' matches'} rekey.yaml${provider}.`
    : `Plan: ${counts.add} to add, ${counts.change} to change, ${counts.remove} to remove; ${plan.drift.length} drift${plan.drift.length === 1 ? '' : 's'} apply will not fix${provider}.`;
  return [...lines, summary].join('\n') + '\n';
}

export function planJson(plan: Plan): Record<string, unknown> {
  return {
    inSync: plan.changes.length === 0 && plan.drift.length === 0,
    providerChecked: plan.providerChecked,
    changes: plan.changes.map((change) => {
      const base = { kind: change.kind, subject: change.subject };
      switch (change.kind) {
        case 'credential-create': return { ...base, metadata: change.desired.metadata, consumers: change.desired.consumers, valueFrom: change.desired.valueFrom ?? null };
        case 'credential-update':
        case 'consumer-replace':
        case 'governance-update': return { ...base, fields: change.fields };
        case 'credential-remove': return { ...base, liveVersions: change.liveVersions };
        case 'consumer-add': return { ...base, consumer: change.consumer };
        case 'consumer-remove': return { ...base, consumer: change.consumer };
        case 'openai-model-permissions':
        case 'openai-spend-limit':
        case 'openai-rate-limit': return { ...base, from: change.from, to: change.to };
      }
    }),
    drift: plan.drift,
  };
}
