import { describe, expect, it } from 'vitest';
import { loadSuite } from '../../src/manifest/load.js';
import { SERVICES_SHOWN, suiteDiagram } from '../../src/report/mermaid.js';
import { repoPath } from '../../src/report/paths.js';
import { renderJUnit } from '../../src/report/junit.js';
import { renderSummary } from '../../src/report/summary.js';
import { workdir } from '../support/cli.js';
import { check, pos, results, service, topology } from '../support/report-fixtures.js';
import { SEED_MANIFEST, seedScaleResults } from '../support/seed-scale-results.js';

/**
 * What mermaid needs of a flowchart that the text can show: every subgraph closed, no id
 * defined twice, every edge between defined nodes, link styles naming existing edges, and
 * labels that cannot end their quotes or an edge's |label|. Returns the problems found.
 */
function mermaidProblems(text: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  if (lines[0] !== 'flowchart LR') problems.push(`starts with ${lines[0]}`);
  const ids = new Set<string>();
  const edges: [string, string][] = [];
  let depth = 0;
  const define = (id: string) => {
    if (ids.has(id)) problems.push(`${id} defined twice`);
    ids.add(id);
  };
  for (const raw of lines.slice(1)) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^subgraph (\w+)\["([^"]*)"\]$/.exec(line))) {
      define(m[1]!);
      depth++;
    } else if (line === 'end') {
      if (--depth < 0) problems.push('end without subgraph');
    } else if ((m = /^(\w+)\["([^"]*)"\]:::(\w+)$/.exec(line))) {
      define(m[1]!);
    } else if ((m = /^(\w+) (-->|-\.->)\|([^|"]*)\| (\w+)$/.exec(line))) {
      edges.push([m[1]!, m[4]!]);
    } else if ((m = /^linkStyle ([\d,]+) [\w:#,-]+$/.exec(line))) {
      for (const i of m[1]!.split(',').map(Number)) {
        if (i >= edges.length) problems.push(`linkStyle ${i} of ${edges.length} edges`);
      }
    } else if (!/^classDef \w+ [\w:#,\s-]+$/.test(line)) {
      problems.push(`unexpected line: ${line}`);
    }
  }
  if (depth !== 0) problems.push(`${depth} subgraphs left open`);
  for (const [a, b] of edges) {
    for (const id of [a, b]) if (!ids.has(id)) problems.push(`edge to undefined ${id}`);
  }
  return problems;
}

describe('the diagram checker', () => {
  it('finds what would break a flowchart', () => {
    const broken = [
      'flowchart LR',
      '  subgraph g0["a"]',
      '    g0s0["x"]:::up',
      '    g0s0["y"]:::up',
      '  g0s0 -->|a|b| g9',
      '  g0s0 -->|ok| g9',
      '  linkStyle 3 stroke:#cf222e',
    ].join('\n');
    expect(mermaidProblems(broken)).toEqual([
      'g0s0 defined twice',
      'unexpected line: g0s0 -->|a|b| g9',
      'linkStyle 3 of 1 edges',
      '1 subgraphs left open',
      'edge to undefined g9',
    ]);
  });
});

const mermaidBlocks = (md: string) => md.match(/```mermaid\n[\s\S]*?\n```/g) ?? [];
const diagramOf = (md: string) =>
  mermaidBlocks(md)
    .map((b) => b.split('\n').slice(1, -1).join('\n'))
    .find((b) => b.startsWith('flowchart'))!;

describe('the job summary of a suite at seed 000’s scale (19 topologies, 57 services, 2 nodes)', () => {
  const md = renderSummary(seedScaleResults());

  it('puts the checks right after the verdict, failures first, and the diagram after them', () => {
    const headings = md.split('\n').filter((l) => l.startsWith('## '));
    expect(headings).toEqual([
      '## ❌ stackcheck: shop failed',
      '## Checks',
      '## Failures',
      '## Topologies',
      '## Timeline',
    ]);
    const checks = md.slice(md.indexOf('## Checks'), md.indexOf('## Failures'));
    const rows = checks.split('\n').filter((l) => /^\| (✅|❌) \|/.test(l));
    expect(rows).toHaveLength(42);
    expect(rows[0]).toContain('| ❌ | pc2 web reaches main observability |');
    // The failing check is on the summary's first screen.
    expect(md.split('\n').findIndex((l) => l.includes('❌ | pc2 web'))).toBeLessThan(12);
    expect(md.indexOf('```mermaid')).toBeGreaterThan(md.indexOf('## Failures'));
  });

  it('draws one diagram for the suite, not one per topology, and tables its services once', () => {
    // The suite's shape, and its timeline.
    expect(mermaidBlocks(md).map((b) => b.split('\n')[1])).toEqual(['flowchart LR', 'gantt']);
    expect(md.match(/^\| topology \| node \| service \|/gm)).toHaveLength(1);
    const services = md
      .split('\n')
      .filter((l) => /^\| (✅ [\w\\]+)? \| (main-pc|pc2)? \| /.test(l));
    expect(services).toHaveLength(57);
  });

  it('draws each topology as one box inside its machine: more services than SERVICES_DRAWN', () => {
    const d = diagramOf(md);
    expect(mermaidProblems(d)).toEqual([]);
    const pc2 = d.slice(d.indexOf('subgraph m1["node pc2"]'));
    const main = d.slice(d.indexOf('subgraph m0["node main-pc"]'), d.indexOf('subgraph m1'));
    expect(main).toContain('g2["infra_core<br/>3/3 services up"]:::up');
    // The topology the failing check targets.
    expect(main).toContain('g6["observability<br/>3/3 services up"]:::checkfailed');
    expect(main).not.toContain('pc2_');
    for (const g of ['pc2_infra_core', 'pc2_web_interface']) expect(pc2).toContain(`"${g}<br/>`);
    expect(d).not.toMatch(/g\d+s\d+/);
  });

  it('draws what the checks exercise between topologies, dotted between machines', () => {
    const d = diagramOf(md);
    // coordination/api → infra_core/store, on the main PC: solid.
    expect(d).toContain('g0 -->|tcp :6379| g2');
    // pc2_memory_stack/api → memory_stack/api, PC2 to the main PC: dotted.
    expect(d).toContain('g14 -.->|http :8080| g5');
    expect(d).toContain('g5 -.->|propagation| g14');
    // The failing cross-machine probe is red, the others green.
    const edges = d.split('\n').filter((l) => / (-->|-\.->)\|/.test(l));
    expect(edges).toHaveLength(21);
    const failed = edges.findIndex((l) => l.includes('g18 -.->|http :4318| g6'));
    expect(failed).toBeGreaterThan(0);
    expect(d).toContain(`linkStyle ${failed} stroke:#cf222e,stroke-width:2px`);
  });

  it('draws the services of a smaller suite inside their topology, inside their machine', () => {
    const keep = ['infra_core', 'memory_stack', 'pc2_infra_core', 'pc2_memory_stack'];
    const all = seedScaleResults();
    const inKept = (ref: string) => keep.includes(ref.slice(0, ref.indexOf('/')));
    const r = {
      ...all,
      topologies: all.topologies.filter((t) => keep.includes(t.name)),
      checks: all.checks.filter((c) => c.targets.length && c.targets.every(inKept)),
    };
    const d = suiteDiagram(r)!;
    expect(mermaidProblems(d)).toEqual([]);
    const main = d.slice(d.indexOf('subgraph m0["node main-pc"]'), d.indexOf('subgraph m1'));
    // A topology's services sit between its subgraph line and its end.
    expect(main).toMatch(
      /subgraph g0\["infra_core"\]\n\s+g0s0\["store<br\/>healthy 1\.2s"\]:::up\n\s+g0s1\[.*\n\s+g0s2\[.*\n\s+end/,
    );
    expect(d.slice(d.indexOf('subgraph m1["node pc2"]'))).toContain(
      'subgraph g3["pc2_memory_stack"]',
    );
    // depends_on inside a topology, labelled with its condition; links between services.
    expect(d).toContain('g0s1 -->|healthy| g0s0');
    expect(d).toContain('g1s1 -->|tcp :6379| g0s0');
    expect(d).toContain('g3s1 -.->|http :8080| g1s1');
  });

  it('names the manifest once above the checks, not on every row', () => {
    expect(md).toContain(`Lines of \`${SEED_MANIFEST}\`.`);
    expect(md).toContain('| :---: | --- | --- | --- | ---: | ---: | --- |');
    expect(md.split(SEED_MANIFEST).length - 1).toBe(2); // the line above the table, the failure
  });

  it('is much smaller than one diagram and table per topology was', () => {
    // 22,771 bytes and 563 lines before (19 diagrams, 19 tables, the path on every row).
    expect(Buffer.byteLength(md)).toBeLessThan(15_000);
    expect(md.split('\n').length).toBeLessThan(320);
  });
});

describe('the suite diagram', () => {
  const big = (n: number, over = {}) =>
    Array.from({ length: n }, (_, i) => service(`svc${i}`, over));

  it('folds a large topology, keeping what is down, failing or linked', () => {
    const r = results({
      topologies: [
        topology('huge', [
          ...big(20),
          service('broken', { status: 'failed', health: 'unhealthy' }),
          service('target'),
        ]),
        topology('small', [service('client')]),
      ],
      checks: [
        check('client reaches target', {
          kind: 'tcp',
          targets: ['huge/target', 'small/client'],
          links: [{ from: 'small/client', to: 'huge/target', port: 9000 }],
        }),
      ],
    });
    const d = suiteDiagram(r)!;
    expect(mermaidProblems(d)).toEqual([]);
    const huge = d.slice(d.indexOf('subgraph g0'), d.indexOf('subgraph g1'));
    const shown = huge.match(/^\s+g0s\d+\[/gm) ?? [];
    expect(shown).toHaveLength(SERVICES_SHOWN);
    expect(huge).toContain('g0s20["broken<br/>failed 1.2s"]:::down');
    expect(huge).toContain('g0s21["target<br/>healthy 1.2s"]:::up');
    expect(huge).toContain(`g0more["+${22 - SERVICES_SHOWN} more<br/>16 healthy"]:::up`);
    expect(d).toContain('g1s0 -->|tcp :9000| g0s21');
    // One machine: no box for it.
    expect(d).not.toContain('subgraph m0');
  });

  it('does not fold a single service into "+1 more"', () => {
    const d = suiteDiagram(results({ topologies: [topology('t', big(SERVICES_SHOWN + 1))] }))!;
    expect(d).not.toContain('more');
    expect(d.match(/g0s\d+\[/g)).toHaveLength(SERVICES_SHOWN + 1);
  });

  it('draws each topology as one box when its services would be too many to render', () => {
    const topologies = Array.from({ length: 150 }, (_, i) =>
      topology(`t${i}`, big(8), { node: i % 2 ? 'pc2' : 'main' }),
    );
    const r = results({
      topologies,
      checks: [
        check('t0 reaches t1', {
          kind: 'http',
          targets: ['t1/svc0', 't0/svc0'],
          links: [{ from: 't0/svc0', to: 't1/svc0', port: 80 }],
        }),
      ],
    });
    const d = suiteDiagram(r)!;
    expect(d.length).toBeLessThanOrEqual(40_000);
    expect(mermaidProblems(d)).toEqual([]);
    expect(d).not.toContain('subgraph g0');
    expect(d).toContain('g0["t0<br/>8/8 services up"]:::up');
    expect(d).toContain('g0 -.->|http :80| g1');
  });

  it('says so when even one box per topology is too much', () => {
    const r = results({
      topologies: Array.from({ length: 2_000 }, (_, i) => topology(`t${i}`, big(1))),
      checks: [],
    });
    expect(suiteDiagram(r)).toBeUndefined();
    const md = renderSummary(r);
    expect(mermaidBlocks(md)).toHaveLength(0);
    expect(md).toContain('_No diagram: 2000 topologies are more than mermaid draws');
  });

  it('draws a depends_on on another topology, dotted when it is on another machine', () => {
    const r = results({
      topologies: [
        topology('infra', [service('redis')], { node: 'main' }),
        topology('memory', [
          service('api', { dependsOn: [{ service: 'infra/redis', condition: 'service_healthy' }] }),
        ]),
        topology(
          'pc2_memory',
          [
            service('api', {
              dependsOn: [{ service: 'infra/redis', condition: 'service_started' }],
            }),
          ],
          { node: 'pc2' },
        ),
      ],
      checks: [],
    });
    const d = suiteDiagram(r)!;
    expect(mermaidProblems(d)).toEqual([]);
    expect(d).toContain('g1s0 -.->|healthy| g0s0'); // local vs main: two machines
    expect(d).toContain('g2s0 -.->|started| g0s0');
  });

  it('joins the links of several checks between the same services into one arrow', () => {
    const link = { from: 'a/x', to: 'b/y', port: 80 };
    const r = results({
      topologies: [topology('a', [service('x')]), topology('b', [service('y')])],
      checks: [
        check('one', { targets: ['b/y', 'a/x'], links: [link] }),
        check('two', { kind: 'tcp', status: 'failed', targets: ['b/y', 'a/x'], links: [link] }),
      ],
    });
    const d = suiteDiagram(r)!;
    expect(d).toContain('g0s0 -->|http :80, tcp :80| g1s0');
    expect(d).toContain('linkStyle 0 stroke:#cf222e');
  });
});

describe('positions in the reports', () => {
  const r = () =>
    results({
      status: 'failed',
      checks: [
        check('fails', { status: 'failed', source: pos(14, 7, 'stackcheck.yml') }),
        check('passes', { source: pos(20, 7, 'stackcheck.yml') }),
      ],
    });
  // The action runs in working-directory "e2e" of the workspace /ws.
  const path = (f: string) => repoPath(`/ws/e2e/${f}`, '/ws');

  it('name files relative to the repository when the summary is given the mapping', () => {
    const md = renderSummary(r(), { path });
    expect(md).toContain('Lines of `e2e/stackcheck.yml`.');
    expect(md).toContain('`e2e/stackcheck.yml:14:7` · `http`');
    expect(md).not.toMatch(/`stackcheck\.yml/);
  });

  it('give the JUnit testcases repository paths, as the reporters look them up', () => {
    const xml = renderJUnit(r(), { path });
    expect(xml).toContain('file="e2e/stackcheck.yml" line="14"');
    expect(xml).toContain('at e2e/stackcheck.yml:14:7');
    expect(renderJUnit(r())).toContain('file="stackcheck.yml" line="14"');
  });

  it('keep a path outside the repository absolute', () => {
    expect(repoPath('/tmp/seed/stackcheck.yml', '/ws')).toBe('/tmp/seed/stackcheck.yml');
    expect(repoPath('/ws/a/b.yml', '/ws')).toBe('a/b.yml');
  });

  it('show file:line on every row when the checks come from several manifests', () => {
    const m = r();
    m.checks[1]!.source = pos(3, 7, 'pc2/stackcheck.yml');
    const md = renderSummary(m);
    expect(md).not.toContain('Lines of');
    expect(md).toContain('| ✅ | passes | `http` | web | `pc2/stackcheck.yml:3` |');
    expect(md).toContain('| ❌ | fails | `http` | web | `stackcheck.yml:14` |');
  });
});

describe('the links a check exercises, as loaded from the manifest', () => {
  it('go from a probe’s `from:` and a propagation’s write to the services named', () => {
    const dir = workdir({
      'stackcheck.yml': `version: 1
name: s
topologies:
  infra:
    services:
      redis: { image: r, ports: ["6379"] }
      api: { image: a, ports: ["8080"] }
  app:
    services:
      web: { image: w }
      worker: { image: w }
checks:
  - name: web reaches redis
    tcp: { from: app/web, service: infra/redis, port: 6379 }
  - name: web asks api
    http: { from: web, service: infra/api, port: 8080 }
  - name: matrix
    reach: { from: [app/web, app/worker], to: ["infra/redis:6379", "infra/api:8080"] }
  - name: api from the runner
    http: { service: infra/api, port: 8080 }
  - name: writes reach the worker
    propagation:
      write: { service: infra/api, exec: [sh, -c, "echo {{token}}"] }
      see: { service: app/worker, logs: true }
`,
    });
    const links = Object.fromEntries(
      loadSuite(`${dir}/stackcheck.yml`).checks.map((c) => [c.name, c.links]),
    );
    expect(links).toEqual({
      'web reaches redis': [{ from: 'app/web', to: 'infra/redis', port: 6379 }],
      'web asks api': [{ from: 'app/web', to: 'infra/api', port: 8080 }],
      matrix: [
        { from: 'app/web', to: 'infra/redis', port: 6379 },
        { from: 'app/web', to: 'infra/api', port: 8080 },
        { from: 'app/worker', to: 'infra/redis', port: 6379 },
        { from: 'app/worker', to: 'infra/api', port: 8080 },
      ],
      'api from the runner': [],
      'writes reach the worker': [{ from: 'infra/api', to: 'app/worker' }],
    });
  });
});
