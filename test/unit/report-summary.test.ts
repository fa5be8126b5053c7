import { describe, expect, it } from 'vitest';
import { suiteDiagram } from '../../src/report/mermaid.js';
import { renderSummary, SUMMARY_LIMIT_BYTES } from '../../src/report/summary.js';
import { check, pos, results, scenario, service, topology } from '../support/report-fixtures.js';

const failing = () =>
  results({
    status: 'failed',
    checks: [
      check('api answers'),
      check('api says teapot', {
        status: 'failed',
        message: 'status 200, expected 418',
        source: pos(14, 7),
        evidence: { request: 'http://127.0.0.1:1/teapot', status: 200, body: '{"ok":true}' },
      }),
    ],
    logs: { 'web/api': ['booting', 'GET /teapot 200 1ms'] },
  });

describe('job summary', () => {
  it('opens with the verdict, the counts, the time and the run id', () => {
    const md = renderSummary(failing());
    expect(md.split('\n')[0]).toBe('## ❌ stackcheck: shop failed');
    expect(md).toContain(
      '**1/1 topologies up (2/2 services) · checks: 1 passed, 1 failed · 4.2s** · run `abcd1234`',
    );
    expect(renderSummary(results()).split('\n')[0]).toBe('## ✅ stackcheck: shop passed');
    expect(renderSummary(results({ status: 'error', interrupted: 'SIGINT' })).split('\n')[0]).toBe(
      '## ⏹️ stackcheck: shop interrupted (SIGINT)',
    );
  });

  it('puts failures first, with their position, evidence and the service’s last log lines', () => {
    const md = renderSummary(failing());
    expect(md.indexOf('## Failures')).toBeLessThan(md.indexOf('## Topologies'));
    const failure = md.slice(md.indexOf('## Failures'), md.indexOf('## Topologies'));
    expect(failure).toContain('### ❌ api says teapot');
    expect(failure).toContain('`stackcheck.yml:14:7` · `http`');
    expect(failure).toContain('status 200, expected 418');
    expect(failure).toContain(
      '```text\nrequest: http://127.0.0.1:1/teapot\nstatus: 200\nbody: {"ok":true}\n```',
    );
    expect(failure).toContain('<summary>Last 2 log lines of <code>web/api</code></summary>');
    expect(failure).toContain('GET /teapot 200 1ms');
    expect(failure).not.toContain('api answers');
  });

  it('shows a topology that did not come up with its failure details', () => {
    const md = renderSummary(
      results({
        status: 'failed',
        topologies: [
          topology('web', [service('db', { status: 'failed', health: 'unhealthy' })], {
            status: 'failed',
            failure: {
              service: 'db',
              message: 'service "db" exited with code 3',
              details: ['config missing'],
              source: pos(2, 3, 'compose.yml'),
            },
          }),
        ],
        checks: [],
      }),
    );
    expect(md).toContain('### ❌ topology web: service "db" exited with code 3');
    expect(md).toContain('`compose.yml:2:3` · service `db` on node `local`');
    expect(md).toContain('config missing');
    expect(md).toContain('s0["db<br/>failed 1.2s"]:::down');
  });

  it('tables every service: topology, node, service, state, health, start and time to healthy', () => {
    const md = renderSummary(results());
    expect(md).toContain(
      '| topology | node | service | state | health | started at | time to healthy |',
    );
    // The topology and its node head its first row; its other services follow below.
    expect(md).toContain('| ✅ web | local | db | healthy | healthy | 100ms | 1.2s |');
    expect(md).toContain('|  |  | api | healthy | healthy | 100ms | 1.2s |');
  });

  it('draws the suite: services by result, depends_on with its condition', () => {
    const r = failing();
    const d = suiteDiagram(r)!;
    expect(d).toContain('flowchart LR');
    expect(d).toContain('subgraph g0["web"]');
    expect(d).toContain('g0s0["db<br/>healthy 1.2s"]:::up');
    // The failing check targets web/api.
    expect(d).toContain('g0s1["api<br/>healthy 1.2s"]:::checkfailed');
    expect(d).toContain('g0s1 -->|healthy| g0s0');
    expect(renderSummary(r)).toContain('```mermaid\nflowchart LR');
  });

  it('keeps mermaid labels from breaking the diagram', () => {
    const d = suiteDiagram(
      results({ topologies: [topology('t"1', [service('we"ird<svc>|#1', { networks: [] })])] }),
    )!;
    expect(d).toContain('subgraph g0["t#quot;1"]');
    expect(d).toContain('g0s0["we#quot;ird#lt;svc#gt;#124;#35;1<br/>healthy 1.2s"]:::up');
  });

  it('lists every check, failures first, with escaped names', () => {
    const r = failing();
    r.checks.push(check('pipes | and `ticks`', { source: pos(20, 7) }));
    const md = renderSummary(r);
    const table = md.slice(md.indexOf('## Checks'));
    expect(table.indexOf('api says teapot')).toBeLessThan(table.indexOf('api answers'));
    expect(table).toContain('pipes \\| and \\`ticks\\`');
  });

  it('renders a reach matrix as a table', () => {
    const md = renderSummary(
      results({
        checks: [
          check('front reaches back', {
            kind: 'reach',
            status: 'failed',
            message: '1 of 4 unreachable',
            evidence: {
              matrix: [
                { from: 'web', to: 'api:8080', reachable: true, ms: 2 },
                { from: 'web', to: 'db:5432', reachable: false },
                { from: 'api', to: 'api:8080', reachable: true, ms: 1 },
                { from: 'api', to: 'db:5432', reachable: true, ms: 3 },
              ],
            },
          }),
        ],
      }),
    );
    expect(md).toContain('## Reachability');
    expect(md).toContain('Expected: reachable.');
    expect(md).toContain('| from \\ to | `api:8080` | `db:5432` |');
    expect(md).toContain('| `web` | ✅ 2 ms | ❌ unreachable |');
    expect(md).toContain('| `api` | ✅ 1 ms | ✅ 3 ms |');
    // The same cells, as text, in the failure's evidence.
    expect(md).toContain('web → db:5432: NOT reachable');
  });

  it('judges reach cells against the expectation, replica by replica', () => {
    const md = renderSummary(
      results({
        checks: [
          check('front cannot reach the db', {
            kind: 'reach',
            status: 'failed',
            message: 'reachable from web-2',
            evidence: {
              expect: 'isolated',
              matrix: [
                {
                  from: 'web',
                  container: 'web-1',
                  to: 'db:5432',
                  reachable: false,
                  ms: 0,
                  error: 'timeout',
                },
                { from: 'web', container: 'web-2', to: 'db:5432', reachable: true, ms: 4 },
                {
                  from: 'api',
                  container: 'api-1',
                  to: 'db:5432',
                  reachable: false,
                  ms: 0,
                  error: 'refused',
                },
              ],
            },
          }),
        ],
      }),
    );
    expect(md).toContain('Expected: isolated.');
    expect(md).toContain('| `web` | ⚠️ 1/2 4 ms |');
    expect(md).toContain('| `api` | ✅ unreachable: refused |');
  });

  it('shows scenarios step by step, with their faults', () => {
    const md = renderSummary(
      results({
        scenarios: [
          scenario('db pause is survived', {
            faults: [
              {
                id: 'f',
                kind: 'pause',
                description: 'paused web/db',
                mechanism: 'engine',
                reason: 'heal step',
              },
            ],
          }),
        ],
      }),
    );
    expect(md).toContain('### ✅ db pause is survived · 2.0s');
    expect(md).toContain('| 1 | ✅ | stop api | `stop` | 0ms | 800ms | stopped after 0.8s |');
    expect(md).toContain('- `pause` via engine: paused web/db; healed: heal step');
  });

  it('says what teardown did, or how to remove what was kept', () => {
    expect(renderSummary(results())).toContain('Removed 2 containers, 2 networks, 0 volumes.');
    expect(renderSummary(results({ teardown: { kept: true } }))).toContain(
      '`stackcheck down --run abcd1234`',
    );
  });

  describe('under the 1 MiB limit', () => {
    const huge = () => {
      const r = failing();
      for (let i = 0; i < 5000; i++) {
        r.checks.push(
          check(`passing check number ${i}`, {
            evidence: { body: 'x'.repeat(100) },
            message: 'ok '.repeat(60),
          }),
        );
      }
      r.logs = {
        'web/api': Array.from({ length: 5000 }, (_, i) => `log line ${i} ${'y'.repeat(150)}`),
      };
      return r;
    };

    it('drops passing detail first, keeps the headline and the failures, and says what was cut', () => {
      const md = renderSummary(huge(), {
        files: { junit: 'stackcheck-junit.xml', json: 'results.json' },
      });
      expect(Buffer.byteLength(md)).toBeLessThanOrEqual(SUMMARY_LIMIT_BYTES);
      expect(md.split('\n')[0]).toBe('## ❌ stackcheck: shop failed');
      expect(md).toContain('### ❌ api says teapot');
      expect(md).toContain('status 200, expected 418');
      expect(md).toMatch(
        /Cut to fit GitHub's 1 MiB job summary: the passing checks[^\n]*\. The complete results are in `stackcheck-junit.xml` and `results.json`\./,
      );
      expect(md).toContain('_5001 passing checks not listed._');
      expect(md).not.toContain('passing check number 17');
    });

    it('cuts at a line as a last resort, and says so', () => {
      const r = failing();
      for (let i = 0; i < 400; i++) r.checks.push(check(`failing ${i}`, { status: 'failed' }));
      const md = renderSummary(r, { limitBytes: 2_000 });
      expect(Buffer.byteLength(md)).toBeLessThanOrEqual(2_000);
      expect(md.split('\n')[0]).toBe('## ❌ stackcheck: shop failed');
      expect(md).toContain('**Cut here to fit the 2 KiB limit.**');
      // No code block is left open around the note.
      const before = md.slice(0, md.indexOf('**Cut here'));
      expect((before.match(/^```/gm) ?? []).length % 2).toBe(0);
    });

    it('leaves a summary that fits alone', () => {
      expect(renderSummary(failing())).not.toContain('Cut to fit');
    });
  });
});
