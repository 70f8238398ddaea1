/**
 * TLS for the two listeners: PEM files read at start and again whenever they change, so a
 * renewed certificate (certbot, cert-manager's secret volume, a hand copy) is served to new
 * connections without a restart. A half-written pair (certificate renewed, key not yet) does
 * not replace the working context: the next change, or the fallback poll, tries again.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { ConfigError } from '../core/errors.js';

export interface ListenerTlsFiles {
  /** PEM certificate chain, leaf first. */
  certFile: string;
  /** PEM private key of the certificate. */
  keyFile: string;
  /** PEM CA bundle: when set, clients must present a certificate it issued (mutual TLS). */
  clientCaFile?: string | undefined;
}

/** The PEM contents of the files, checked by building a secure context from them. */
export async function readTlsContext(files: ListenerTlsFiles): Promise<SecureContextOptions> {
  const read = async (path: string, what: string) => {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`the TLS ${what} ${path} could not be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  const context: SecureContextOptions = { cert: await read(files.certFile, 'certificate'), key: await read(files.keyFile, 'key') };
  if (files.clientCaFile !== undefined) context.ca = await read(files.clientCaFile, 'client CA bundle');
  try {
    createSecureContext(context);
  } catch (error) {
    // OpenSSL's reason ("key values mismatch", "no start line"), never the file's bytes.
    const reason = (error as Error).message.replace(/[\r\n]+/g, ' ').slice(0, 160);
    throw new ConfigError(`the TLS files ${[files.certFile, files.keyFile, files.clientCaFile].filter((path) => path !== undefined).join(', ')} do not make a usable certificate: ${reason}`, {
      hint: 'the certificate and key must be PEM and belong together (openssl x509 -noout -pubkey -in cert | openssl sha256 equals the same for the key)',
    });
  }
  return context;
}

export interface TlsReloaderOptions {
  files: ListenerTlsFiles;
  /** Gets each new, checked context. */
  apply(context: SecureContextOptions): void;
  onReload?: ((message: string) => void) | undefined;
  onError?: ((message: string) => void) | undefined;
  /** Fallback re-read for file systems whose change events do not arrive (default 60 s). */
  pollMilliseconds?: number | undefined;
}

const sameContext = (left: SecureContextOptions, right: SecureContextOptions) => left.cert === right.cert && left.key === right.key && left.ca === right.ca;

/**
 * Watches the files' directories (a rename into place and a Kubernetes `..data` swap change the
 * directory, not the old inode) and applies the files whenever their contents differ from what
 * is served. Returns a stop function.
 */
export function watchTlsFiles(initial: SecureContextOptions, options: TlsReloaderOptions): () => void {
  let served = initial;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  let lastError = '';

  const reload = async () => {
    let next: SecureContextOptions;
    try {
      next = await readTlsContext(options.files);
    } catch (error) {
      const message = `${(error as Error).message}; still serving the previous certificate`;
      if (message !== lastError) options.onError?.(message);
      lastError = message;
      return;
    }
    lastError = '';
    if (stopped || sameContext(next, served)) return;
    options.apply(next);
    served = next;
    options.onReload?.(`TLS certificate reloaded from ${options.files.certFile}`);
  };
  const schedule = () => {
    if (stopped) return;
    clearTimeout(timer);
    // Editors and renewers write in several steps: settle for a moment, then read once.
    timer = setTimeout(() => {
      running = running.then(reload);
    }, 50);
  };

  const watchers: FSWatcher[] = [];
  const directories = new Set([options.files.certFile, options.files.keyFile, options.files.clientCaFile].filter((path) => path !== undefined).map((path) => dirname(path)));
  for (const directory of directories) {
    try {
      const watcher = watch(directory, { persistent: false }, schedule);
      watcher.on('error', (error) => options.onError?.(`watching ${directory} for TLS changes failed (${error.message}); the ${Math.round((options.pollMilliseconds ?? 60_000) / 1000)} s poll goes on`));
      watchers.push(watcher);
    } catch (error) {
      options.onError?.(`cannot watch ${directory} for TLS changes (${(error as Error).message}); polling instead`);
    }
  }
  const poll = setInterval(schedule, options.pollMilliseconds ?? 60_000);
  poll.unref();

  return () => {
    stopped = true;
    clearTimeout(timer);
    clearInterval(poll);
    for (const watcher of watchers) watcher.close();
  };
}
