/**
 * A Hono-style fetch handler on a real socket: the one listener for both faces that hand
 * keys to applications (`rekey serve` in src/server, `rekey proxy` in src/proxy). Plain HTTP
 * only on loopback unless the caller insists; TLS from PEM files reloaded when they change,
 * optionally with client certificates.
 */
import type { Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { ConfigError } from '../core/errors.js';
import { isLoopbackHost } from '../core/loopback-host.js';
import { readTlsContext, watchTlsFiles, type ListenerTlsFiles } from './listener-tls.js';

export type { ListenerTlsFiles } from './listener-tls.js';

/** How a listener protects the tokens and keys it carries. */
export interface ListenerTransport {
  tls?: ListenerTlsFiles | undefined;
  /** Allows plain HTTP on an interface other than loopback; warned about at every start. */
  insecureHttp?: boolean | undefined;
}

export interface ListenOptions extends ListenerTransport {
  host: string;
  port: number;
  /** A certificate reload that failed (the previous one stays), a watch that broke. */
  onError?: ((message: string) => void) | undefined;
  /** A certificate reload that took effect; the --insecure-http warning. */
  onNotice?: ((message: string) => void) | undefined;
  /** The fallback re-read of the TLS files (default 60 s). */
  tlsPollMilliseconds?: number | undefined;
}

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/**
 * Refuses plain HTTP beyond loopback (a read token, a virtual token and the keys themselves
 * would cross the network in clear) unless `insecureHttp`; returns the warning to print then.
 */
export function checkListenerTransport(host: string, transport: ListenerTransport): string | undefined {
  if (transport.tls !== undefined || isLoopbackHost(host)) return undefined;
  if (transport.insecureHttp !== true) {
    throw new ConfigError(`refusing to listen on ${host} with plain HTTP: tokens and keys would cross the network in clear`, {
      hint: 'give --tls-cert and --tls-key (PEM files, reloaded when they change), listen on 127.0.0.1 behind a TLS-terminating proxy, or pass --insecure-http to accept the risk',
    });
  }
  return `WARNING: plain HTTP on ${host} (--insecure-http): read tokens, proxy tokens and keys cross the network unencrypted; anyone on the path can take them`;
}

/** Listens with a Hono fetch handler; shared by `rekey serve` and `rekey proxy`. */
export async function listenFetch(fetch: (request: Request) => Response | Promise<Response>, options: ListenOptions): Promise<Listening> {
  const warning = checkListenerTransport(options.host, options);
  let server: Server | HttpsServer;
  let stopWatching = () => {};
  if (options.tls === undefined) {
    server = createAdaptorServer({ fetch, overrideGlobalObjects: false }) as Server;
  } else {
    const context = await readTlsContext(options.tls);
    const serverOptions: HttpsServerOptions = { ...context, minVersion: 'TLSv1.2' };
    if (options.tls.clientCaFile !== undefined) Object.assign(serverOptions, { requestCert: true, rejectUnauthorized: true });
    const secure = createAdaptorServer({ fetch, overrideGlobalObjects: false, createServer: createHttpsServer, serverOptions }) as HttpsServer;
    stopWatching = watchTlsFiles(context, {
      files: options.tls,
      apply: (next) => secure.setSecureContext({ ...next, minVersion: 'TLSv1.2' }),
      onReload: options.onNotice,
      onError: options.onError,
      pollMilliseconds: options.tlsPollMilliseconds,
    });
    server = secure;
  }
  // Long polls last up to a minute; keep idle sockets a little longer than common client pools.
  server.keepAliveTimeout = 65_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    stopWatching();
    throw error;
  }
  if (warning !== undefined) options.onNotice?.(warning);
  const address = server.address() as AddressInfo;
  const scheme = options.tls === undefined ? 'http' : 'https';
  const url = `${scheme}://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        stopWatching();
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
