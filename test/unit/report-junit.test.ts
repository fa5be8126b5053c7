import { describe, expect, it } from 'vitest';
import { combineResults } from '../../src/report/combine.js';
import { junitSuites, junitTotals, renderJUnit } from '../../src/report/junit.js';
import { xmlAttr, xmlText } from '../../src/report/xml.js';
import {
  readLikeDorny,
  readLikeMikepenz,
  validateJUnit,
  withoutFileAndLine,
} from '../support/junit-readers.js';
import { check, pos, results, scenario, service, topology } from '../support/report-fixtures.js';

/** A run with one of everything: pass, failure, error, skip, flaky, a loose check, a scenario. */
function mixed() {
  return results({
    status: 'failed',
    checks: [
      check('api answers'),
      check('api says teapot', {
        status: 'failed',
        message: 'status 200, expected 418',
        source: pos(14, 7),
        evidence: { request: 'http://127.0.0.1:1/teapot', status: 200, body: 'line one\nline two' },
      }),
      check('db reachable from api', {
        kind: 'tcp',
        status: 'error',
        message: 'probe image missing',
        source: pos(18, 7),
        targets: ['web/db', 'web/api'],
        evidence: {},
      }),
      check('gpu visible', {
        kind: 'gpu',
        status: 'skipped',
        message: 'no GPU on this runner',
        source: pos(22, 7),
        targets: [],
      }),
      check('eventually ready', {
        flaky: true,
        attempts: 3,
        message: 'status 200 in 4ms (after 3 attempts)',
        source: pos(26, 7),
      }),
      check('no port collisions', {
        kind: 'ports',
        targets: [],
        source: pos(28, 7),
        message: '4 ports, no collision',
      }),
    ],
    scenarios: [
      scenario('api restart is survived', {
        status: 'failed',
        steps: [
          {
            index: 0,
            action: 'restart',
            name: 'restart api',
            status: 'passed',
            startedMs: 0,
            durationMs: 900,
            message: 'restarted',
            evidence: {},
            source: pos(34, 9),
          },
          {
            index: 1,
            action: 'check',
            name: 'api answers again',
            status: 'failed',
            startedMs: 900,
            durationMs: 5000,
            message: 'status 503',
            evidence: { status: 503 },
            source: pos(36, 9),
          },
        ],
        faults: [
          {
            id: 'f1',
            kind: 'pause',
            description: 'paused web/db',
            mechanism: 'engine',
            reason: 'the end of the scenario',
          },
        ],
      }),
    ],
  });
}

