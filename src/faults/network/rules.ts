import type { PeerAddress } from './addresses.js';
import type { Rule } from './scripts.js';

/** Traffic a fault applies to: an address, and a TCP port when only that port is meant. */
export interface Destination {
  ip: string;
  port?: number;
}

const family = (ip: string): 4 | 6 => (ip.includes(':') ? 6 : 4);

/**
 * Rules, in a chain that the container's INPUT and OUTPUT jump to, that cut it off from peers.
 *
 * Peers on the same engine (`from`): every packet they send is dropped where it arrives, so
 * both ends see what a real partition shows them: silence and timeouts (a drop on the way out
 * would fail UDP and ICMP sends at once with EPERM). `oneway` drops only packets of
 * connections the peer opened (conntrack's ORIGINAL direction): the peer cannot reach this
 * container, but this container's own connections to the peer get their answers.
 *
 * Peers on another engine (`to`) are reached at their node's address and published ports,
 * and arrive from an address that does not name them (the engine's port proxy); so the
 * connections this container opens to them are cut on the way out instead.
 */
export function partitionRules(
  o: { from: PeerAddress[]; to: PeerAddress[] },
  oneway: boolean,
): Rule[] {
  const rules: Rule[] = [];
  const origin = oneway ? ['-m', 'conntrack', '--ctdir', 'ORIGINAL'] : [];
  for (const p of o.from)
    for (const ip of p.ips)
      rules.push({
        table: 'filter',
        family: family(ip),
        args: ['-s', ip, ...origin, '-j', 'DROP'],
      });
  for (const p of o.to)
    for (const ip of p.ips)
      for (const port of p.tcpPorts)
        rules.push({
          table: 'filter',
          family: family(ip),
          args: ['-d', ip, '-p', 'tcp', '--dport', port, '-j', 'DROP'],
        });
  return rules;
}

/** Every destination of `peers`: any port on the same engine, published ports on another. */
export function destinationsOf(peers: PeerAddress[], tcpOnly = false): Destination[] {
  return peers.flatMap((p) =>
    p.ips.flatMap((ip) =>
      p.sameNode && !tcpOnly ? [{ ip }] : p.tcpPorts.map((port) => ({ ip, port })),
    ),
  );
}

/**
 * Packet loss without netem: the kernel drops that share of the packets arriving at the
 * container (from `src` only, when given), at random (xt_statistic). Dropped on arrival, so
 * the loss is silent as on a real link (a drop on the way out fails UDP and ICMP sends with
 * EPERM); for request/response traffic a lost request and a lost answer cost the same.
 */
export function lossRules(
  percent: number,
  src: Destination[] | undefined,
  families: (4 | 6)[] = [4],
): Rule[] {
  const p = (percent / 100).toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  const drop = ['-m', 'statistic', '--mode', 'random', '--probability', p, '-j', 'DROP'];
  if (!src) {
    return families.map((f) => ({
      table: 'filter' as const,
      family: f,
      args: ['!', '-i', 'lo', ...drop],
    }));
  }
  return src.map((d) => ({
    table: 'filter' as const,
    family: family(d.ip),
    args: ['-s', d.ip, ...(d.port ? ['-p', 'tcp', '--sport', d.port] : []), ...drop],
  }));
}

/**
 * The proxy's rules in the client's namespace: new connections to each target ip:port go to
 * the proxy's local port (nat OUTPUT, REDIRECT); connections that were already open to the
 * target are reset once (filter OUTPUT), so the client reconnects through the proxy. The
 * proxy's own connections (its uid) are exempt from both.
 */
export function proxyRules(
  routes: { ip: string; port: number; local: number }[],
  uid: number,
): Rule[] {
  const notProxy = ['-m', 'owner', '!', '--uid-owner', uid];
  return routes.flatMap((r) => {
    const match = ['-d', r.ip, '-p', 'tcp', '--dport', r.port, ...notProxy];
    return [
      {
        table: 'nat' as const,
        family: 4 as const,
        args: [...match, '-j', 'REDIRECT', '--to-ports', r.local],
      },
      {
        table: 'filter' as const,
        family: 4 as const,
        args: [...match, '-j', 'REJECT', '--reject-with', 'tcp-reset'],
      },
    ];
  });
}
