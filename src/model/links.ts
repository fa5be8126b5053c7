import { resolveServiceRef, type RefScope } from './refs.js';
import type { CheckLink, ServiceRefUse } from './suite.js';

/**
 * The connections a check exercises, for the reports' suite diagram: from each service it
 * acts from (a probe's `from:`, a propagation's `write`) to each other service it names.
 * Read off the paths where its kind names services, so every kind with a `from:` is covered
 * without knowing about links; a check that acts from the runner exercises none.
 */
export function checkLinks(
  suite: RefScope,
  uses: ServiceRefUse[],
  entry: Record<string, unknown>,
): CheckLink[] {
  const named = uses.flatMap((u) => {
    const r = resolveServiceRef(suite, u.ref);
    return typeof r === 'string' ? [] : [{ path: u.path, target: `${r.topology}/${r.service}` }];
  });
  const acts = (u: { path: (string | number)[] }) =>
    u.path.includes('from') || u.path.includes('write');
  const links = new Map<string, CheckLink>();
  for (const from of named.filter(acts)) {
    for (const to of named.filter((u) => !acts(u) && u.target !== from.target)) {
      const port = portAt(entry, to.path);
      links.set(`${from.target}>${to.target}:${port}`, {
        from: from.target,
        to: to.target,
        ...(port !== undefined && { port }),
      });
    }
  }
  return [...links.values()];
}

/** The port beside a service reference (`http: {service, port}`), or in it (`reach: {to: api:8080}`). */
function portAt(entry: Record<string, unknown>, path: (string | number)[]): number | undefined {
  const get = (p: (string | number)[]) =>
    p.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as never)[k] : undefined), entry);
  const beside = (get(path.slice(0, -1)) as { port?: unknown } | undefined)?.port;
  if (typeof beside === 'number') return beside;
  const inText = /:(\d+)$/.exec(String(get(path) ?? ''))?.[1];
  return inText === undefined ? undefined : Number(inText);
}
