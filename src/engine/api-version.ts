/**
 * The Engine API versions stackcheck talks. Every request goes to /v{version}/…, the version
 * negotiated once per engine at connect: the engine's own, capped at the newest stackcheck
 * has read the changes of (fields it reads and sends, checked against the API's version
 * history), and refused below the oldest it is tested on.
 *
 * 1.41 Docker 20.10 (and Podman's compat API, which reports 1.41 in 4.x and 5.x);
 * 1.44 Docker 25: healthcheck StartInterval, MacAddress per network endpoint, several
 *      networks at create; Docker 29.0–29.2 refuse clients below it;
 * 1.45 Docker 26: aliases no longer carry the container's short id;
 * 1.48 Docker 28.0; 1.49 Docker 28.1: /info FirewallBackend;
 * 1.51 Docker 28.5; 1.52 Docker 29: events without the top-level status, id and from.
 */
export const OLDEST_API = '1.41';
export const NEWEST_API = '1.52';

/** Compares "1.44"-style versions numerically. */
export function compareApi(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

export function apiAtLeast(version: string | undefined, min: string): boolean {
  return version !== undefined && compareApi(version, min) >= 0;
}

/**
 * The version to talk at, given what the engine offers (its ApiVersion, and the oldest it
 * accepts where it says): undefined when the engine is older than OLDEST_API.
 */
export function negotiateApi(engineApi: string, engineMinApi?: string): string | undefined {
  if (compareApi(engineApi, OLDEST_API) < 0) return undefined;
  const talk = compareApi(engineApi, NEWEST_API) < 0 ? engineApi : NEWEST_API;
  // An engine whose oldest accepted version is above ours (none today) gets its oldest.
  return engineMinApi && compareApi(talk, engineMinApi) < 0 ? engineMinApi : talk;
}
