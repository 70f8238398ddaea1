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
  /** Open connections beyond this are dropped at once (default: unlimited). */
  maxConnections?: number | undefined;
  /**
   * Time a client has to send its request headers (default 20 s): a client that trickles
   * them (slowloris) is disconnected instead of holding a socket.
   */
  headersTimeoutMilliseconds?: number | undefined;
}

export interface Listening {
  url: string;
  /**
   * Stops listening. With `drainMilliseconds`, requests in flight (streams included) get
   * that long to finish before their connections are cut; without, they are cut at once.
   */
  close(options?: { drainMilliseconds?: number }): Promise<void>;
}

const DEFAULT_HEADERS_TIMEOUT_MILLISECONDS = 20_000;

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
/** The peer address of the connection behind a request, from the node adapter's bindings (undefined outside a socket, e.g. `app.request()`). */
export function sourceAddressOf(env: unknown): string | undefined {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress;
}

export async function listenFetch(fetch: (request: Request, env?: unknown) => Response | Promise<Response>, options: ListenOptions): Promise<Listening> {
  const warning = checkListenerTransport(options.host, options);
  const headersTimeout = options.headersTimeoutMilliseconds ?? DEFAULT_HEADERS_TIMEOUT_MILLISECONDS;
  // Node checks the header deadline every connectionsCheckingInterval: keep it below the deadline.
  const timeouts = { headersTimeout, requestTimeout: Math.max(300_000, headersTimeout), connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(headersTimeout / 4))) };
  let server: Server | HttpsServer;
  let stopWatching = () => {};
  if (options.tls === undefined) {
    server = createAdaptorServer({ fetch, overrideGlobalObjects: false, serverOptions: timeouts }) as Server;
  } else {
    const context = await readTlsContext(options.tls);
    const serverOptions: HttpsServerOptions = { ...context, ...timeouts, minVersion: 'TLSv1.2' };
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
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
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
    close: (closing = {}) =>
      new Promise<void>((resolve, reject) => {
        stopWatching();
        const drain = closing.drainMilliseconds ?? 0;
        const timer = drain > 0 ? setTimeout(() => server.closeAllConnections(), drain) : undefined;
        // A keep-alive socket whose request finishes during the drain is closed once idle.
        const sweep = drain > 0 ? setInterval(() => server.closeIdleConnections(), 50) : undefined;
        server.close((error) => {
          clearTimeout(timer);
          clearInterval(sweep);
          if (error === undefined) resolve();
          else reject(error);
        });
        // Idle keep-alive sockets go now; busy ones finish their request first (or are cut now).
        if (drain > 0) server.closeIdleConnections();
        else server.closeAllConnections();
      }),
  };
}
