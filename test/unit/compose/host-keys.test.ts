import { describe, expect, it } from 'vitest';
import { hints, load, loadText, problems, source } from './helpers.js';

const at = (line: number, column: number, file = 'compose.yaml') => ({ file, line, column });

describe('devices', () => {
  it('reads the short forms (target and permissions optional) and the long form', () => {
    const p = loadText(`services:
  a:
    image: x
    devices:
      - /dev/fuse
      - "/dev/sda:/dev/xvda:r"
      - "/dev/kvm:rw"
      - { source: /dev/ttyUSB0, target: /dev/ttyACM0, permissions: rw }
      - source: /dev/net/tun
`);
    expect(p.services.a!.devices).toEqual([
      { source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' },
      { source: '/dev/sda', target: '/dev/xvda', permissions: 'r' },
      { source: '/dev/kvm', target: '/dev/kvm', permissions: 'rw' },
      { source: '/dev/ttyUSB0', target: '/dev/ttyACM0', permissions: 'rw' },
      { source: '/dev/net/tun', target: '/dev/net/tun', permissions: 'rwm' },
    ]);
  });

  it('merges by container path: a later file replaces the mapping for the same target', () => {
    const p = load([
      source(
        'services:\n  a: { image: x, devices: ["/dev/sda:/dev/xvda", /dev/fuse] }\n',
        'a.yaml',
      ),
      source('services:\n  a: { devices: ["/dev/sdb:/dev/xvda:r", /dev/kvm] }\n', 'b.yaml'),
    ]);
    expect(p.services.a!.devices.map((d) => `${d.source}:${d.target}:${d.permissions}`)).toEqual([
      '/dev/sdb:/dev/xvda:r',
      '/dev/fuse:/dev/fuse:rwm',
      '/dev/kvm:/dev/kvm:rwm',
    ]);
  });

  it('reports invalid entries at the entry; a CDI name is a device request to the cdi driver', () => {
    const run = () =>
      loadText(`services:
  a:
    image: x
    devices:
      - dev/sda
      - "/dev/sda:xvda"
      - "/dev/sda:/dev/sda:rwx"
      - "/a:/b:r:extra"
      - vendor.com/gpu=all
      - { target: /dev/x }
      - 42
  b: { image: x, devices: /dev/fuse }
`);
    expect(problems(run)).toEqual([
      'compose.yaml:5:9 services.a.devices[0]: the host path "dev/sda" must be absolute',
      'compose.yaml:6:9 services.a.devices[1]: the container path "xvda" must be absolute',
      'compose.yaml:7:9 services.a.devices[2]: "rwx" is not a set of device permissions (r, w, m)',
      'compose.yaml:8:9 services.a.devices[3]: invalid device "/a:/b:r:extra"',
      'compose.yaml:10:9 services.a.devices[5]: a device needs "source" (the host path)',
      'compose.yaml:11:9 services.a.devices[6]: the host path "42" must be absolute',
      'compose.yaml:12:27 services.b.devices must be a list, got string "/dev/fuse"',
    ]);
    const cdi = loadText(
      'services:\n  a:\n    image: x\n    devices: [vendor.com/gpu=all, /dev/fuse]\n',
    );
    expect(cdi.services.a!.devices).toEqual([
      { source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' },
    ]);
    expect(cdi.services.a!.resources.reservations.devices).toEqual([
      { driver: 'cdi', deviceIds: ['vendor.com/gpu=all'], capabilities: [] },
    ]);
  });
});

describe('logging', () => {
  it('reads driver and options, options as strings', () => {
    const p = loadText(`services:
  a:
    image: x
    logging:
      driver: json-file
      options: { max-size: 10m, max-file: 3, compress: true }
  b: { image: x, logging: { options: { tag: b } } }
`);
    expect(p.services.a!.logging).toEqual({
      driver: 'json-file',
      options: { 'max-size': '10m', 'max-file': '3', compress: 'true' },
    });
    expect(p.services.b!.logging).toEqual({ options: { tag: 'b' } });
    expect(p.services.a!.logging && 'pos' in p.services.a!.logging).toBe(false);
  });

  it('merges options of the same driver; another driver replaces the whole section', () => {
    const base = source(
      'services:\n  a: { image: x, logging: { driver: json-file, options: { max-size: 1m, max-file: 2 } } }\n  b: { image: x, logging: { driver: json-file, options: { max-size: 1m } } }\n',
      'a.yaml',
    );
    const p = load([
      base,
      source(
        'services:\n  a: { logging: { options: { max-size: 5m } } }\n  b: { logging: { driver: syslog, options: { tag: b } } }\n',
        'b.yaml',
      ),
    ]);
    expect(p.services.a!.logging).toEqual({
      driver: 'json-file',
      options: { 'max-size': '5m', 'max-file': '2' },
    });
    expect(p.services.b!.logging).toEqual({ driver: 'syslog', options: { tag: 'b' } });
  });

  it('reports wrong shapes at their place', () => {
    const run = () =>
      loadText(`services:
  a: { image: x, logging: json-file }
  b: { image: x, logging: { drivr: syslog, options: a } }
`);
    expect(problems(run)).toEqual([
      'compose.yaml:2:27 services.a.logging must be a mapping, got string "json-file"',
      'compose.yaml:3:29 unknown logging key "drivr" (in services.b.logging): stackcheck does not support it',
      'compose.yaml:3:53 services.b.logging.options must be a list of "KEY=value" strings or a mapping, got string "a"',
    ]);
    expect(hints(run)[1]).toBe('Did you mean "driver"?');
  });
});

describe('links', () => {
  it('records service and alias, and makes the linked service a started dependency', () => {
    const p = loadText(`services:
  web:
    image: x
    links: [db, "cache:redis"]
    depends_on:
      db: { condition: service_healthy }
  db: { image: postgres }
  cache: { image: redis }
`);
    const web = p.services.web!;
    expect(web.links).toEqual([
      { service: 'db', alias: 'db', pos: at(4, 13) },
      { service: 'cache', alias: 'redis', pos: at(4, 17) },
    ]);
    expect(web.dependsOn).toEqual({
      db: { condition: 'service_healthy', required: true, pos: at(6, 7) },
      cache: { condition: 'service_started', required: true, pos: at(4, 17) },
    });
  });

  it('merges across files without repeating an alias', () => {
    const p = load([
      source(
        'services:\n  a: { image: x, links: [db, "db:database"] }\n  db: { image: y }\n',
        'a.yaml',
      ),
      source('services:\n  a: { links: ["db:database"] }\n', 'b.yaml'),
    ]);
    expect(p.services.a!.links.map((l) => `${l.service}:${l.alias}@${l.pos.file}`)).toEqual([
      'db:db@a.yaml',
      'db:database@b.yaml',
    ]);
  });

  it('reports a link to a missing or disabled service, and invalid links, at the link', () => {
    expect(
      problems(() =>
        loadText(`services:
  a: { image: x, links: [dbb, tools, ":x", "a:b:c"] }
  db: { image: y }
  tools: { image: z, profiles: [debug] }
`),
      ),
    ).toEqual([
      'compose.yaml:2:26 service "a" links to "dbb", which is not defined',
      'compose.yaml:2:31 service "a" links to "tools", which is only enabled by profile debug',
      'compose.yaml:2:38 services.a.links[2]: invalid link ":x"',
      'compose.yaml:2:44 services.a.links[3]: invalid link "a:b:c"',
    ]);
  });
});

describe('DNS search domains and options, extra groups', () => {
  it('reads a single search domain or a list; numbers as group ids', () => {
    const p = loadText(`services:
  a: { image: x, dns_search: example.com, dns_opt: [use-vc], group_add: [mail, 1001] }
  b:
    image: x
    dns_search:
      - dc1.example.com
      - dc2.example.com
`);
    expect(p.services.a).toMatchObject({
      dnsSearch: ['example.com'],
      dnsOpt: ['use-vc'],
      groupAdd: ['mail', '1001'],
    });
    expect(p.services.b!.dnsSearch).toEqual(['dc1.example.com', 'dc2.example.com']);
    expect(p.services.b!.groupAdd).toEqual([]);
  });

  it('appends them across files without duplicates', () => {
    const p = load([
      source(
        'services:\n  a: { image: x, dns_search: [a.example], dns_opt: [use-vc], group_add: [mail] }\n',
        'a.yaml',
      ),
      source(
        'services:\n  a: { dns_search: [a.example, b.example], dns_opt: ["ndots:2", use-vc], group_add: [audio, mail] }\n',
        'b.yaml',
      ),
    ]);
    expect(p.services.a).toMatchObject({
      dnsSearch: ['a.example', 'b.example'],
      dnsOpt: ['use-vc', 'ndots:2'],
      groupAdd: ['mail', 'audio'],
    });
  });

  it('reports wrong types at the value', () => {
    expect(
      problems(() =>
        loadText(
          'services:\n  a: { image: x, dns_search: { a: b }, dns_opt: use-vc, group_add: [[1]] }\n',
        ),
      ),
    ).toEqual([
      'compose.yaml:2:30 services.a.dns_search must be a list of strings, got a mapping',
      'compose.yaml:2:49 services.a.dns_opt must be a list of strings, got string "use-vc"',
      'compose.yaml:2:69 services.a.group_add[0] must be a string, got a list',
    ]);
  });
});

describe('namespaces and other host options', () => {
  it('reads every one', () => {
    const p = loadText(`services:
  a:
    image: x
    pid: host
    ipc: private
    uts: host
    userns_mode: host
    runtime: runc
    cgroup_parent: ci.slice
    mac_address: "02:42:AC:11:00:02"
    platform: linux/amd64
    storage_opt: { size: 20G }
    annotations: ["com.example.key=value", "com.example.flag"]
`);
    expect(p.services.a).toMatchObject({
      pid: 'host',
      ipc: 'private',
      uts: 'host',
      usernsMode: 'host',
      runtime: 'runc',
      cgroupParent: 'ci.slice',
      macAddress: '02:42:AC:11:00:02',
      platform: 'linux/amd64',
      storageOpt: { size: '20G' },
      annotations: { 'com.example.key': 'value', 'com.example.flag': '' },
    });
  });

  it('merges storage_opt and annotations as mappings, and replaces the scalars', () => {
    const p = load([
      source(
        'services:\n  a: { image: x, ipc: shareable, storage_opt: { size: 1G }, annotations: { a: "1", b: "2" } }\n',
        'a.yaml',
      ),
      source('services:\n  a: { ipc: host, annotations: { b: "3" } }\n', 'b.yaml'),
    ]);
    expect(p.services.a).toMatchObject({
      ipc: 'host',
      storageOpt: { size: '1G' },
      annotations: { a: '1', b: '3' },
    });
  });

  it("reports a shared namespace's missing service, and bad values", () => {
    const run = () =>
      loadText(`services:
  a:
    image: x
    pid: "service:db"
    ipc: "container:abc"
    uts: private
    mac_address: 02-42-ac-11-00-02
    platform: "linux amd64"
    runtime: [runc]
    storage_opt: size
    network_mode: bridge
`);
    expect(problems(run)).toEqual([
      'compose.yaml:4:10 service "a" shares the pid namespace of "db", which is not defined',
      'compose.yaml:6:10 services.a.uts must be one of host, got "private"',
      'compose.yaml:7:18 services.a.mac_address: "02-42-ac-11-00-02" is not a MAC address',
      'compose.yaml:8:15 services.a.platform: "linux amd64" is not a platform',
      'compose.yaml:9:14 services.a.runtime must be a string, got a list',
      'compose.yaml:10:18 services.a.storage_opt must be a list of "KEY=value" strings or a mapping, got string "size"',
    ]);
    expect(
      problems(() =>
        loadText('services:\n  a:\n    image: x\n    ipc: "service:a b:c"\n    pid: other\n'),
      ),
    ).toEqual([
      'compose.yaml:4:10 service "a" shares the ipc namespace of "a b:c", which is not defined',
      'compose.yaml:5:10 services.a.pid must be one of host, got "other"',
    ]);
  });
});
