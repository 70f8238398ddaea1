/**
 * Small pieces every sink shares: validating its config into a ConfigError that names the
 * consumer and field, the slot naming rule (`NAME`, `NAME_V7`), and the dry-run plan built
 * from what each slot holds now.
 */
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { fingerprint } from '../crypto/fingerprint.js';
import type { SinkChange, SinkContext, SinkPlan, SinkPlannedChange, SinkSlot } from './sink-spec.js';

export function parseSinkConfig<Schema extends z.ZodType>(
  schema: Schema,
  config: Record<string, unknown>,
  context: SinkContext,
  kind: string,
  hint: string,
): z.output<Schema> {
  const parsed = schema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(config)';
    throw new ConfigError(`consumer ${context.consumerName}: ${kind} option "${field}" ${issue?.message ?? 'is invalid'}`, { hint });
  }
  return parsed.data;
}

/** The name a slot is stored under: the main name, or `<name>_V<version>`. */
export function slotName(name: string, slot: SinkSlot): string {
  return slot === 'main' ? name : `${name}_V${slot.version}`;
}

export function environmentOf(context: SinkContext): Readonly<Record<string, string | undefined>> {
  return context.environment ?? process.env;
}

/** What a slot holds now, for a plan. `fingerprint: null` when the target cannot be read back. */
export type SlotState = { state: 'absent' } | { state: 'present'; fingerprint: string | null; hint: string } | { state: 'unknown' };

export interface PlanOptions {
  fingerprintSalt: Buffer;
  /** `OPENAI_API_KEY in vault secret/app`. */
  targetOf(slot: SinkSlot): string;
  current(slot: SinkSlot): Promise<SlotState>;
}

export async function planChanges(changes: SinkChange[], options: PlanOptions): Promise<SinkPlan> {
  const planned: SinkPlannedChange[] = [];
  const diff: string[] = [];
  for (const change of changes) {
    const target = options.targetOf(change.slot);
    const now = await options.current(change.slot);
    const before = now.state === 'present' ? now.hint : null;
    if ('remove' in change) {
      const action = now.state === 'absent' ? 'unchanged' : 'remove';
      planned.push({ slot: change.slot, target, action, before, after: null });
      if (action === 'remove') diff.push(`- ${target}${before === null ? '' : ` = ${before}`}`);
      continue;
    }
    let action: SinkPlannedChange['action'] = 'update';
    if (now.state === 'absent') action = 'create';
    else if (now.state === 'present' && now.fingerprint !== null && now.fingerprint === fingerprint(options.fingerprintSalt, change.value.reveal())) {
      action = 'unchanged';
    }
    planned.push({ slot: change.slot, target, action, before, after: change.value.hint });
    if (action === 'unchanged') continue;
    if (before !== null) diff.push(`- ${target} = ${before}`);
    diff.push(`+ ${target} = ${change.value.hint}`);
  }
  return { changes: planned, diff };
}
