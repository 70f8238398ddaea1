/**
 * Rotation records written before the rotation data had a schema (the engine of migration 9,
 * captured from real runs in fixtures/) still read, whole, and a record that does not fit
 * fails with the rotation and the field named.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import type { RotationStateName } from '../../src/core/types.js';
import { readRotationData, toRecordData } from '../../src/rotation/rotation-data.js';
import { createRotationFixture, type RotationFixture } from './rotation-fixture.js';

const OLD_RECORDS = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'rotations-before-migration-10.json'), 'utf8')) as Record<
  'done' | 'emergencyHold',
  { state: RotationStateName; data: Record<string, unknown> }
>;

describe('rotation records written by the previous engine', () => {
  let fixture: RotationFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it.each(Object.entries(OLD_RECORDS))('reads the %s record whole (nothing dropped or added)', (name, record) => {
    const data = readRotationData({ id: `rot_${name}`, data: record.data });
    expect(toRecordData(data)).toEqual(record.data);
  });

  it('shows a finished old rotation through the executor', async () => {
    fixture = await createRotationFixture();
    await fixture.store.createRotation({ id: 'rot_old', credentialId: fixture.credential.id, kind: 'manual', ...OLD_RECORDS.done });
    const outcome = await fixture.executor.resume('rot_old');
    expect(outcome).toMatchObject({ rotationId: 'rot_old', credential: 'openai/ticketing/dev', state: 'done', hold: null, failure: null });
    expect(outcome.data.newKey).toEqual({ providerKeyId: 'key_2', providerData: { serviceAccountId: 'sa_key_2' }, fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('names the rotation and the field of a record that does not fit', () => {
    const machine = { ...(OLD_RECORDS.emergencyHold.data['machine'] as Record<string, unknown>), hold: { reason: 'x', resumeTo: 'lunch', holders: [] } };
    const read = () => readRotationData({ id: 'rot_bad', data: { ...OLD_RECORDS.emergencyHold.data, machine } });
    expect(read).toThrow(StoreError);
    expect(read).toThrow(/^rotation rot_bad has data this version of rekey cannot read: machine\.hold\.resumeTo: /);
    expect(() => readRotationData({ id: 'rot_empty', data: {} })).toThrow(/^rotation rot_empty has data this version of rekey cannot read: machine: /);
  });
});
