/**
 * Probes from one compose project to another's service, on one engine and across two. Every
 * topology here has an `api`, each answering with its own name: a probe that reached the
 * caller's namesake, or anything but the container it names, shows in the body it gets.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult, ScenarioResult } from '../../src/model/results.js';
import { leftovers, leftoversAt, NOTHING, uniqueSuite } from '../support/engine.js';
import { checksByName, runFiles } from '../support/run.js';
import { secondEngine } from '../support/second-engine.js';
import { stepLines } from '../support/example.js';

const APP = 'stackcheck-fixture/app:1';
const api = (name: string, more = '') =>
  `{ image: ${APP}, environment: { SERVICE_NAME: ${name} }, ${more} healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 30 } }`;

/** The container a probe's evidence says it went to, and the name the body says answered. */
const answered = (c: CheckResult) => ({
  status: c.status,
  target: c.evidence.target,
  body: JSON.parse(String(c.evidence.body)) as { service: string },
});

describe('one engine: three compose projects with an api each', () => {
  // An external network the test makes itself, as users make one for groups that talk.
  const groups = uniqueSuite('sc-groups');
  beforeAll(() => execFileSync('docker', ['network', 'create', groups], { stdio: 'ignore' }));
  afterAll(() => execFileSync('docker', ['network', 'rm', groups], { stdio: 'ignore' }));

  it('each probe reaches the api it names, by its body; a partition across projects cuts it', async () => {
    const { results, suite } = await runFiles({
      'stackcheck.yml': `version: 1
name: {{SUITE}}
topologies:
  front:
    services:
      web: ${api('front-web', 'networks: [default, groups],')}
      api: ${api('front-api')}
    networks: { groups: { external: true, name: ${groups} } }
  back:
    services:
      api: ${api('back-api', 'ports: ["8080"],')}
  mesh:
    services:
      api: ${api('mesh-api', 'networks: [default, groups],')}
    networks: { groups: { external: true, name: ${groups} } }
checks:
  - name: own topology, by name
    http: { from: front/web, service: front/api, port: 8080, path: /health }
    timeout: 30s
  - name: another project, at its published port
    http: { from: front/web, service: back/api, port: 8080, path: /health }
    timeout: 30s
  - name: another project, on the network both join
    http: { from: front/web, service: mesh/api, port: 8080, path: /health }
    timeout: 30s
  - name: FAIL the namesake does not answer for back's api
    http: { from: front/web, service: back/api, port: 8080, path: /health }
    expect: { json: { service: front-api } }
    timeout: 30s
  - name: tcp to another project
    tcp: { from: front/web, service: back/api, port: 8080 }
    timeout: 30s
  - name: the matrix over all three
    reach: { from: front/web, to: [front/api:8080, back/api:8080, mesh/api:8080] }
    timeout: 30s
  - name: no route at all is isolation
    reach: { from: back/api, to: [mesh/api:8080] }
    expect: { reachable: false }
    timeout: 30s
scenarios:
  - name: a partition between projects that meet at a published port
    steps:
      - partition: { between: [front/web, back/api] }
      - name: cut
        check:
          tcp: { from: front/web, service: back/api, port: 8080 }
          expect: { open: false }
          timeout: 5s
      - heal: partition
      - name: back
        check:
          http: { from: front/web, service: back/api, port: 8080, path: /health }
          timeout: 30s
`,
    });
    const c = checksByName(results);
    expect(answered(c['own topology, by name']!)).toMatchObject({
      status: 'passed',
      body: { service: 'front-api' },
    });
    const back = answered(c['another project, at its published port']!);
    expect(back).toMatchObject({ status: 'passed', body: { service: 'back-api' } });
    expect(back.target).toMatch(/-back-api-1$/);
    const mesh = answered(c['another project, on the network both join']!);
    expect(mesh).toMatchObject({ status: 'passed', body: { service: 'mesh-api' } });
    expect(mesh.target).toMatch(/-mesh-api-1$/);
    // On the shared network the request goes to that container's own address.
    expect(c['another project, on the network both join']!.evidence.request).toMatch(
      /^http:\/\/\d+\.\d+\.\d+\.\d+:8080\/health$/,
    );

    const namesake = c["FAIL the namesake does not answer for back's api"]!;
    expect(namesake.status).toBe('failed');
    expect(namesake.message).toContain('back-api');

    expect(c['tcp to another project']!).toMatchObject({ status: 'passed' });
    expect(c['tcp to another project']!.evidence.target).toMatch(/-back-api-1$/);

    const matrix = c['the matrix over all three']!;
    expect(matrix.status, matrix.message).toBe('passed');
    const via = (matrix.evidence.matrix as { to: string; via?: string }[]).map((m) => [
      m.to,
      m.via?.replace(/ at .*/, '').replace(/^.*-(\w+-api-1)$/, '$1'),
    ]);
    expect(via).toEqual([
      ['front/api:8080', undefined],
      ['back/api:8080', 'back-api-1'],
      ['mesh/api:8080', 'mesh-api-1'],
    ]);

    const isolated = c['no route at all is isolation']!;
    expect(isolated.status, isolated.message).toBe('passed');
    expect(JSON.stringify(isolated.evidence)).toContain('shares no network');

    const sc = results.scenarios[0] as ScenarioResult;
    expect(
      sc.steps.map((s) => [s.name, s.status]),
      stepLines(sc).join('\n'),
    ).toEqual([
      [expect.stringMatching(/partition/), 'passed'],
      ['cut', 'passed'],
      [expect.stringMatching(/heal/), 'passed'],
      ['back', 'passed'],
    ]);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});

const bed = secondEngine();

describe.skipIf(!bed.ok)('two engines: a namesake on each', () => {
  it('each probe reaches the api of the node it names, by its body', async () => {
    if (!bed.ok) return;
    const { results, suite } = await runFiles({
      'stackcheck.yml': `version: 1
name: {{SUITE}}
nodes:
  main: { address: ${bed.peer} }
  pc2: { docker: "${bed.tcp}", address: ${bed.address} }
images: { carry: true }
topologies:
  front:
    node: main
    services:
      web: ${api('front-web')}
      api: ${api('front-api', 'ports: ["8080"],')}
  back:
    node: pc2
    services:
      api: ${api('back-api', 'ports: ["8080"],')}
checks:
  - name: main to pc2
    http: { from: front/web, service: back/api, port: 8080, path: /health }
    timeout: 30s
  - name: pc2 to main
    http: { from: back/api, service: front/api, port: 8080, path: /health }
    timeout: 30s
  - name: FAIL the namesake does not answer for pc2's api
    http: { from: front/web, service: back/api, port: 8080, path: /health }
    expect: { json: { service: front-api } }
    timeout: 30s
`,
    });
    const c = checksByName(results);
    expect(answered(c['main to pc2']!)).toMatchObject({
      status: 'passed',
      body: { service: 'back-api' },
    });
    expect(answered(c['pc2 to main']!)).toMatchObject({
      status: 'passed',
      body: { service: 'front-api' },
    });
    expect(c["FAIL the namesake does not answer for pc2's api"]!.status).toBe('failed');
    expect(await leftoversAt(bed.tcp, { suite })).toEqual(NOTHING);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
