/**
 * The key per-address limits count against. An IPv6 host usually owns a whole /64 and can
 * pick a fresh address in it for every connection, so IPv6 addresses are keyed by their /64;
 * IPv4 (also when written IPv4-mapped, ::ffff:a.b.c.d) by the address itself.
 */
import ipaddr from 'ipaddr.js';

export function limitKey(address: string): string {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address.replace(/%.*$/, '')); // drop an IPv6 zone id (fe80::1%eth0)
  } catch {
    return address; // not an address (a proxy header with a name in it): limit by the text itself
  }
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
    const prefix = v6.parts.slice(0, 4).map((p) => p.toString(16));
    return `${prefix.join(':')}::/64`;
  }
  return parsed.toString();
}

/** The client's address as seen by this server, or the first X-Forwarded-For hop behind a trusted proxy. */
export function socketAddress(
  handshake: { address: string; headers: Record<string, string | string[] | undefined> },
  trustProxy: boolean,
): string {
  if (trustProxy) {
    const fwd = handshake.headers['x-forwarded-for'];
    const first = (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return handshake.address;
}
