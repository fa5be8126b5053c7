import { describe, expect, it } from 'vitest';
import { parseShortPort } from '../../../src/compose/normalize-ports.js';
import { loadText, problems } from './helpers.js';

describe('short port syntax', () => {
  it.each([
    ['80', [{ target: 80, protocol: 'tcp' }]],
    ['8080:80', [{ target: 80, published: 8080, protocol: 'tcp' }]],
    [
      '127.0.0.1:8080:80/udp',
      [{ target: 80, published: 8080, hostIp: '127.0.0.1', protocol: 'udp' }],
    ],
    ['127.0.0.1::80', [{ target: 80, hostIp: '127.0.0.1', protocol: 'tcp' }]],
    ['[::1]:80:80', [{ target: 80, published: 80, hostIp: '::1', protocol: 'tcp' }]],
    ['::1:6000:6000', [{ target: 6000, published: 6000, hostIp: '::1', protocol: 'tcp' }]],
    ['6060:6060/sctp', [{ target: 6060, published: 6060, protocol: 'sctp' }]],
    [
      '9000-9002:9000-9002',
      [
        { target: 9000, published: 9000, protocol: 'tcp' },
        { target: 9001, published: 9001, protocol: 'tcp' },
        { target: 9002, published: 9002, protocol: 'tcp' },
      ],
    ],
    [
      '9090-9091:8080-8081',
      [
        { target: 8080, published: 9090, protocol: 'tcp' },
        { target: 8081, published: 9091, protocol: 'tcp' },
      ],
    ],
    [
      '3000-3001',
      [
        { target: 3000, protocol: 'tcp' },
        { target: 3001, protocol: 'tcp' },
      ],
    ],
    ['8000-9000:80', [{ target: 80, published: 8000, publishedEnd: 9000, protocol: 'tcp' }]],
  ])('%s', (text, specs) => {
    expect(parseShortPort(text)).toEqual(specs);
  });

  it.each([
    ['abc', '"abc" is not a port (1-65535) or a range of ports'],
    ['8080:80/xdp', 'unknown protocol "xdp"'],
    ['70000:80', '"70000" is not a port (1-65535) or a range of ports'],
    ['1-3:1-2', 'host range 1-3 and container range 1-2 differ in size'],
    ['web:80:80', '"web" is not an IP address'],
    ['[::1]80', 'a bracketed IPv6 address must be followed by ":"'],
  ])('rejects %s', (text, why) => {
    expect(parseShortPort(text)).toBe(why);
  });
});

describe('ports in a service', () => {
  it('reads both syntaxes with the position of each entry', () => {
    const p = loadText(`services:
  web:
    image: nginx
    ports:
      - 80
      - "\${HTTPS_PORT:-8443}:443"
      - target: 9000
        published: "9100-9110"
        host_ip: 127.0.0.1
        protocol: udp
        mode: host
        name: metrics
        app_protocol: http
      - target: 53
        published: 5353
`);
    expect(p.services.web!.ports).toEqual([
      { target: 80, protocol: 'tcp', pos: { file: 'compose.yaml', line: 5, column: 9 } },
      {
        target: 443,
        published: 8443,
        protocol: 'tcp',
        pos: { file: 'compose.yaml', line: 6, column: 9 },
      },
      {
        target: 9000,
        published: 9100,
        publishedEnd: 9110,
        hostIp: '127.0.0.1',
        protocol: 'udp',
        name: 'metrics',
        appProtocol: 'http',
        pos: { file: 'compose.yaml', line: 7, column: 9 },
      },
      {
        target: 53,
        published: 5353,
        protocol: 'tcp',
        pos: { file: 'compose.yaml', line: 14, column: 9 },
      },
    ]);
  });

  it('reports bad entries at their own position', () => {
    expect(
      problems(() =>
        loadText(`services:
  web:
    image: nginx
    ports:
      - "8080:80"
      - abc
      - target: 80
        published: later
        mode: swarm
      - published: 80
`),
      ),
    ).toEqual([
      'compose.yaml:6:9 services.web.ports[1]: invalid port "abc": "abc" is not a port (1-65535) or a range of ports',
      'compose.yaml:8:20 services.web.ports[2].published: "later" is not a port or a range of ports',
      'compose.yaml:9:15 services.web.ports[2].mode must be one of host, ingress, got "swarm"',
      'compose.yaml:10:9 services.web.ports[3]: a port needs "target" (the container port)',
    ]);
  });

  it('expands expose entries with their protocol', () => {
    const p = loadText(`services:
  web:
    image: nginx
    expose: ["3000", 8000, "8080-8081/udp"]
`);
    expect(p.services.web!.expose).toEqual([
      { port: 3000, protocol: 'tcp' },
      { port: 8000, protocol: 'tcp' },
      { port: 8080, protocol: 'udp' },
      { port: 8081, protocol: 'udp' },
    ]);
  });
});
