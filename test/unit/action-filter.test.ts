import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filterSuite } from '../../src/manifest/filter.js';
import { loadSuites } from '../../src/manifest/load.js';
import { workdir } from '../support/cli.js';

// The action's `topologies` and `checks` inputs (and the CLI's --topologies, --checks).
const dir = workdir({
  'stackcheck.yml': `version: 1
name: filtered
topologies:
  front:
    services:
      web: { image: stackcheck-fixture/app:1 }
  back:
    services:
      # Published: web reaches it from another topology through its host port.
      api: { image: stackcheck-fixture/app:1, ports: ["8080"] }
checks:
  - name: web answers
    http: { service: front/web, port: 8080 }
  - name: api answers
    http: { service: back/api, port: 8080 }
  - name: api health
    http: { service: api, port: 8080, path: /health }
  - name: web reaches api
    http: { service: back/api, port: 8080, from: front/web }
scenarios:
  - name: api restarts
    steps:
      - restart: { service: back/api }
  - name: web restarts
    steps:
      - restart: { service: web }
`,
});
const suite = loadSuites(join(dir, 'stackcheck.yml'))[0]!;

describe('suite filter', () => {
  it('keeps the named topologies and what runs on them only', () => {
    const { suite: s, dropped } = filterSuite(suite, { topologies: ['back'] });
    expect(s.topologies.map((t) => t.name)).toEqual(['back']);
    expect(s.checks.map((c) => c.name)).toEqual(['api answers', 'api health']);
    expect(s.scenarios.map((c) => c.name)).toEqual(['api restarts']);
    expect(dropped).toEqual({
      topologies: ['front'],
      checks: ['web answers', 'web reaches api'],
      scenarios: ['web restarts'],
    });
  });

  it('keeps the checks and the scenarios whose name matches', () => {
    const { suite: s, dropped } = filterSuite(suite, { checks: '^api ' });
    expect(s.checks.map((c) => c.name)).toEqual(['api answers', 'api health']);
    expect(s.scenarios.map((c) => c.name)).toEqual(['api restarts']);
    expect(dropped.scenarios).toEqual(['web restarts']);
    expect(s.topologies).toHaveLength(2);

    // A pattern that names only a scenario runs that scenario alone.
    const only = filterSuite(suite, { checks: 'web restarts' }).suite;
    expect([only.checks, only.scenarios.map((c) => c.name)]).toEqual([[], ['web restarts']]);
  });

  it('refuses a pattern that matches no check or scenario, listing the names', () => {
    expect(() => filterSuite(suite, { checks: 'failover' })).toThrow(
      /the check filter "failover" matches no check or scenario name in .*\n {2}Checks: web answers; api answers; api health; web reaches api\. Scenarios: api restarts; web restarts\./,
    );
  });

  it('says which names are unknown, and what there is', () => {
    expect(() => filterSuite(suite, { topologies: ['back', 'nope'] })).toThrow(
      /the topology filter names "nope", which is not in .*\n {2}Topologies: front, back\./,
    );
    expect(() => filterSuite(suite, { checks: '(' })).toThrow(/not a valid regular expression/);
  });

  it('changes nothing without a filter', () => {
    expect(filterSuite(suite, {}).suite).toEqual(suite);
  });
});
