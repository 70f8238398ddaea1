/**
 * The one composition root for the services that commands use: which rotation executor,
 * providers, sinks and usage sources a command gets, and what the scanner's leak response
 * is wired to. Commands ask here instead of wiring services themselves; everything heavy is
 * imported inside the functions, so a command loads only what it runs.
 */
import { ConflictError } from '../core/errors.js';
import type { RotationProgress } from '../rotation/rotation-deps.js';
import type { RotationExecutor } from '../rotation/rotation-executor.js';
import type { OwnKeyFoundEvent } from '../scan/scan-service.js';
import type { AlertsRuntime } from './alerts-wiring.js';
import type { CliContext } from './cli-context.js';
import type { ScanCommandWiring } from './commands/scan-command.js';
import { colour } from './output.js';

export async function openRotationExecutor(context: CliContext, onProgress?: (progress: RotationProgress) => void, alerts?: AlertsRuntime): Promise<RotationExecutor> {
  const { createRotationExecutor } = await import('../rotation/rotation-executor.js');
  const { createSinkResolver } = await import('../sinks/sink-resolver.js');
  const { createProvider } = await import('../providers/provider-registry.js');
  // Grace also watches what the proxy meters and SDKs report about the old key.
  const { createRotationUsageSources } = await import('../access/rotation-usage-sources.js');
  return createRotationExecutor({
    store: context.store,
    vault: context.vault,
    audit: context.audit,
    providers: { resolve: (credential) => createProvider(credential.provider, {}) },
    sinks: createSinkResolver({ fingerprintSalt: context.keys.fingerprintSalt }),
    clock: context.clock,
    usageSources: createRotationUsageSources({
      reports: context.store,
      tokens: context.store,
      clock: context.clock,
    }),
    onProgress,
    // A hold raises an alert (routed by rekey.yaml's notifications; opened only when needed).
    alerts: await (await import('./alerts-wiring.js')).rotationAlertsFor(context, async () => alerts ?? (await import('./alerts-wiring.js')).openAlerts(context)),
    logger: {
      info: () => undefined,
      warn: (message) => process.stderr.write(colour.yellow(`warning: ${message}`) + '\n'),
    },
  });
}

/** Make the leaked key dead now (emergency rotation or end of grace), whatever the policy says; throws when it could not. */
export async function rotateLeakedKey(event: { fingerprint: string; foundAt: Date; where?: string | undefined }): Promise<{ action?: string; version?: number; oldKeyDeadAt?: Date }> {
  const { withCliContext } = await import('./cli-context.js');
  return withCliContext(async (context) => {
    const { respondToLeak } = await import('../rotation/leak-response.js');
    const executor = await openRotationExecutor(context);
    const responses = await respondToLeak(
      { store: context.store, executor, audit: context.audit, clock: context.clock },
      { fingerprint: event.fingerprint, foundAt: event.foundAt, actor: context.actor, where: event.where, force: true },
    );
    await alertLeaks(context, responses, event);
    const failed = responses.find((response) => response.action === 'failed');
    if (failed !== undefined) throw new ConflictError(`the leaked key of ${failed.credential} (version ${failed.version}) is not yet dead: ${failed.reason ?? 'unknown'}`);
    const deaths = responses.flatMap((response) => (response.oldKeyDeadAt === null ? [] : [response.oldKeyDeadAt.getTime()]));
    // What was done, for the one line scan prints: the first response that acted, else the first (e.g. already-dead).
    const said = responses.find((response) => response.action !== 'already-dead') ?? responses[0];
    const what = said === undefined ? {} : { action: said.action, version: said.version };
    return deaths.length === 0 ? what : { ...what, oldKeyDeadAt: new Date(Math.max(...deaths)) };
  });
}

