import { isIP } from 'node:net';
import { checkKeys } from './keys.js';
import type { LayerNetwork } from './layer.js';
import type { LoadContext, Node } from './node.js';
import { num, setDefined, str, strList, typeError } from './read.js';

function address(n: Node, ctx: LoadContext, family: 4 | 6): string | undefined {
  const text = str(n, ctx);
  if (text === undefined || isIP(text) === family) return text;
  ctx.problems.add(
    n.pos,
    `${n.label}: "${text}" is not an IPv${family} address`,
    `Write a plain IPv${family} address without a prefix length.`,
  );
  return undefined;
}

function attachment(n: Node, ctx: LoadContext): LayerNetwork {
  const net: LayerNetwork = { aliases: [], pos: n.keyPos };
  if (n.isNull) return net;
  if (!n.isMap()) {
    typeError(
      n,
      ctx,
      'a mapping or nothing',
      'Write the network name alone, or with aliases / ipv4_address below it.',
    );
    return net;
  }
  checkKeys(n, ['aliases', 'ipv4_address', 'ipv6_address', 'priority'], 'service network', ctx);
  net.aliases = strList(n.child('aliases'), ctx) ?? [];
  setDefined(net, 'ipv4Address', address(n.child('ipv4_address'), ctx, 4));
  setDefined(net, 'ipv6Address', address(n.child('ipv6_address'), ctx, 6));
  setDefined(net, 'priority', num(n.child('priority'), ctx, { integer: true }));
  return net;
}

/** A service's `networks:` as a list of names or a mapping of name -> attachment options. */
export function normalizeServiceNetworks(
  n: Node,
  ctx: LoadContext,
): Record<string, LayerNetwork> | undefined {
  if (n.isNull) return undefined;
  if (n.isMap()) return Object.fromEntries(n.entries().map((e) => [e.key, attachment(e, ctx)]));
  if (!n.isList())
    return typeError(
      n,
      ctx,
      'a list or a mapping',
      'Write networks: [front, back], or a mapping with aliases per network.',
    );
  const out: Record<string, LayerNetwork> = {};
  for (const item of n.items()) {
    const name = str(item, ctx);
    if (name !== undefined) out[name] = { aliases: [], pos: item.pos };
  }
  return out;
}
