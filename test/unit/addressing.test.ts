import { describe, expect, it } from 'vitest';
import { loadProblems } from '../support/load-problems.js';

// A probe from one compose project to another's service is refused at load when nothing could
// carry it: no network both join and no published port. Its bare name would name nothing there,
// or the caller's own namesake (both projects here have an `api`).

const HEAD = `version: 1
name: s
nodes:
  main: {}
  pc2: { docker: "tcp://10.0.0.9:2375", address: 10.0.0.9 }
topologies:
  front:
    node: main
    services:
      web: { image: w, networks: [default, shared] }
      api: { image: a }
    networks:
      shared: { external: true, name: groups }
  back:
    node: main
    services:
      api: { image: a, networks: [default, shared] }
      published: { image: a, ports: ["9090:9090", "127.0.0.1:9191:9191"] }
      hidden: { image: a }
    networks:
      shared: { external: true, name: groups }
  far:
    node: pc2
    services:
      api: { image: a }
checks:
`;
const problems = (checks: string) => loadProblems(HEAD, checks);

describe('probes across compose projects, checked at load', () => {
  it('accepts its own topology, a shared external network and a published port', () => {
    expect(
      problems(`  - name: own
    http: { from: front/web, service: front/api, port: 8080 }
  - name: shared network
    http: { from: front/web, service: back/api, port: 8080 }
  - name: published
    tcp: { from: front/api, service: back/published, port: 9090 }
  - name: isolation needs no route
    reach: { from: front/api, to: [back/hidden:80] }
    expect: { reachable: false }
`),
    ).toEqual([]);
  });

  it('refuses a target no route reaches, at its line, saying how to give it one', () => {
    expect(
      problems(`  - name: no route
    http: { from: front/api, service: back/api, port: 8080 }
  - name: loopback only
    reach: { from: front/web, to: [back/published:9191, back/hidden:80] }
  - name: another node, not published
    tcp: { from: front/web, service: far/api, port: 8080 }
`),
    ).toEqual([
      '2:39: check "no route": back/api:8080 is in another compose project than front/api: it shares no network with it and does not publish container port 8080, so nothing reaches it from there (its bare name would name nothing, or a namesake in front); publish the port in its compose file, or join both services to one external network',
      '4:36: check "loopback only": back/published:9191 is in another compose project than front/web: it shares no network with it and does not publish container port 9191, so nothing reaches it from there (its bare name would name nothing, or a namesake in front); publish the port in its compose file, or join both services to one external network',
      '4:57: check "loopback only": back/hidden:80 is in another compose project than front/web: it shares no network with it and does not publish container port 80, so nothing reaches it from there (its bare name would name nothing, or a namesake in front); publish the port in its compose file, or join both services to one external network',
      '6:38: check "another node, not published": far/api:8080 is on node pc2 and front/web on node main: containers on two engines meet only at published ports, and container port 8080 is not published on a reachable address; publish it in compose (ports: ["8080"])',
    ]);
  });
});
