/**
 * The sink contract suite (issue 5 §1). Every sink runs it from its own test file:
 *
 *   runSinkContract('env-file', async () => ({ sink, fingerprintSalt, breakReads, breakWrites, cleanup }));
 *
 * It proves: both slots written and read back by fingerprint, the old slot removed,
 * a dry run that changes nothing and shows a redacted diff, typed errors that say whether
 * to retry and carry no value, and a failed read that throws instead of answering absent.
 *
 * Write-only sinks (GitHub Actions secrets, webhooks) have no `readFingerprint`; their
 * harness gives `readBack`, which asks the fake behind the sink what actually arrived (the
 * GitHub fake opens the sealed box), so the same assertions hold for them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SinkError } from '../../src/core/errors.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import type { Sink, SinkReadResult, SinkSlot } from '../../src/sinks/sink-spec.js';

export interface SinkHarness {
  sink: Sink;
  fingerprintSalt: Buffer;
  /** Make the target unreadable (but not absent). */
  breakReads(): Promise<void>;
  /** Make the next writes fail for good (a permission or configuration problem): not retryable. */
  breakWrites(): Promise<void>;
  /** Make the next writes fail in a way a retry can fix (a 503, a rate limit): retryable. */
  breakWritesTransiently?(): Promise<void>;
  /** For write-only sinks: what the target behind the sink holds, fingerprinted by the test. */
  readBack?(slot: SinkSlot): Promise<SinkReadResult>;
  /**
   * The sink cannot see what the target holds (a webhook): its plan says `update` for every
   * write and `remove` for every removal.
   */
  statelessPlan?: boolean;
  cleanup(): Promise<void>;
}

const oldKey = new SecretValue('sk-proj-contractOLDkey0000000000000000000000001');
const newKey = new SecretValue('sk-proj-contractNEWkey0000000000000000000000002');

export function runSinkContract(kind: string, createHarness: () => Promise<SinkHarness>): void {
  describe(`sink contract: ${kind}`, () => {
    let harness: SinkHarness;
    let sink: Sink;
    const fingerprintOf = (value: SecretValue) => fingerprint(harness.fingerprintSalt, value.reveal());
    const read = async (slot: SinkSlot): Promise<SinkReadResult> => {
      if (sink.readFingerprint !== undefined) return sink.readFingerprint(slot);
      if (harness.readBack === undefined) throw new Error(`${kind}: a write-only sink's harness must give readBack`);
      return harness.readBack(slot);
    };

    beforeEach(async () => {
      harness = await createHarness();
      sink = harness.sink;
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    it('describes itself without a value', () => {
      expect(sink.describe()).toMatch(/\S/);
      expect(sink.kind).toBe(kind);
    });

    it('reads absent slots as absent', async () => {
      expect(await read('main')).toEqual({ state: 'absent' });
      expect(await read({ version: 3 })).toEqual({ state: 'absent' });
    });

    it('writes the main and a versioned slot and reads both back by fingerprint', async () => {
      await sink.write('main', oldKey);
      await sink.write({ version: 1 }, oldKey);
      await sink.write({ version: 2 }, newKey);
      expect(await read('main')).toEqual({ state: 'present', fingerprint: fingerprintOf(oldKey) });
      expect(await read({ version: 1 })).toEqual({ state: 'present', fingerprint: fingerprintOf(oldKey) });
      expect(await read({ version: 2 })).toEqual({ state: 'present', fingerprint: fingerprintOf(newKey) });
      await sink.write('main', newKey);
      expect(await read('main')).toEqual({ state: 'present', fingerprint: fingerprintOf(newKey) });
    });

    it('writes idempotently', async () => {
      await sink.write('main', newKey);
      await sink.write('main', newKey);
      expect(await read('main')).toEqual({ state: 'present', fingerprint: fingerprintOf(newKey) });
    });

    it('removes the old versioned slot and leaves the others', async () => {
      await sink.write('main', newKey);
      await sink.write({ version: 1 }, oldKey);
      await sink.write({ version: 2 }, newKey);
      await sink.remove({ version: 1 });
      expect(await read({ version: 1 })).toEqual({ state: 'absent' });
      expect(await read({ version: 2 })).toEqual({ state: 'present', fingerprint: fingerprintOf(newKey) });
      expect(await read('main')).toEqual({ state: 'present', fingerprint: fingerprintOf(newKey) });
      await sink.remove({ version: 1 });
      await sink.remove({ version: 99 });
    });

    it('plans a dry run: changes nothing, shows a redacted diff', async () => {
      expect(sink.plan, 'every sink offers a dry run').toBeDefined();
      if (sink.plan === undefined) return;
      await sink.write('main', oldKey);
      await sink.write({ version: 1 }, oldKey);
      const plan = await sink.plan([
        { slot: 'main', value: newKey },
        { slot: { version: 2 }, value: newKey },
        { slot: { version: 1 }, remove: true },
        { slot: { version: 5 }, remove: true },
      ]);
      const expected = harness.statelessPlan === true ? ['update', 'update', 'remove', 'remove'] : ['update', 'create', 'remove', 'unchanged'];
      expect(plan.changes.map((change) => change.action)).toEqual(expected);
      expect(plan.changes[0]).toMatchObject({ after: newKey.hint });
      if (sink.readFingerprint !== undefined) expect(plan.changes[0]).toMatchObject({ before: oldKey.hint });
      for (const change of plan.changes) expect(change.target).toMatch(/\S/);
      expect(plan.diff.join('\n')).toContain(newKey.hint);
      const serialized = JSON.stringify(plan);
      expect(serialized).not.toContain(oldKey.reveal());
      expect(serialized).not.toContain(newKey.reveal());
      expect(await read('main')).toEqual({ state: 'present', fingerprint: fingerprintOf(oldKey) });
      expect(await read({ version: 2 })).toEqual({ state: 'absent' });
    });

    it('never answers absent when the read failed', async (context) => {
      if (sink.readFingerprint === undefined) return context.skip('write-only sink: it has no read to fail');
      await sink.write('main', oldKey);
      await harness.breakReads();
      const outcome = await sink.readFingerprint('main').then(
        (result) => ({ resolved: result }),
        (error: unknown) => ({ rejected: error }),
      );
      expect(outcome).not.toHaveProperty('resolved');
      const error = (outcome as { rejected: unknown }).rejected;
      expect(error).toBeInstanceOf(SinkError);
      expect(typeof (error as SinkError).isRetryable).toBe('boolean');
    });

    it('fails writes with a typed, value-free error', async () => {
      await harness.breakWrites();
      const error = await sink.write('main', newKey).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(SinkError);
      expect((error as SinkError).isRetryable).toBe(false);
      const text = `${(error as Error).message} ${JSON.stringify(error)} ${String((error as Error).cause ?? '')}`;
      expect(text).not.toContain(newKey.reveal());
    });

    it('marks a transient write failure retryable, and a retry then succeeds', async (context) => {
      if (harness.breakWritesTransiently === undefined) return context.skip('this target has no transient failure to simulate');
      await harness.breakWritesTransiently();
      const error = await sink.write('main', newKey).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(SinkError);
      expect((error as SinkError).isRetryable).toBe(true);
      expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain(newKey.reveal());
      await sink.write('main', newKey);
      expect(await read('main')).toEqual({ state: 'present', fingerprint: fingerprintOf(newKey) });
    });
  });
}
