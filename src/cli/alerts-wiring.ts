/**
 * The alert services a command gets: the routing and settings from the `notifications`
 * section of rekey.yaml, the live channels (secrets resolved from this process's
 * environment or rekey's vault), the alert service over the store and the outbox worker.
 *
 * Which rekey.yaml: `--config <file>`, else $REKEY_CONFIG, else ./rekey.yaml when it
 * exists. Without one, alerts are still recorded (and listed) but routed nowhere.
 *
 * Test seam: REKEY_TEST_ALERT_PAUSE=<point> (after-write, after-claim, after-send) makes the
 * process print `rekey-test-paused <point>` on stderr and stop there for good, so the crash
 * tests can SIGKILL it at that exact point. Nothing else reads it.
 */
import { existsSync } from 'node:fs';
import { alertSettingsOf, createRouteChannels, type AlertSettings, type NotificationsInput } from '../alerts/alert-config.js';
import { createAlertService, type AlertService } from '../alerts/alert-service.js';
import type { AlertChannel } from '../alerts/channels/channel-spec.js';
import { drainOutbox, type DeliveryRound, type OutboxWorkerOptions } from '../alerts/outbox-worker.js';
import { createSecretResolver } from '../alerts/secret-reference.js';
import type { RotationAlerts } from '../rotation/rotation-deps.js';
import type { CliContext } from './cli-context.js';

export interface AlertsRuntime {
  configPath: string | null;
  settings: AlertSettings;
  channels: Map<string, AlertChannel>;
  service: AlertService;
  deliver(options?: Partial<Pick<OutboxWorkerOptions, 'leaseMs' | 'maxAttempts' | 'backoffMs'>>): Promise<DeliveryRound>;
}

export function alertsConfigPath(explicit: string | undefined): string | null {
  if (explicit !== undefined && explicit !== '') return explicit;
  const fromEnvironment = process.env.REKEY_CONFIG;
  if (fromEnvironment !== undefined && fromEnvironment !== '') return fromEnvironment;
  return existsSync('rekey.yaml') ? 'rekey.yaml' : null;
}

export type TestPausePoint = 'after-write' | 'after-claim' | 'after-send';

/** Stops the process for good at `point` when the crash tests ask for it (see the header). */
export async function testPause(point: TestPausePoint): Promise<void> {
  if (process.env.REKEY_TEST_ALERT_PAUSE !== point) return;
  process.stderr.write(`rekey-test-paused ${point}\n`);
  await new Promise<never>(() => {
    setInterval(() => undefined, 60_000);
  });
}

export async function openAlerts(context: CliContext, options: { config?: string | undefined } = {}): Promise<AlertsRuntime> {
  const configPath = alertsConfigPath(options.config);
  let section: NotificationsInput | undefined;
  if (configPath !== null) {
    const { loadPolicyFile } = await import('../policy/policy-loader.js');
    section = loadPolicyFile(configPath).file.notifications as NotificationsInput | undefined;
  }
  const settings = alertSettingsOf(section);
  const secrets = createSecretResolver({
    environment: process.env,
    vaultCurrent: async (name) => {
      const credential = await context.store.getCredential(name);
      if (credential === undefined) return undefined;
      return (await context.vault.revealStage(credential, 'current'))?.value;
    },
  });
  const channels = await createRouteChannels(section, { secrets });
  const service = createAlertService({ store: context.store, clock: context.clock, rules: settings.rules, remindAfterMs: settings.remindAfterMs });
  const holder = `${(await import('node:os')).hostname()}:${process.pid}:alerts`;
  return {
    configPath,
    settings,
    channels,
    service,
    deliver: (overrides = {}) =>
      drainOutbox({
        store: context.store,
        channels,
        clock: context.clock,
        holder,
        ...overrides,
        hooks: { afterClaim: () => testPause('after-claim'), afterSend: () => testPause('after-send') },
      }),
  };
}

/** One alert round of the scheduler daemon: its heartbeat, the conditions, reminders, delivery. */
export async function schedulerAlertRound(context: CliContext, alerts: AlertsRuntime, workerId: string): Promise<DeliveryRound> {
  const { runAlertRound } = await import('../alerts/alert-round.js');
  return runAlertRound(
    { store: context.store, service: alerts.service, clock: context.clock, settings: alerts.settings, deliver: () => alerts.deliver() },
    { beatAs: workerId, afterWrite: () => testPause('after-write') },
  );
}

/** What the rotation engine calls when a rotation holds: raise the alert and try to send it at once. */
export async function rotationAlertsFor(context: CliContext, open: () => Promise<AlertsRuntime>): Promise<RotationAlerts> {
  const { createRotationAlerts } = await import('../alerts/alert-round.js');
  return createRotationAlerts({ open, now: () => context.clock.now() });
}
