/**
 * 1Password items, through a 1Password Connect server's REST API with fetch (the
 * `@1password/connect` client wraps the same calls over axios): `GET
 * /v1/vaults/{vault}/items/{item}` returns the item with its fields, and `PATCH` the same
 * path applies JSON Patch operations (`replace /fields/{id}/value`, `add /fields`,
 * `remove /fields/{id}`), so only the field rekey owns changes. `Authorization: Bearer`
 * with a Connect token (`OP_CONNECT_TOKEN`). The main slot is the field labelled `field`
 * (default `credential`), a versioned slot the field `<field> v7`; new fields are
 * `CONCEALED`. The item must exist: rekey rotates what sits inside it.
 */
import { z } from 'zod';
import { SinkError } from '../core/errors.js';
import { createNamedSlotSink } from './named-slot-sink.js';
import { requireSecureUrl, sinkTokenVariable, tokenEnvOptions } from './sink-credentials.js';
import { createSinkHttp } from './sink-http.js';
import type { Sink, SinkContext, SinkFactory } from './sink-spec.js';
import { parseSinkConfig } from './sink-support.js';

const uuid = z.string().regex(/^[a-z0-9]{26}$/, 'must be a 1Password id (26 lower-case letters and digits)');
const onePasswordConfigSchema = z
  .object({ connectUrl: z.url(), vault: uuid, item: uuid, field: z.string().min(1).max(100).optional(), ...tokenEnvOptions })
  .strict();

interface Field {
  id: string;
  label?: string;
  value?: string;
}

export function createOnePasswordConnectSink(config: Record<string, unknown>, context: SinkContext): Sink {
  const options = parseSinkConfig(onePasswordConfigSchema, config, context, '1password-connect', '1password-connect options: { connectUrl, vault, item, field?: "credential", tokenEnv?: "OP_CONNECT_TOKEN" }');
  const field = options.field ?? 'credential';
  const label = `1Password item ${options.item} (vault ${options.vault})`;
  const token = sinkTokenVariable(options, context, { variable: 'OP_CONNECT_TOKEN', label: '1Password Connect' });
  requireSecureUrl(options.connectUrl, `consumer ${context.consumerName}: connectUrl`);
  const http = () => createSinkHttp({ sink: '1password-connect', label, baseUrl: options.connectUrl, headers: { authorization: `Bearer ${token.read()}` } });
  const path = `/v1/vaults/${options.vault}/items/${options.item}`;

  const fieldNamed = async (name: string): Promise<Field | undefined> => {
    const response = await http().request({ method: 'GET', path, action: 'read the item' });
    const fields = (response.body as { fields?: Field[] } | undefined)?.fields ?? [];
    return fields.find((candidate) => candidate.label === name);
  };
  const patch = async (operations: unknown[], action: string): Promise<void> => {
    await http().request({ method: 'PATCH', path, body: operations, action });
  };

  return createNamedSlotSink({
    kind: '1password-connect',
    label,
    fingerprintSalt: context.fingerprintSalt,
    nameOf: (slot) => (slot === 'main' ? field : `${field} v${slot.version}`),
    targetOf: (name) => `field "${name}" of ${label}`,
    store: {
      async read(name) {
        const found = await fieldNamed(name);
        if (found === undefined) return undefined;
        if (found.value === undefined) throw new SinkError(`${label}: the field "${name}" has no readable value`, { sink: '1password-connect', isRetryable: false });
        return found.value === '' ? undefined : found.value;
      },
      async write(name, value) {
        const found = await fieldNamed(name);
        if (found !== undefined) await patch([{ op: 'replace', path: `/fields/${found.id}/value`, value: value.reveal() }], `update the field "${name}"`);
        else await patch([{ op: 'add', path: '/fields', value: { label: name, type: 'CONCEALED', value: value.reveal() } }], `add the field "${name}"`);
      },
      async remove(name) {
        const found = await fieldNamed(name);
        if (found !== undefined) await patch([{ op: 'remove', path: `/fields/${found.id}` }], `remove the field "${name}"`);
      },
    },
  });
}

createOnePasswordConnectSink satisfies SinkFactory;
