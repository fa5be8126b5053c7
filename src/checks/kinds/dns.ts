import { excerpt } from '../../model/match.js';
import { resolveServiceRef, type Replica } from '../../model/refs.js';
import type { Outcome } from '../../model/check.js';
import { acrossReplicas } from '../../live/replicas.js';
import { defineKind } from '../../live/check.js';
import type { Runtime } from '../../live/runtime.js';
import { dnsSchema, type Dns } from './dns.schema.js';

/**
 * `dns`: a name looked up from inside a service, by its own resolver (Docker's embedded DNS on
 * a compose network), in a probe sidecar that shares its network namespace. Where the name is
 * a service, every address must be one of that service's containers: a name that reaches
 * something else fails, naming what it reached.
 */
export const dns = defineKind({
  ...dnsSchema,
  async attempt(c, ctx) {
    const rt = ctx.runtime!;
    const owner = ownerOf(c.dns, c.expect.to, rt);
    const owners = owner === undefined ? undefined : await addressesOf(rt, owner, ctx.signal);
    return acrossReplicas(rt.replicas(c.dns.from), c.any, async (r: Replica): Promise<Outcome> => {
      const res = await rt.probe(r, ['nslookup', c.dns.name], ctx.signal);
      const addresses = answers(res.stdout);
      const evidence = {
        from: r.containerName,
        name: c.dns.name,
        addresses,
        ...(owners && { containers: addresses.map((a) => owners.get(a) ?? null) }),
        ...(!addresses.length && { output: excerpt(`${res.stdout}${res.stderr}`) }),
      };
      const where = `in ${r.containerName}`;
      if (!addresses.length)
        return c.expect.resolves
          ? { status: 'failed', message: `${c.dns.name} does not resolve ${where}`, evidence }
          : { status: 'passed', message: `${c.dns.name} does not resolve ${where}`, evidence };
      if (!c.expect.resolves)
        return {
          status: 'failed',
          message: `${c.dns.name} resolves ${where} to ${addresses.join(', ')}; expected no answer`,
          evidence,
        };
      const strangers = owners ? addresses.filter((a) => !owners.has(a)) : [];
      if (strangers.length)
        return {
          status: 'failed',
          message: `${c.dns.name} resolves ${where} to ${strangers.join(', ')}, not a container of ${owner}`,
          evidence,
        };
      const named = owners
        ? ` (${[...new Set(addresses.map((a) => owners.get(a)))].join(', ')})`
        : '';
      return {
        status: 'passed',
        message: `${c.dns.name} → ${addresses.join(', ')}${named} ${where}`,
        evidence,
      };
    });
  },
});

/** The service the answers must belong to: `to`, or the service `name` is in `from`'s topology. */
function ownerOf(spec: Dns, to: string | undefined, rt: Runtime): string | undefined {
  if (to !== undefined) return to;
  const from = resolveServiceRef(rt.suite, spec.from);
  if (typeof from === 'string') return undefined;
  const topology = rt.suite.topologies.find((t) => t.name === from.topology);
  return topology?.project.services[spec.name] ? `${from.topology}/${spec.name}` : undefined;
}

/** Every address of the service's running containers, on every network, by container name. */
async function addressesOf(
  rt: Runtime,
  ref: string,
  signal: AbortSignal,
): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  for (const r of rt.replicas(ref)) {
    const state = await rt.inspect(r, signal);
    for (const n of state.networks ?? [])
      for (const a of [n.ipv4, n.ipv6]) if (a) owners.set(a, r.containerName);
  }
  return owners;
}

/**
 * The addresses nslookup answered with: the `Address` lines after a `Name:` line (the lines
 * before it name the resolver). Busybox and bind write `Address: 10.0.0.2` or `Address 1: …`.
 */
export function answers(output: string): string[] {
  const out: string[] = [];
  let named = false;
  for (const line of output.split('\n')) {
    if (/^Name:/.test(line)) named = true;
    const m = named ? /^Address(?: \d+)?:\s*(\S+)/.exec(line) : null;
    if (m && !out.includes(m[1]!)) out.push(m[1]!);
  }
  return out;
}
