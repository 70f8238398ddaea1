/** The TLS and plain-HTTP options `rekey serve` and `rekey proxy` share. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ListenerTransport } from '../access/listen-fetch.js';
import { UsageError } from '../core/errors.js';

export interface ListenerFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  insecureHttp?: boolean;
}

/** Adds the options to a command (first, so the chain of the command's own options goes on). */
export function addListenerOptions(command: Command): Command {
  return command
    .option('--tls-cert <file>', 'PEM certificate chain to serve HTTPS with (reloaded when the file changes)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert (reloaded when the file changes)')
    .option('--tls-client-ca <file>', 'PEM CA bundle: require client certificates it issued (mutual TLS)')
    .option('--insecure-http', 'allow plain HTTP on an interface other than loopback (warned at every start)');
}

export function listenerTransportOf(flags: ListenerFlags): ListenerTransport {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together: give both PEM files');
  if (flags.tlsClientCa !== undefined && flags.tlsCert === undefined) throw new UsageError('--tls-client-ca needs --tls-cert and --tls-key: client certificates are checked over TLS');
  if (flags.tlsCert !== undefined && flags.insecureHttp === true) throw new UsageError('--insecure-http contradicts --tls-cert: choose one');
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) return { insecureHttp: flags.insecureHttp === true };
  return {
    tls: { certFile: resolve(flags.tlsCert), keyFile: resolve(flags.tlsKey), ...(flags.tlsClientCa === undefined ? {} : { clientCaFile: resolve(flags.tlsClientCa) }) },
  };
}
