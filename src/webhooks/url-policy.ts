import dns from 'node:dns';
import { type LookupFunction, isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where webhooks may be sent. Only http and https, and only to public unicast addresses unless the
 * operator allows private ones (TESSERA_WEBHOOK_ALLOW_PRIVATE, for tests and local development): an
 * integrator's URL must not become a way into the network Tessera runs in.
 */
export function urlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not carry credentials';
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return `must not point at this machine ${ALLOWING}`;
  if (isIP(host) && !isPublic(host)) return `must not point at a private, loopback or reserved address ${ALLOWING}`;
  return null;
}

/** How an operator allows what is refused, for local development. */
const ALLOWING = '(the server allows it with TESSERA_WEBHOOK_ALLOW_PRIVATE=true, for local development)';

const isPublic = (address: string): boolean => {
  const parsed = ipaddr.process(address);
  // ::/96 held IPv4-compatible addresses (deprecated by RFC 4291): `::127.0.0.1` reaches loopback on
  // some stacks, and nothing public lives there.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) return false;
  return parsed.range() === 'unicast';
};

/**
 * A DNS lookup for outgoing webhook connections that refuses private addresses (unless allowed):
 * the address checked is the one connected to.
 */
export function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options }, (error, address, family) => {
      if (error) return callback(error, address, family);
      const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address];
      if (!allowPrivate && addresses.some((a) => !isPublic(a))) {
        return callback(Object.assign(new Error(`${hostname} resolves to a private address`), { code: 'EPRIVATE' }), address, family);
      }
      callback(null, address, family);
    });
  };
}
