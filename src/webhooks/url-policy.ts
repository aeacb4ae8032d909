import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
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
  if (host === 'localhost' || host.endsWith('.localhost')) return 'must not point at this machine';
  if (isIP(host) && !isPublic(host)) return 'must not point at a private, loopback or reserved address';
  return null;
}

const isPublic = (address: string): boolean => {
  const parsed = ipaddr.process(address);
  return parsed.range() === 'unicast';
};

/** Checked again at send time, after DNS: a public name may resolve to a private address. */
export async function assertDeliverable(raw: string, allowPrivate: boolean): Promise<void> {
  const problem = urlProblem(raw, allowPrivate);
  if (problem) throw new Error(`the URL ${problem}`);
  if (allowPrivate) return;
  const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true });
  if (addresses.some(({ address }) => !isPublic(address))) throw new Error(`${host} resolves to a private address`);
}