/** A leak-found alert per response; resolved at once when the leaked key is already dead. Never fatal. */
async function alertLeaks(
  context: CliContext,
  responses: ReadonlyArray<{ credential: string; version: number; action: string; rotationId: string | null; secondsFromFindingToDead: number | null; reason: string | null }>,
  event: { foundAt: Date; where?: string | undefined },
): Promise<void> {
  try {
    const { openAlerts } = await import('./alerts-wiring.js');
    const { alertLeakResponses } = await import('../alerts/alert-round.js');
    const alerts = await openAlerts(context);
    await alertLeakResponses({ store: context.store, service: alerts.service, deliver: () => alerts.deliver() }, responses, event);
  } catch (error) {
    const { reasonOf } = await import('../core/errors.js');
    process.stderr.write(colour.yellow(`warning: the leak alert could not be written: ${reasonOf(error)}`) + '\n');
  }
}

/** What `rekey scan` uses to recognise our own keys and respond to them. */
export function scanServices(): ScanCommandWiring {
  const rotateLeaked = (event: OwnKeyFoundEvent) =>
    rotateLeakedKey({ fingerprint: event.fingerprint, foundAt: event.foundAt, where: event.finding.location.path ?? undefined });
  return {
    ownKeys: async () => (await import('./own-key-lookup.js')).loadOwnKeyLookup(),
    // --rotate: make every leaked key of ours dead now, whatever its policy says.
    rotate: rotateLeaked,
    // Without --rotate: only credentials whose policy says `onLeak: rotate`.
    respondByPolicy: async (event) => {
      const { withCliContext } = await import('./cli-context.js');
      const policy = await withCliContext(async ({ store }) => (await store.getCredential(event.ownership.credential))?.policy);
      if (policy?.onLeak === 'rotate') return { action: 'emergency-rotation', ...(await rotateLeaked(event)) };
      // Not rotated by policy: still tell people, saying why not and what to run.
      return withCliContext(async (context) => {
        const version = (await context.store.findVersionsByFingerprint(event.fingerprint))[0];
        // A copy of a key that is already dead is reported by the scan, not alerted.
        if (version === undefined || version.stage === 'revoked' || version.stage === 'discarded') return undefined;
        const reason = `the credential policy says onLeak: ${policy?.onLeak ?? 'alert (the default)'}; rotate it with rekey scan --rotate or rekey rotate --emergency`;
        await alertLeaks(context, [{ credential: event.ownership.credential, version: version.number, action: 'alert-only', rotationId: null, secondsFromFindingToDead: null, reason }], { foundAt: event.foundAt, where: event.finding.location.path ?? undefined });
        return { action: 'alert-only', version: version.number };
      });
    },
  };
}

/**
 * The provider preflight for one credential (see `rotation/preflight.ts`): the adapter is
 * built from the environment as a rotation would build it, so a missing admin key is the
 * first failed check, naming the variable to set.
 */
export async function preflightCredential(
  context: CliContext,
  credential: import('../core/types.js').Credential,
  current?: { value: import('../core/secret-value.js').SecretValue; providerKeyId: string | null },
): Promise<import('../rotation/preflight.js').PreflightCheck[]> {
  const { createProvider } = await import('../providers/provider-registry.js');
  const { runPreflight } = await import('../rotation/preflight.js');
  const { reasonOf, isRekeyError } = await import('../core/errors.js');
  let provider;
  try {
    provider = await createProvider(credential.provider, {});
  } catch (error) {
    const hint = isRekeyError(error) && error.hint !== undefined ? ` (${error.hint})` : '';
    return [{ check: 'admin access', result: 'failed', detail: reasonOf(error) + hint }];
  }
  let stored = current;
  if (stored === undefined) {
    const version = await context.store.getVersionByStage(credential.id, 'current');
    if (version !== undefined) stored = { value: await context.vault.reveal(credential, version.number), providerKeyId: version.providerKeyId };
  }
  return runPreflight({ provider, credential, current: stored });
}

/** The preflight as lines under `preflight` (✓ ok, ✗ failed, - skipped). */
export function printPreflight(checks: ReadonlyArray<import('../rotation/preflight.js').PreflightCheck>, indent = '  '): void {
  for (const check of checks) {
    const mark = check.result === 'ok' ? colour.green('✓') : check.result === 'failed' ? colour.red('✗') : colour.dim('-');
    process.stdout.write(`${indent}${mark} ${check.check.padEnd(16)} ${check.detail}\n`);
  }
}
