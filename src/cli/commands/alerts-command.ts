/**
 * `rekey alerts list|show|test|ack|resolve|retry|deliver`: what alerts are open, what the
 * outbox still has to deliver (and what is dead), a test message along every route, a
 * person's acknowledge or resolve, and the outbox worker (`deliver`, a daemon, or `--once`).
 * Routes and rules come from the `notifications` section of rekey.yaml (`--config`,
 * $REKEY_CONFIG or ./rekey.yaml).
 */
import type { Command } from 'commander';
import { NotFoundError, UsageError } from '../../core/errors.js';
import { parseDurationSeconds } from '../../core/duration.js';
import type { AlertRecord, AlertState, OutboxMessage } from '../../store/alert-store-types.js';
import { withCliContext } from '../cli-context.js';
import { colour, outputFormat, printJson, printList, type Column } from '../output.js';

interface ConfigOption {
  config?: string;
}

const alertColumns: Array<Column<AlertRecord>> = [
  { header: 'ALERT', value: (alert) => alert.key },
  { header: 'STATE', value: (alert) => alert.state },
  { header: 'SEVERITY', value: (alert) => alert.severity },
  { header: 'TITLE', value: (alert) => String(alert.event['title'] ?? '') },
  { header: 'SEEN', value: (alert) => String(alert.occurrences) },
  { header: 'SINCE', value: (alert) => alert.firstSeenAt.toISOString() },
  { header: 'ROUTES', value: (alert) => alert.channels.join(',') },
];

const outboxColumns: Array<Column<OutboxMessage>> = [
  { header: 'MESSAGE', value: (message) => message.id },
  { header: 'ACTION', value: (message) => message.action },
  { header: 'STATE', value: (message) => message.state },
  { header: 'ATTEMPTS', value: (message) => String(message.attempts) },
  { header: 'NEXT', value: (message) => (message.state === 'pending' ? message.nextAttemptAt.toISOString() : '') },
  { header: 'ERROR', value: (message) => message.lastError ?? '' },
];

function alertJson(alert: AlertRecord): Record<string, unknown> {
  return {
    key: alert.key,
    kind: alert.kind,
    severity: alert.severity,
    state: alert.state,
    title: alert.event['title'] ?? null,
    credential: alert.event['credential'] ?? null,
    routes: alert.channels,
    occurrences: alert.occurrences,
    round: alert.round,
    reminders: alert.reminders,
    firstSeenAt: alert.firstSeenAt.toISOString(),
    lastSeenAt: alert.lastSeenAt.toISOString(),
    resolvedAt: alert.resolvedAt?.toISOString() ?? null,
    by: alert.by,
  };
}

function outboxJson(message: OutboxMessage): Record<string, unknown> {
  return {
    id: message.id,
    alert: message.alertKey,
    route: message.channel,
    action: message.action,
    state: message.state,
    attempts: message.attempts,
    nextAttemptAt: message.nextAttemptAt.toISOString(),
    lastError: message.lastError,
    createdAt: message.createdAt.toISOString(),
    deliveredAt: message.deliveredAt?.toISOString() ?? null,
  };
}

const STATE_FILTERS: Record<string, AlertState[]> = { open: ['open', 'acknowledged'], unacknowledged: ['open'], resolved: ['resolved'], all: [] };

function printDelivery(round: { delivered: string[]; retrying: Array<{ id: string; error: string }>; dead: Array<{ id: string; error: string }> }, json: boolean): void {
  if (json) return printJson(round);
  for (const id of round.delivered) process.stdout.write(`delivered ${id}\n`);
  for (const item of round.retrying) process.stdout.write(colour.yellow(`will retry ${item.id}: ${item.error}`) + '\n');
  for (const item of round.dead) process.stdout.write(colour.red(`dead ${item.id}: ${item.error}`) + '\n');
}

async function changeAlert(key: string, action: 'ack' | 'resolve', options: ConfigOption & { by?: string; deliver?: boolean; json?: boolean }): Promise<void> {
  await withCliContext(async (context) => {
    const { openAlerts } = await import('../alerts-wiring.js');
    const alerts = await openAlerts(context, options);
    const existing = await context.store.getAlert(key);
    if (existing === undefined) throw new NotFoundError(`no alert ${key}`, { hint: 'rekey alerts list --state all' });
    const by = options.by ?? context.actor;
    const change = action === 'ack' ? await alerts.service.acknowledge(key, by) : await alerts.service.resolve(key, by);
    await context.audit.record({ event: action === 'ack' ? 'alert-acknowledge' : 'alert-resolve', actor: context.actor, credential: existing.event['credential'] === undefined ? null : (existing.event['credential'] as string | null), fingerprint: null, outcome: 'ok', detail: { alert: key, changed: change !== undefined } });
    const round = change !== undefined && options.deliver !== false ? await alerts.deliver() : { delivered: [], retrying: [], dead: [], lost: [] };
    if (options.json === true) return printJson({ alert: alertJson((await context.store.getAlert(key)) as AlertRecord), changed: change !== undefined, delivery: round });
    if (change === undefined) process.stdout.write(`alert ${key} is already ${existing.state}; nothing changed\n`);
    else process.stdout.write(`${action === 'ack' ? 'acknowledged' : 'resolved'} ${key}${change.alert.channels.length === 0 ? '' : ` (told ${change.alert.channels.join(', ')})`}\n`);
    printDelivery(round, false);
  });
}

