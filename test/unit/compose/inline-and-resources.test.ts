import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../../src/common/yaml-source.js';
import type { ComposeSource } from '../../../src/compose/load.js';
import { load, loadText, problems } from './helpers.js';

const manifest = `version: 1
name: rbee
topologies:
  queen:
    node: main
    wait: { timeout: 2m }
    services:
      queen:
        image: rbee/queen:test
        ports: ["8500:8500"]
        healthcheck: { test: ["CMD", "wget", "-qO-", "http://localhost:8500/health"], interval: 1s }
        networks:
          rbee-test:
            ipv4_address: 172.20.0.10
    networks:
      rbee-test:
        driver: bridge
        ipam:
          config:
            - subnet: 172.20.0.0/16
`;

function inline(text: string): ComposeSource {
  return {
    yaml: parseYaml(text, 'stackcheck.yml'),
    base: ['topologies', 'queen'],
    dir: '/suite',
    inline: true,
  };
}

describe('services written inline in the suite manifest', () => {
  it('reads only services, networks and volumes, with positions in the manifest', () => {
    const p = load(inline(manifest));
    expect(p.projectDir).toBe('/suite');
    expect(p.name).toBeUndefined();
    expect(p.warnings).toEqual([]);
    const queen = p.services.queen!;
    expect(queen.pos).toEqual({ file: 'stackcheck.yml', line: 8, column: 7 });
    expect(queen.ports).toEqual([
      {
        target: 8500,
        published: 8500,
        protocol: 'tcp',
        pos: { file: 'stackcheck.yml', line: 10, column: 17 },
      },
    ]);
    expect(queen.healthcheck).toMatchObject({
      test: ['CMD', 'wget', '-qO-', 'http://localhost:8500/health'],
      intervalMs: 1000,
    });
    expect(queen.networks).toEqual({ 'rbee-test': { aliases: [], ipv4Address: '172.20.0.10' } });
    expect(p.networks['rbee-test']).toMatchObject({
      driver: 'bridge',
      ipam: { config: [{ subnet: '172.20.0.0/16' }] },
    });
  });

  it('reports compose problems at their place in the manifest', () => {
    const text = manifest.replace(
      '        ports: ["8500:8500"]',
      '        ports: ["8500:8500"]\n        volumes_from: [other]\n        secrets: [token]',
    );
    // An inline block has no top-level secrets, so a secret cannot be declared there.
    expect(problems(() => load(inline(text)))).toEqual([
      'stackcheck.yml:11:24 service "queen" mounts the volumes of "other", which is not defined',
      'stackcheck.yml:12:19 service "queen" uses secret "token", which is not declared under top-level secrets',
    ]);
  });
});

describe('top-level networks and volumes', () => {
  it('reads every supported network and volume key', () => {
    const p = loadText(`services:
  a:
    image: x
    networks: [edge, shared]
    volumes: [data:/data, legacy:/legacy]
networks:
  edge:
    driver: bridge
    driver_opts:
      com.docker.network.driver.mtu: 1450
    internal: true
    attachable: true
    enable_ipv6: true
    ipam:
      driver: default
      config:
        - subnet: 172.28.0.0/16
          gateway: 172.28.0.1
          ip_range: 172.28.5.0/24
    labels: ["com.example.purpose=edge"]
  shared:
    external: true
    name: infra_shared
volumes:
  data:
    driver: local
    driver_opts: { type: none, o: bind, device: /srv/data }
    labels: { backup: daily }
  legacy:
    external: true
`);
    expect(p.networks.edge).toEqual({
      name: 'edge',
      driver: 'bridge',
      driverOpts: { 'com.docker.network.driver.mtu': '1450' },
      internal: true,
      attachable: true,
      enableIpv6: true,
      ipam: {
        driver: 'default',
        config: [{ subnet: '172.28.0.0/16', gateway: '172.28.0.1', ipRange: '172.28.5.0/24' }],
      },
      labels: { 'com.example.purpose': 'edge' },
      external: false,
      pos: { file: 'compose.yaml', line: 7, column: 3 },
    });
    expect(p.networks.shared).toMatchObject({ external: true, externalName: 'infra_shared' });
    expect(p.volumes.data).toEqual({
      name: 'data',
      driver: 'local',
      driverOpts: { type: 'none', o: 'bind', device: '/srv/data' },
      labels: { backup: 'daily' },
      external: false,
      pos: { file: 'compose.yaml', line: 25, column: 3 },
    });
    expect(p.volumes.legacy).toMatchObject({ external: true });
    expect(p.volumes.legacy!.externalName).toBeUndefined();
    expect(p.networks.default).toBeUndefined();
  });

  it('warns that a name: on a created resource is not used, rejects options on external ones, reads the old external form', () => {
    const p = loadText(
      'services:\n  a: { image: x, volumes: ["v:/v"] }\nvolumes:\n  v: { name: fixed-name }\n',
    );
    expect(p.warnings).toEqual([
      {
        message:
          'volume "v": name "fixed-name" is not used; stackcheck names the volumes it creates per run so runs stay isolated',
        pos: { file: 'compose.yaml', line: 4, column: 14 },
      },
    ]);
    expect(
      problems(() =>
        loadText(
          'services:\n  a: { image: x, networks: [n] }\nnetworks:\n  n:\n    external: { name: old }\n  m:\n    external: true\n    driver: overlay\n',
        ),
      ),
    ).toEqual(['compose.yaml:8:5 external network "m" cannot also set "driver"']);
    // The deprecated `external: { name: }` form is read as compose reads it, with a warning.
    const old = loadText(
      'services:\n  a: { image: x, networks: [n] }\nnetworks:\n  n:\n    external: { name: old }\n',
    );
    expect(old.networks.n).toMatchObject({ external: true, externalName: 'old' });
    expect(old.warnings.map((w) => w.message)).toEqual([
      'networks.n.external: "external: { name: ... }" is deprecated; write external: true and name: ... on the network',
    ]);
  });
});