describe('JUnit report', () => {
  const xml = renderJUnit(mixed(), { commit: 'c0ffee' });

  it('is valid against junit-10.xsd, apart from testcase file/line which the schema predates', () => {
    expect(validateJUnit(withoutFileAndLine(xml), { extended: false })).toEqual([]);
    // …and the unextended schema does reject them: the extension is exactly those two attributes.
    expect(validateJUnit(xml, { extended: false }).join('\n')).toMatch(/attribute 'file'/);
    expect(validateJUnit(xml, { extended: true })).toEqual([]);
  });

  it('has a testsuite per topology, per scenario, and one for checks without a target', () => {
    const suites = readLikeDorny(xml).suites;
    expect(suites.map((s) => s.name)).toEqual([
      'topology web',
      'scenario api restart is survived',
      'checks',
    ]);
    expect(suites[0]!.tests.map((t) => t.name)).toEqual([
      'service db is up',
      'service api is up',
      'api answers',
      'api says teapot',
      'db reachable from api',
      'eventually ready',
    ]);
    expect(suites[2]!.tests.map((t) => t.name)).toEqual(['gpu visible', 'no port collisions']);
  });

  it('reads as mikepenz/action-junit-report reads it: file, line, classname, name, time, message', () => {
    const cases = readLikeMikepenz(xml);
    const teapot = cases.find((c) => c.name === 'api says teapot')!;
    expect(teapot).toMatchObject({
      classname: 'shop.web',
      file: 'stackcheck.yml',
      line: 14,
      time: '0.012',
      status: 'failure',
      message: 'status 200, expected 418',
    });
    expect(teapot.details).toContain('request: http://127.0.0.1:1/teapot');
    expect(teapot.details).toContain('  line two');
    expect(teapot.details).toContain('at stackcheck.yml:14:7');
    expect(cases.find((c) => c.name === 'db reachable from api')).toMatchObject({
      status: 'failure',
      message: 'probe image missing',
      line: 18,
    });
    expect(cases.find((c) => c.name === 'gpu visible')).toMatchObject({
      status: 'skipped',
      classname: 'shop.checks',
    });
    // Services point at their compose position.
    expect(cases.find((c) => c.name === 'service api is up')).toMatchObject({
      file: 'compose.yml',
      line: 8,
      time: '1.200',
    });
    // Every testcase has a position to annotate.
    for (const c of cases) {
      expect(c.file, c.name).toBeTruthy();
      expect(c.line, c.name).toBeGreaterThan(0);
    }
  });

  it('reads as dorny/test-reporter java-junit reads it: every suite has a name and a time', () => {
    const r = readLikeDorny(xml);
    expect(r.timeMs).toBe(4200);
    for (const s of r.suites) {
      expect(Number.isNaN(s.timeMs), s.name).toBe(false);
      for (const t of s.tests) expect(Number.isNaN(t.timeMs), t.name).toBe(false);
    }
    const results = r.suites.flatMap((s) => s.tests.map((t) => t.result));
    expect(results.filter((x) => x === 'failed')).toHaveLength(3);
    expect(results.filter((x) => x === 'skipped')).toHaveLength(1);
  });

  it('counts on every testsuite and on the root match the testcases', () => {
    const totals = junitTotals(junitSuites(mixed()));
    expect(totals).toEqual({ tests: 11, failures: 2, errors: 1, skipped: 1, passed: 7 });
    expect(xml).toMatch(/<testsuites name="shop" tests="11" failures="2" errors="1" time="4.200">/);
    expect(xml).toMatch(
      /<testsuite name="topology web" tests="6" failures="1" errors="1" skipped="0" time="[\d.]+"/,
    );
    expect(xml).toMatch(/<testsuite name="checks" tests="2" failures="0" errors="0" skipped="1"/);
  });

  it('records suite, run id, commit and node as properties', () => {
    expect(xml).toContain('<property name="suite" value="shop"/>');
    expect(xml).toContain('<property name="run.id" value="abcd1234"/>');
    expect(xml).toContain('<property name="commit" value="c0ffee"/>');
    expect(xml).toContain('<property name="node" value="local"/>');
  });

  it('shows flakiness and healed faults in system-out', () => {
    expect(xml).toMatch(
      /name="eventually ready"[^]*?<system-out>status 200 in 4ms \(after 3 attempts\)\nflaky: passed after 3 attempts<\/system-out>/,
    );
    expect(xml).toMatch(
      /name="faults healed"[^]*?<system-out>pause \(engine\): paused web\/db; healed: the end of the scenario<\/system-out>/,
    );
  });

  it('reports a service that did not come up as a failure at its compose position, the rest as skipped', () => {
    const r = results({
      status: 'failed',
      topologies: [
        topology(
          'web',
          [
            service('db', { status: 'failed', health: 'unhealthy' }),
            service('api', { status: 'cancelled', startedMs: undefined, healthyMs: undefined }),
          ],
          {
            status: 'failed',
            failure: {
              service: 'db',
              message: 'service "db" is unhealthy',
              details: [
                'container sc-1-web-db-1: running, health unhealthy',
                'last log lines:',
                '  disk full',
              ],
              source: pos(2, 3, 'compose.yml'),
            },
          },
        ),
      ],
      checks: [
        check('api answers', {
          status: 'skipped',
          message: 'not run: topology web did not come up',
        }),
      ],
    });
    const out = renderJUnit(r);
    expect(validateJUnit(out, { extended: true })).toEqual([]);
    const cases = readLikeMikepenz(out);
    expect(cases.find((c) => c.name === 'service db is up')).toMatchObject({
      status: 'failure',
      file: 'compose.yml',
      line: 2,
      message: 'service "db" is unhealthy',
    });
    expect(cases.find((c) => c.name === 'service db is up')!.details).toContain('disk full');
    expect(cases.find((c) => c.name === 'service api is up')).toMatchObject({ status: 'skipped' });
    expect(out).toContain('<skipped message="not brought up: service db failed first"/>');
  });

  it('names matrix combinations and records their values', () => {
    const one = (n: string) => ({ results: results({ runId: `run${n}` }), matrix: { GPUS: n } });
    const combined = combineResults([one('1'), one('2')]);
    const out = renderJUnit(combined);
    expect(validateJUnit(out, { extended: true })).toEqual([]);
    const suites = readLikeDorny(out).suites;
    expect(suites.map((s) => s.name)).toEqual(['topology web [GPUS=1]', 'topology web [GPUS=2]']);
    // Each combination's checks land in that combination's topology suite.
    expect(suites.map((s) => s.tests.map((t) => t.name).at(-1))).toEqual([
      'api answers [GPUS=1]',
      'api answers [GPUS=2]',
    ]);
    expect(out).toContain('<property name="matrix.GPUS" value="2"/>');
  });

  it('stays well-formed and valid whatever the text holds', () => {
    const nasty =
      'quote " apos \' amp & lt < gt > ]]> tab\t nul\u0000 bell\u0007 esc\u001b lone\ud800 emoji 🚀 é';
    const r = results({
      suite: `suite ${nasty}`,
      checks: [
        check(`check ${nasty}`, {
          status: 'failed',
          message: `msg ${nasty}\nsecond line`,
          evidence: { body: nasty },
        }),
      ],
    });
    const out = renderJUnit(r);
    expect(validateJUnit(out, { extended: true })).toEqual([]);
    const c = readLikeMikepenz(out).find((x) => x.name.startsWith('check '))!;
    expect(c.name).toBe(
      'check quote " apos \' amp & lt < gt > ]]> tab\t nul\ufffd bell\ufffd esc\ufffd lone\ufffd emoji 🚀 é',
    );
    expect(c.message).toContain('second line');
    expect(c.details).toContain(']]>');
  });
});

describe('XML escaping', () => {
  it('escapes markup in text and attributes, keeps line breaks in attributes', () => {
    expect(xmlText('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
    expect(xmlAttr('"x"\n\ty\r')).toBe('&quot;x&quot;&#10;&#9;y&#13;');
  });

  it('replaces characters XML 1.0 cannot carry', () => {
    expect(xmlText('a\u0000b\u0008c\ufffed\ud83d')).toBe('a\ufffdb\ufffdc\ufffdd\ufffd');
    expect(xmlText('ok 🚀\n\t')).toBe('ok 🚀\n\t');
  });
});
