// The client's address, for the per-address rate limit: the socket's, or, when the socket is one of
// the trusted proxies (TRUSTED_PROXIES), the right-most X-Forwarded-For hop that is not one of them.
// Hops to the left of that were written by the client and can say anything; the right-most
// untrusted one was written by a proxy of ours about the peer it saw.
import { BlockList, isIP } from 'node:net';

/** The trusted proxies as a BlockList (addresses and CIDR ranges, already validated by the config); null when none. */
export function trustedProxyList(entries: readonly string[]): BlockList | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

/** An IP address as one spelling: IPv4-mapped IPv6 (`::ffff:203.0.113.7`) as IPv4, no zone id; null when not an address. */
export function normaliseAddress(raw: string | undefined): string | null {
  if (!raw) return null;
  let a = raw.trim();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a);
  if (mapped && isIP(mapped[1]) === 4) return mapped[1];
  const family = isIP(a);
  if (family === 4) return a;
  if (family === 6) return a.toLowerCase();
  return null;
}

function trustedBy(list: BlockList, address: string): boolean {
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

export function clientAddress(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, trusted: BlockList | null): string {
  const peer = normaliseAddress(socketAddress);
  if (!peer) return 'unknown';
  if (!trusted || !trustedBy(trusted, peer)) return peer;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  let nearest = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normaliseAddress(hops[i]);
    // Not an address: no proxy of ours wrote it, so what lies beyond is the client's word. The last
    // trusted hop is the nearest we can vouch for (its traffic shares one count: the safe side).
    if (!hop) return nearest;
    if (!trustedBy(trusted, hop)) return hop;
    nearest = hop;
  }
  return nearest;
}

/** Expands an IPv6 address (valid, per isIP) to its eight groups. */
function ipv6Groups(address: string): number[] {
  const [head, tail] = address.includes('::') ? (address.split('::') as [string, string]) : [address, null];
  const parse = (part: string) => {
    const groups: number[] = [];
    for (const g of part ? part.split(':') : []) {
      if (g.includes('.')) {
        const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
        groups.push((a << 8) | b, (c << 8) | d);
      } else groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const h = parse(head);
  if (tail === null) return h;
  const t = parse(tail);
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/**
 * What an address is counted as: an IPv4 address itself; an IPv6 address its /64, since one
 * subscriber is usually given a whole /64 and could otherwise take a fresh address per request.
 */
export function addressBucket(address: string): string {
  if (isIP(address) !== 6) return address;
  return `${ipv6Groups(address)
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}
