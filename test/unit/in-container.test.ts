import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { ownContainerId, publishedHost } from '../../src/engine/in-container.js';

const ID = 'c0ffee'.padEnd(64, '0');
const files =
  (f: Record<string, string>) =>
  (path: string): string =>
    f[path] ?? '';

// /proc/self/mountinfo of a container on cgroup v2 (its /proc/self/cgroup says only "0::/").
const MOUNTINFO_V2 = `612 590 0:52 / / rw,relatime - overlay overlay rw
630 612 254:1 /var/lib/docker/containers/${ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda1 rw
631 612 254:1 /var/lib/docker/containers/${ID}/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw
`;

/** An engine that knows one container, on these networks. */
function engineWith(networks: { name: string; gateway?: string }[]): Engine {
  return {
    inspectContainer: (id: string) =>
      id === ID
        ? Promise.resolve({ networks })
        : Promise.reject(new Error(`no such container: ${id}`)),
  } as unknown as Engine;
}

describe('the container this process runs in', () => {
  it('is found from mountinfo (any cgroup version) or a v1 cgroup line, else none', () => {
    expect(ownContainerId(files({ '/proc/self/mountinfo': MOUNTINFO_V2 }))).toBe(ID);
    expect(ownContainerId(files({ '/proc/self/cgroup': `12:pids:/docker/${ID}\n` }))).toBe(ID);
    expect(
      ownContainerId(files({ '/proc/self/cgroup': `0::/system.slice/docker-${ID}.scope\n` })),
    ).toBe(ID);
    expect(ownContainerId(files({ '/proc/self/cgroup': '0::/\n' }))).toBeUndefined();
  });

  it("is found in a Podman container: its storage's userdata mounts, or a libpod cgroup", () => {
    const podman = `546 833 254:0 /var/lib/containers/storage/overlay-containers/${ID}/userdata/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw
550 833 254:0 /var/lib/containers/storage/overlay-containers/${ID}/userdata/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw
`;
    expect(ownContainerId(files({ '/proc/self/mountinfo': podman }))).toBe(ID);
    expect(
      ownContainerId(files({ '/proc/self/cgroup': `8:pids:/libpod_parent/libpod-${ID}\n` })),
    ).toBe(ID);
  });
});

describe("where a local engine's published ports are reached", () => {
  const inContainer = files({ '/proc/self/mountinfo': MOUNTINFO_V2 });

  it("from a container of that engine: its network's gateway, said in the log", async () => {
    const host = await publishedHost(
      engineWith([{ name: 'GITEA-ACTIONS-TASK-7_net', gateway: '172.19.0.1' }]),
      'local',
      undefined,
      {},
      inContainer,
    );
    expect(host).toEqual({ address: '172.19.0.1', note: expect.stringContaining('172.19.0.1') });
    expect(host!.note).toContain('STACKCHECK_HOST');
  });

  it('by hand first (STACKCHECK_HOST), whatever the container', async () => {
    expect(
      await publishedHost(
        engineWith([]),
        'local',
        undefined,
        { STACKCHECK_HOST: 'dind' },
        inContainer,
      ),
    ).toMatchObject({ address: 'dind' });
  });

  it("at 127.0.0.1 on the host, on the host's network, or in another engine's container", async () => {
    const none = files({});
    expect(await publishedHost(engineWith([]), 'local', undefined, {}, none)).toBeUndefined();
    expect(
      await publishedHost(engineWith([{ name: 'host' }]), 'local', undefined, {}, inContainer),
    ).toBeUndefined();
    const other = files({ '/proc/self/mountinfo': MOUNTINFO_V2.replaceAll(ID, 'a'.repeat(64)) });
    expect(
      await publishedHost(
        engineWith([{ name: 'b', gateway: '172.17.0.1' }]),
        'local',
        undefined,
        {},
        other,
      ),
    ).toBeUndefined();
  });
});
