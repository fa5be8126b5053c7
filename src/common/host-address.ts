import { isIP } from 'node:net';

/**
 * A host that names this machine's loopback: reached there, it is the caller itself (inside a
 * container, the container), so nothing on another machine or in another container is.
 */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** A binding address that means every interface of its machine (as engines and compose write it). */
export function isWildcard(ip: string): boolean {
  return ip === '' || ip === '0.0.0.0' || ip === '::' || ip === '[::]';
}
