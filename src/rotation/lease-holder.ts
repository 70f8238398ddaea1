/**
 * Who holds a rotation lease, and whether that process still exists. Holders are named
 * `<host>:<pid>:…`; a holder on this host whose process has exited cannot renew its lease,
 * so waiting for the lease to expire (up to its TTL) would only make a person wait. A pid
 * can be reused by an unrelated process, which makes a dead holder look alive: that errs
 * on the side of waiting, never of taking over a live worker's lease.
 */
import { hostname } from 'node:os';

export interface LeaseHolder {
  host: string;
  pid: number;
}

export function parseLeaseHolder(holder: string): LeaseHolder | undefined {
  const match = /^(.+?):(\d+):/.exec(holder);
  if (match === null) return undefined;
  const pid = Number(match[2]);
  return Number.isSafeInteger(pid) && pid > 0 ? { host: match[1] ?? '', pid } : undefined;
}

/** True only when the holder is on this host and its process is gone. */
export function isHolderGone(holder: string, thisHost: string = hostname()): boolean {
  const parsed = parseLeaseHolder(holder);
  if (parsed === undefined || parsed.host !== thisHost || parsed.pid === process.pid) return false;
  try {
    process.kill(parsed.pid, 0);
    return false;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
