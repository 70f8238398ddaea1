/**
 * CIDR binding of access tokens: a token bound to networks is accepted only from a source
 * address inside one of them. Parsing is strict (a bad CIDR is a usage error naming it);
 * matching uses node's BlockList, and an IPv4-mapped IPv6 source (`::ffff:10.1.2.3`, what a
 * dual-stack socket reports) counts as the IPv4 address it carries.
 */
import { BlockList, isIP } from 'node:net';
import { UsageError } from '../core/errors.js';

/** Checks and normalises `10.0.0.0/8`, `192.168.1.7` (one host) or `fd00::/8`; throws a UsageError naming `where`. */
export function parseCidr(text: string, where = '--cidr'): string {
  const [address = '', prefixText, extra] = text.trim().split('/');
  const family = isIP(address);
  const bits = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (family === 0 || extra !== undefined || !(prefix >= 0 && prefix <= bits)) {
    throw new UsageError(`${where} "${text.slice(0, 60)}" is not a CIDR block`, { hint: 'e.g. 10.0.0.0/8, 192.168.1.7 or fd00::/8' });
  }
  return `${address.toLowerCase()}/${prefix}`;
}

function sourceFamily(source: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(source);
  const address = mapped?.[1] ?? source;
  const family = isIP(address);
  if (family === 0) return undefined;
  return { address, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/** True when the token may be used from `source`: no binding, or the source is inside one of `cidrs`. An unknown source is refused. */
export function sourceAllowed(cidrs: readonly string[], source: string | undefined): boolean {
  if (cidrs.length === 0) return true;
  const parsed = source === undefined ? undefined : sourceFamily(source);
  if (parsed === undefined) return false;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', prefix = ''] = cidr.split('/');
    list.addSubnet(address, Number(prefix), isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }
  return list.check(parsed.address, parsed.family);
}
