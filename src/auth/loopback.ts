// loopback_users: users (guest by default) that may only connect over a loopback interface.
// RabbitMQ (rabbit_net:is_loopback) looks at the address the client connected *to*: 127.0.0.0/8,
// ::1, or an IPv4-mapped 127.x address. A socket whose local end is a loopback address can only
// have a peer on this host's loopback interface, so this is the same as "connected from localhost".
import { isIPv4, isIPv6 } from 'node:net';

/** Is this address (as Node reports it: "127.0.0.1", "::1", "::ffff:127.0.0.1") a loopback address? */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.replace(/%.*$/, ''); // an IPv6 zone id ("::1%lo") names the interface, not the address
  if (isIPv4(a)) return a.startsWith('127.');
  if (!isIPv6(a)) return false;
  // the URL parser prints IPv6 in canonical form: "::1", and IPv4-mapped as "::ffff:7f00:1"
  const canonical = new URL(`http://[${a}]/`).hostname.slice(1, -1);
  if (canonical === '::1') return true;
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(canonical);
  return mapped !== null && parseInt(mapped[1] as string, 16) >> 8 === 127;
}

/** May `user` connect to `localAddress`, given the configured loopback_users? */
export function loopbackAllowed(user: string, localAddress: string | undefined, loopbackUsers: readonly string[]): boolean {
  return !loopbackUsers.includes(user) || isLoopbackAddress(localAddress);
}
