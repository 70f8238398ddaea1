/** `rekey serve`: the key-delivery endpoint for the SDK (long poll), with health endpoints. */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { describeDatabase, withCliContext, type CliContext } from '../cli-context.js';
import { openRotationExecutor } from '../cli-services.js';
import { colour } from '../output.js';
import { VERSION } from '../version.js';
import type { ApiServices } from '../../server/api/api-services.js';
import { addListenerOptions, listenerTransportOf, type ListenerFlags } from '../listener-options.js';

export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new UsageError(`--port must be a port number (0-65535), not "${text}"`);
  return port;
}

/** Resolves on SIGINT or SIGTERM. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** What the management API of `rekey serve` runs on: this process's store, vault, audit log and rotation engine. */
export async function managementServices(context: CliContext, publicUrl?: string): Promise<ApiServices> {
  const { createAccessControl } = await import('../../team/access-control.js');
  // A sealed install checks the team's rows (users, roles, bindings) against their MACs (issue 11).
  const integrity = context.integrity.sealed ? context.integrity.rows : undefined;
  const [{ createTotpSecondFactor }, { createMfaSecondFactor, webauthnConfigFromUrl }, { approvalLinkKey }, { createStepUpGate }, { createApprovalGate }] = await Promise.all([
    import('../../team/mfa-service.js'),
    import('../../team/webauthn-service.js'),
    import('../../team/approval-link.js'),
    import('../../server/middleware/step-up/step-up-gate.js'),
    import('../../server/middleware/approval/approval-gate.js'),
  ]);
  const access = createAccessControl({ store: context.store, integrity, onTampered: (what) => process.stderr.write(colour.yellow(`rekey serve: ${what} fails its integrity check and grants nothing`) + '\n') });
  const envelope = context.keys.envelope;
  const { createAuditLog } = await import('../../audit/audit-log.js');
  // The server's own audit log: its events name the person of each request, not this OS user.
  const audit = createAuditLog({ store: context.store, clock: context.clock, chain: context.integrity.sealed ? context.integrity.chain : undefined });
  // Passkeys are bound to the origin people reach the server at (an https name, or http://localhost).
  const webauthn = publicUrl === undefined ? undefined : webauthnConfigFromUrl(publicUrl);
  const loginDeps = { store: context.store, audit, clock: context.clock, actor: 'login', integrity };
  return {
    integrity,
    store: context.store,
    vault: context.vault,
    audit,
    clock: context.clock,
    rotations: (recorder) => openRotationExecutor({ ...context, audit: { ...audit, record: recorder.record } }),
    fingerprintSalt: context.keys.fingerprintSalt,
    access,
    team: { envelope, linkKey: approvalLinkKey(context.keys.material.key) },
    webauthn,
    sessions: { secondFactor: createMfaSecondFactor({ ...loginDeps, webauthn }, createTotpSecondFactor({ ...loginDeps, envelope })) },
    gates: [createStepUpGate({ access, clock: context.clock }), createApprovalGate({ store: context.store, clock: context.clock, integrity })],
    byok: await (await import('../byok-wiring.js')).openByok(context, (message) => process.stderr.write(colour.yellow(`rekey serve: ${message}`) + '\n')),
  };
}

export function register(program: Command): void {
  addListenerOptions(program.command('serve'))
    .description('Serve keys to applications (SDK) with per-application read tokens: GET /v1/credentials/<name>/keys, long poll, check-ins')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '8420')
    .option('--public-url <url>', 'the URL people reach this server at (https, or http://localhost:PORT): passkeys are bound to its host name and origin (default: $REKEY_PUBLIC_URL; none: no passkeys)')
    .action(async (options: { host: string; port: string; publicUrl?: string } & ListenerFlags) => {
      const port = parsePort(options.port);
      const transport = listenerTransportOf(options);
      const publicUrl = options.publicUrl ?? (process.env.REKEY_PUBLIC_URL === undefined || process.env.REKEY_PUBLIC_URL === '' ? undefined : process.env.REKEY_PUBLIC_URL);
      const { startKeyServer } = await import('../../server/key-server.js');
      await withCliContext(async (context) => {
        const { home, store, vault } = context;
        const database = describeDatabase(home);
        const server = await startKeyServer({
          store,
          vault,
          audit: context.audit,
          host: options.host,
          port,
          transport,
          onError: (message) => process.stderr.write(`rekey serve: ${message}\n`),
          api: { services: await managementServices(context, publicUrl), version: VERSION },
          onNotice: (message) => process.stderr.write(`rekey serve: ${message}\n`),
        });
        process.stderr.write(`rekey serve: listening on ${server.url} (${database.label}${database.databaseUrl === undefined ? ', polling for changes' : ', LISTEN/NOTIFY'})\n`);
        process.stderr.write(`rekey serve: dashboard at ${server.url.replace(/\/$/, '')}/ui/ (sign in with a rekey user: rekey user add <name>)\n`);
        const signal = await untilSignal();
        process.stderr.write(`rekey serve: ${signal}, closing\n`);
        await server.close();
      });
    });
}
