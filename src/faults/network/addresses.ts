import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Replica } from '../../model/refs.js';
import type { Runtime } from '../../live/runtime.js';
import type { ContainerState } from '../../engine/engine.js';
import { isLoopback } from '../../common/host-address.js';

/**
 * How one container is reached from another, for rules that match it: on a network both are
 * on, by its addresses on its networks (any port; `tcpPorts` are the ports it exposes);
 * otherwise by the address its published ports are at, as the other container sees it (that
 * node's address, or on the same engine the gateway of its own networks) and those host
 * ports: the only way containers on different engines, or in compose projects that share no
 * network, talk (Runtime.peerAddresses routes probes the same way).
 */
export interface PeerAddress {
  replica: Replica;
  sameNode: boolean;
  ips: string[];
  tcpPorts: number[];
}

/** Inspections shared by every lookup of one step. */
export class Addresses {
  private readonly states = new Map<string, Promise<ContainerState>>();
  private readonly hosts = new Map<string, Promise<string>>();

  constructor(
    private readonly rt: Runtime,
    private readonly signal?: AbortSignal,
  ) {}

  state(r: Replica): Promise<ContainerState> {
    let s = this.states.get(r.containerId);
    if (!s) {
      s = this.rt.inspect(r, this.signal);
      this.states.set(r.containerId, s);
    }
    return s;
  }

  /** `peer` as seen from the container of `from`. */
  async peer(from: Replica, peer: Replica): Promise<PeerAddress> {
    const s = await this.state(peer);
    const local = peer.node === from.node ? await this.state(from) : undefined;
    const mine = new Set((local?.networks ?? []).map((n) => n.name));
    if (local && (s.networks ?? []).some((n) => mine.has(n.name))) {
      const ips = (s.networks ?? []).flatMap((n) =>
        [n.ipv4, n.ipv6].filter((x) => !!x),
      ) as string[];
      const tcpPorts = (s.exposedPorts ?? [])
        .filter((p) => p.protocol === 'tcp')
        .map((p) => p.port);
      return { replica: peer, sameNode: true, ips: uniq(ips), tcpPorts: uniq(tcpPorts) };
    }
    const tcpPorts = s.ports.filter((p) => p.protocol === 'tcp' && p.hostPort > 0);
    const gateways = (local?.networks ?? []).flatMap((n) => (n.gateway ? [n.gateway] : []));
    const node = await this.nodeIp(peer.node);
    return {
      replica: peer,
      sameNode: false,
      ips: uniq(local && isLoopback(node) ? gateways : [node, ...gateways]),
      tcpPorts: uniq(tcpPorts.map((p) => p.hostPort)),
    };
  }

  /** The address other nodes reach a node's published ports at, as an IP (rules need one). */
  private nodeIp(node: string): Promise<string> {
    let p = this.hosts.get(node);
    if (!p) {
      const host = this.rt.nodeHost(node);
      p = isIP(host) ? Promise.resolve(host) : lookup(host).then((a) => a.address);
      this.hosts.set(node, p);
    }
    return p;
  }
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
