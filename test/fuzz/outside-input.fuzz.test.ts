/**
 * The fuzz harness over every parser of outside input (issue #17 item 9). One file so the
 * summary line counts every case; the seed is fixed (REKEY_FUZZ_SEED to change it) and the
 * whole run takes a few seconds. `rekey.yaml` has its own fuzz test in test/policy/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { fuzzSummary } from './fuzz-harness.js';
import { fuzzManagementApi } from './management-api-target.js';
import { fuzzConsumerConfigs, fuzzScannedFiles, fuzzSinkFiles, fuzzStdinValues } from './local-input-targets.js';
import { fuzzProviderResponses, fuzzProxyRequests, fuzzSdkEndpointAnswers, fuzzServeRequests } from './network-input-targets.js';

const directory = mkdtempSync(join(tmpdir(), 'rekey-fuzz-'));
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
  console.log(fuzzSummary());
});

describe('fuzzing outside input: accepted, or refused with a clear error and nothing changed', () => {
  it('key values on stdin', () => fuzzStdinValues(join(directory, 'home')), 60_000);
  it('consumer configs of every sink kind', () => fuzzConsumerConfigs(), 60_000);
  it('env, JSON and YAML files the sinks edit', () => fuzzSinkFiles(directory), 60_000);
  it('scanned files', () => fuzzScannedFiles(), 60_000);
  it('provider responses', () => fuzzProviderResponses(), 60_000);
  it('key endpoint answers read by the SDK', () => fuzzSdkEndpointAnswers(), 60_000);
  it('rekey serve requests', () => fuzzServeRequests(), 60_000);
  it('rekey proxy requests and upstream answers', () => fuzzProxyRequests(), 60_000);
  it('rekey serve management API bodies', () => fuzzManagementApi(), 60_000);
});
