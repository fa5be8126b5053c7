import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadText, problems } from './helpers.js';

const at = (line: number, column: number) => ({ file: 'compose.yaml', line, column });

describe('volumes', () => {
  it('reads the short syntax: named, relative, absolute, home, anonymous', () => {
    const p = loadText(`services:
  db:
    image: postgres
    volumes:
      - db-data:/var/lib/postgresql/data
      - ./init:/docker-entrypoint-initdb.d:ro
      - /etc/localtime:/etc/localtime:rw
      - ~/certs:/certs:ro,cached
      - /scratch
      - cache:/cache:nocopy
volumes:
  db-data:
  cache:
`);
    expect(p.services.db!.mounts).toEqual([
      {
        type: 'volume',
        source: 'db-data',
        target: '/var/lib/postgresql/data',
        readOnly: false,
        noCopy: false,
        pos: at(5, 9),
      },
      {
        type: 'bind',
        source: '/proj/init',
        target: '/docker-entrypoint-initdb.d',
        readOnly: true,
        createHostPath: true,
        pos: at(6, 9),
      },
      {
        type: 'bind',
        source: '/etc/localtime',
        target: '/etc/localtime',
        readOnly: false,
        createHostPath: true,
        pos: at(7, 9),
      },
      {
        type: 'bind',
        source: `${homedir()}/certs`,
        target: '/certs',
        readOnly: true,
        createHostPath: true,
        pos: at(8, 9),
      },
      { type: 'volume', target: '/scratch', readOnly: false, noCopy: false, pos: at(9, 9) },
      {
        type: 'volume',
        source: 'cache',
        target: '/cache',
        readOnly: false,
        noCopy: true,
        pos: at(10, 9),
      },
    ]);
  });

  it('reads the long syntax of every mount type', () => {
    const p = loadText(`services:
  app:
    image: app
    volumes:
      - type: volume
        source: data
        target: /data
        read_only: true
        volume:
          nocopy: true
      - type: bind
        source: ../shared
        target: /shared
        bind:
          create_host_path: false
      - type: tmpfs
        target: /cache
        tmpfs:
          size: 64m
          mode: 1777
volumes:
  data: {}
`);
    expect(p.services.app!.mounts).toEqual([
      {
        type: 'volume',
        source: 'data',
        target: '/data',
        readOnly: true,
        noCopy: true,
        pos: at(5, 9),
      },
      {
        type: 'bind',
        source: '/shared',
        target: '/shared',
        readOnly: false,
        createHostPath: false,
        pos: at(11, 9),
      },
      { type: 'tmpfs', target: '/cache', sizeBytes: 64 * 1024 ** 2, mode: 0o1777, pos: at(16, 9) },
    ]);
  });

  it('reads tmpfs as a string or a list with size and mode options', () => {
    const one = loadText(`services:
  app:
    image: app
    tmpfs: /run
`);
    expect(one.services.app!.mounts).toEqual([{ type: 'tmpfs', target: '/run', pos: at(4, 12) }]);
    const many = loadText(`services:
  app:
    image: app
    tmpfs:
      - /run
      - /data:size=1g,mode=0755
`);
    expect(many.services.app!.mounts).toEqual([
      { type: 'tmpfs', target: '/run', pos: at(5, 9) },
      { type: 'tmpfs', target: '/data', sizeBytes: 1024 ** 3, mode: 0o755, pos: at(6, 9) },
    ]);
  });

  it('warns that SELinux relabelling is ignored', () => {
    const p = loadText(`services:
  app:
    image: app
    volumes: ["./src:/src:z"]
`);
    expect(p.warnings).toEqual([
      {
        message:
          'services.app.volumes[0]: ignored on a single engine: SELinux relabel option "z": stackcheck does not pass it to the engine',
        pos: at(4, 15),
      },
    ]);
  });

  it('reports what compose or stackcheck rejects', () => {
    expect(
      problems(() =>
        loadText(`services:
  app:
    image: app
    volumes:
      - data:relative
      - /:/host:ro,rslave
      - type: npipe
        source: x
        target: /x
      - type: volume
        target: /v
        bind:
          create_host_path: true
      - type: bind
        target: /b
      - data:/same
      - ./other:/same
    tmpfs: /t:uid=1000
volumes:
  data:
`),
      ),
    ).toEqual([
      'compose.yaml:5:9 services.app.volumes[0]: the container path "relative" must be absolute',
      'compose.yaml:12:9 services.app.volumes[3].bind: "bind" options do not apply to a mount of type volume',
      'compose.yaml:14:9 services.app.volumes[4]: a bind mount needs "source" (the host path)',
      'compose.yaml:17:9 two mounts use the container path /same',
    ]);
  });

  it('requires named volumes to be declared at the top level', () => {
    expect(
      problems(() =>
        loadText(`services:
  app:
    image: app
    volumes: ["dta:/data"]
volumes:
  data:
`),
      ),
    ).toEqual([
      'compose.yaml:4:15 service "app" mounts volume "dta", which is not declared under top-level volumes',
    ]);
  });
});
