import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Engine } from './engine.js';

/**
 * Where this process reaches the ports a local engine publishes. On the engine's host that is
 * 127.0.0.1; inside one of the engine's own containers with its socket mounted (a GitHub
 * `container:` job, act_runner's default Docker mode) 127.0.0.1 is the container's loopback,
 * and the engine's host is the gateway of the container's network. testcontainers does the
 * same, and takes TESTCONTAINERS_HOST_OVERRIDE for an address set by hand; STACKCHECK_HOST
 * (the action's `host-address` input) is that here.
 */
export const HOST_ENV = 'STACKCHECK_HOST';

type Read = (path: string) => string;

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The id of the container this process runs in, as its engine knows it, if any: Docker mounts
 * /etc/hostname and /etc/resolv.conf from /var/lib/docker/containers/ID/, Podman from
 * .../overlay-containers/ID/userdata/ (seen in mountinfo whatever the cgroup version); cgroup v1
 * also names it in /proc/self/cgroup (docker-ID.scope, /docker/ID, Podman's libpod-ID).
 */
export function ownContainerId(read: Read = readOrEmpty): string | undefined {
  const mount =
    /[/-]containers\/([0-9a-f]{64})\/(?:userdata\/)?(?:hostname|resolv\.conf|hosts)\s/.exec(
      read('/proc/self/mountinfo'),
    );
  if (mount) return mount[1];
  return /(?:\/docker\/|docker-|libpod-)([0-9a-f]{64})(?:\.scope)?\s*$/m.exec(
    read('/proc/self/cgroup'),
  )?.[1];
}

export interface PublishedHost {
  address: string;
  /** Why, for the log. */
  note: string;
}

/**
 * The address for a node reached through a local socket that names no `address:`: the one set
 * by hand, else, when this process runs in a container of that engine, its network's gateway;
 * undefined where 127.0.0.1 is right (on the host, or a container on the host's network).
 */
export async function publishedHost(
  engine: Engine,
  node: string,
  signal?: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
  read: Read = readOrEmpty,
): Promise<PublishedHost | undefined> {
  const manual = env[HOST_ENV]?.trim();
  if (manual)
    return {
      address: manual,
      note: `node "${node}": published ports are reached at ${manual} (${HOST_ENV})`,
    };
  const id = ownContainerId(read);
  if (!id) return undefined;
  // A container of another engine (this process in a container that runs its own dockerd, or
  // reaches a remote one through a forwarded socket) is not one this engine knows.
  const self = await engine.inspectContainer(id, signal).catch(() => undefined);
  const gateway = self?.networks?.map((n) => n.gateway).find((g) => g && isIP(g) === 4);
  if (!gateway) return undefined;
  return {
    address: gateway,
    note:
      `node "${node}": this job runs in container ${id.slice(0, 12)} of the node's engine, so ` +
      `published ports are reached at its network's gateway, ${gateway} (set ${HOST_ENV}, or ` +
      `the action's host-address input, to use another address)`,
  };
}