export function register(program: Command): void {
  const alerts = program.command('alerts').description('Alerts: list open ones and dead messages, test routes, acknowledge, resolve, run the delivery worker');

  alerts
    .command('list')
    .description('List alerts (default: open and acknowledged) and, with --outbox or --dead, outbox messages')
    .option('--state <state>', 'open, unacknowledged, resolved or all', 'open')
    .option('--outbox', 'list outbox messages instead (pending, delivering, delivered, dead)')
    .option('--dead', 'list dead-lettered outbox messages only')
    .option('--limit <n>', 'at most this many rows', '100')
    .option('--json', 'print JSON')
    .option('--output <format>', 'table, json or csv')
    .action(async (options: { state: string; outbox?: boolean; dead?: boolean; limit: string; json?: boolean; output?: string }) => {
      const states = STATE_FILTERS[options.state];
      if (states === undefined) throw new UsageError(`--state must be one of ${Object.keys(STATE_FILTERS).join(', ')}, not "${options.state.slice(0, 40)}"`);
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive whole number, not "${options.limit.slice(0, 20)}"`);
      await withCliContext(async ({ store }) => {
        if (options.outbox === true || options.dead === true) {
          const messages = await store.listOutbox({ ...(options.dead === true ? { states: ['dead'] } : {}), limit });
          return printList(messages, outboxColumns, outputFormat(options), outboxJson);
        }
        const list = await store.listAlerts({ states, limit });
        printList(list, alertColumns, outputFormat(options), alertJson);
        if (outputFormat(options) === 'table') {
          const dead = await store.listOutbox({ states: ['dead'], limit: 1000 });
          const pending = await store.listOutbox({ states: ['pending', 'delivering'], limit: 1000 });
          if (pending.length > 0) process.stdout.write(colour.dim(`${pending.length} message(s) waiting in the outbox`) + '\n');
          if (dead.length > 0) process.stdout.write(colour.red(`${dead.length} dead message(s): rekey alerts list --dead, then rekey alerts retry <id>`) + '\n');
        }
      });
    });

  alerts
    .command('show <alert>')
    .description('Show one alert: its event, facts and every outbox message about it')
    .option('--json', 'print JSON')
    .action(async (key: string, options: { json?: boolean }) => {
      await withCliContext(async ({ store }) => {
        const alert = await store.getAlert(key);
        if (alert === undefined) throw new NotFoundError(`no alert ${key}`, { hint: 'rekey alerts list --state all' });
        const messages = await store.listOutbox({ alertKey: key });
        if (options.json === true) return printJson({ ...alertJson(alert), event: alert.event, messages: messages.map(outboxJson) });
        process.stdout.write(`${String(alert.event['title'] ?? key)}\n${String(alert.event['summary'] ?? '')}\n\n`);
        for (const fact of (alert.event['facts'] as Array<{ label: string; value: string }> | undefined) ?? []) process.stdout.write(`  ${fact.label}: ${fact.value}\n`);
        process.stdout.write(`\n  state: ${alert.state}, seen ${alert.occurrences}×, since ${alert.firstSeenAt.toISOString()}\n\n`);
        printList(messages, outboxColumns, 'table', outboxJson);
      });
    });

  alerts
    .command('test')
    .description('Send a test message along every route (or the one named) now, bypassing the rules')
    .option('--route <name>', 'only this route')
    .option('--config <file>', 'rekey.yaml with the notifications section (default: $REKEY_CONFIG or ./rekey.yaml)')
    .option('--json', 'print JSON')
    .action(async (options: ConfigOption & { route?: string; json?: boolean }) => {
      await withCliContext(async (context) => {
        const { openAlerts } = await import('../alerts-wiring.js');
        const { reasonOf } = await import('../../core/errors.js');
        const runtime = await openAlerts(context, options);
        if (runtime.configPath === null) throw new UsageError('no rekey.yaml: pass --config <file> or set REKEY_CONFIG');
        const names = options.route === undefined ? [...runtime.channels.keys()] : [options.route];
        if (names.length === 0) throw new UsageError(`${runtime.configPath} has no notifications.routes`);
        const now = context.clock.now();
        const { messageIdOf } = await import('../../alerts/alert-service.js');
        const key = `alert-test:${now.toISOString()}`;
        const results: Array<{ route: string; ok: boolean; detail: string }> = [];
        for (const name of names) {
          const channel = runtime.channels.get(name);
          if (channel === undefined) throw new UsageError(`no route named ${name} in ${runtime.configPath}`, { hint: `routes: ${[...runtime.channels.keys()].join(', ') || '(none)'}` });
          try {
            const receipt = await channel.send({
              id: messageIdOf(key, 1, 'trigger'),
              action: 'trigger',
              alertKey: key,
              occurrences: 1,
              firstSeen: now,
              createdAt: now,
              event: { kind: 'alert-test', severity: 'info', key, title: `Test message from rekey (route ${name})`, summary: `If you read this, route ${name} works. Sent by ${context.actor}.`, credential: null, environment: null, facts: [{ label: 'route', value: channel.describe() }], since: now },
            });
            results.push({ route: name, ok: true, detail: receipt.detail });
          } catch (error) {
            results.push({ route: name, ok: false, detail: reasonOf(error) });
          }
        }
        if (options.json === true) printJson(results);
        else for (const result of results) process.stdout.write(`${result.ok ? colour.green('ok') : colour.red('failed')} ${result.route}: ${result.detail}\n`);
        if (results.some((result) => !result.ok)) process.exitCode = 1;
      });
    });

  for (const action of ['ack', 'resolve'] as const) {
    alerts
      .command(`${action} <alert>`)
      .description(action === 'ack' ? 'Acknowledge an open alert: no more reminders; the routes are told' : 'Resolve an alert by hand; the routes are told')
      .option('--by <who>', 'who (default: the CLI user)')
      .option('--no-deliver', 'only write the message to the outbox (the worker sends it)')
      .option('--config <file>', 'rekey.yaml with the notifications section')
      .option('--json', 'print JSON')
      .action((key: string, options: ConfigOption & { by?: string; deliver?: boolean; json?: boolean }) => changeAlert(key, action, options));
  }

  alerts
    .command('retry <message>')
    .description('Put a dead outbox message back to pending (after its route was fixed)')
    .action(async (id: string) => {
      await withCliContext(async ({ store, clock }) => {
        const message = await store.retryOutbox(id, clock.now());
        process.stdout.write(`${message.id} is pending again\n`);
      });
    });

  alerts
    .command('deliver')
    .description('Run the outbox worker: evaluate alert conditions, send reminders and deliver due messages (a daemon; --once for cron)')
    .option('--once', 'one round, then exit')
    .option('--interval <duration>', 'time between rounds', '10s')
    .option('--lease <duration>', 'how long a claimed message is held before another worker may take it', '60s')
    .option('--no-evaluate', 'only deliver; do not evaluate conditions (key age, held rotations, heartbeat)')
    .option('--config <file>', 'rekey.yaml with the notifications section')
    .option('--json', 'print JSON per round')
    .action(async (options: ConfigOption & { once?: boolean; interval: string; lease: string; evaluate?: boolean; json?: boolean }) => {
      const intervalMs = parseDurationSeconds(options.interval, '--interval') * 1000;
      const leaseMs = parseDurationSeconds(options.lease, '--lease') * 1000;
      if (intervalMs < 100) throw new UsageError('--interval must be at least 100ms');
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await withCliContext(async (context) => {
          const { openAlerts, testPause } = await import('../alerts-wiring.js');
          const { runAlertRound } = await import('../../alerts/alert-round.js');
          const runtime = await openAlerts(context, options);
          const deliverOnly = async () => {
            await runtime.service.remindDue();
            await testPause('after-write');
            return runtime.deliver({ leaseMs });
          };
          while (!controller.signal.aborted) {
            const round =
              options.evaluate === false
                ? await deliverOnly()
                : await runAlertRound(
                    { store: context.store, service: runtime.service, clock: context.clock, settings: runtime.settings, deliver: () => runtime.deliver({ leaseMs }) },
                    { checkHeartbeat: true, afterWrite: () => testPause('after-write') },
                  );
            if (options.json === true || round.delivered.length + round.retrying.length + round.dead.length > 0) printDelivery(round, options.json === true);
            if (options.once === true) break;
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, intervalMs);
              controller.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
            });
          }
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
