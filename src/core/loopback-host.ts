/**
 * Whether a host name or address is this machine's loopback: the only place a token or a
 * key may travel over plain HTTP. Pure string work (core has no I/O), so the SDK, the sinks
 * and the listeners share one answer.
 */

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isLoopbackIpv4(address: string): boolean {
  const match = IPV4.exec(address);
  if (match === null) return false;
  const octets = match.slice(1).map(Number);
  return octets.every((octet) => octet <= 255) && octets[0] === 127;
}

/** The eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address;
  const tail: number[] = [];
  const dotted = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted !== null) {
    const ipv4 = dotted[1] ?? '';
    if (IPV4.exec(ipv4) === null) return undefined;
    const octets = ipv4.split('.').map(Number);
    if (octets.some((octet) => octet > 255)) return undefined;
    tail.push(((octets[0] ?? 0) << 8) | (octets[1] ?? 0), ((octets[2] ?? 0) << 8) | (octets[3] ?? 0));
    const prefix = text.slice(0, dotted.index + 1);
    text = prefix.endsWith('::') ? prefix : prefix.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if ([...head, ...rest].some((group) => !/^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined;
  const zeros = new Array<number>(8 - known).fill(0);
  return [...head.map((group) => parseInt(group, 16)), ...zeros, ...rest.map((group) => parseInt(group, 16)), ...tail];
}

/** 127.0.0.0/8, ::1, ::ffff:127.x.y.z and `localhost` (with or without URL brackets). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isLoopbackIpv4(host)) return true;
  const groups = ipv6Groups(host);
  if (groups === undefined) return false;
  if (groups.slice(0, 7).every((group) => group === 0) && groups[7] === 1) return true;
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  return mapped && (groups[6] ?? 0) >> 8 === 127;
}
