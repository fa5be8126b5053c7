import { describe, expect, it } from 'vitest';
import { errorMessage } from '../../src/common/errors.js';
import type { ProgressEvent } from '../../src/orchestrator/progress.js';
import {
  BringUpFold,
  consoleProgress,
  cut,
  notPassedLines,
  printSummary,
  SLOW_MS,
} from '../../src/report/console.js';
import { check, pos, results, scenario, service, topology } from '../support/report-fixtures.js';

type ServiceEvent = Extract<ProgressEvent, { kind: 'service' }>;
type TopologyEvent = Extract<ProgressEvent, { kind: 'topology' }>;

const svc = (
  service: string,
  phase: ServiceEvent['phase'],
  atMs: number,
  topology = 'memory_stack',
): ServiceEvent => ({ kind: 'service', topology, service, phase, atMs });

const up = (
  topology: string,
  atMs: number,
  status: 'up' | 'failed' = 'up',
  services = [{ name: 'a', status: 'healthy' }],
): TopologyEvent => ({ kind: 'topology', topology, node: 'main', status, atMs, services });

function record(verbose = false) {
  const lines: string[] = [];
  return { lines, progress: consoleProgress((l) => lines.push(l), { verbose }) };
}

describe('console progress at scale', () => {
  it('folds a topology whose services all came up into one line', () => {
    const { lines, progress } = record();
    for (const s of ['memory', 'api', 'redis']) {
      progress.emit(svc(s, 'starting', 200));
      progress.emit(svc(s, 'started', 900));
      progress.emit(svc(s, 'healthy', 2300));
    }
    expect(lines).toEqual([]);
    progress.emit(
      up('memory_stack', 2300, 'up', [
        { name: 'memory', status: 'healthy' },
        { name: 'api', status: 'healthy' },
        { name: 'redis', status: 'healthy' },
      ]),
    );
    expect(lines).toEqual(['   2.3s  memory_stack on main: 3 services healthy in 2.1s']);
  });

  it('says how services differ when they are up in different ways', () => {
    const fold = new BringUpFold();
    fold.lines(svc('migrate', 'starting', 0, 't'));
    expect(
      fold.lines(
        up('t', 1500, 'up', [
          { name: 'db', status: 'healthy' },
          { name: 'api', status: 'healthy' },
          { name: 'migrate', status: 'completed' },
        ]),
      ),
    ).toEqual(['   1.5s  t on main: 3 services up (2 healthy, 1 completed) in 1.5s']);
  });

  it('prints images being made or carried, and a slow service, as they happen', () => {
    const fold = new BringUpFold();
    expect(fold.lines({ ...svc('api', 'building', 10), detail: 'api:dev' })).toEqual([
      '   10ms  memory_stack/api  building  api:dev',
    ]);
    fold.lines(svc('api', 'starting', 5000));
    fold.lines(svc('api', 'started', 6000));
    expect(fold.lines(svc('api', 'healthy', 6000 + SLOW_MS + 2000))).toEqual([
      `  18.0s  memory_stack/api  healthy  (12.0s after it started)`,
    ]);
    // A quick one stays folded.
    fold.lines(svc('redis', 'started', 6000));
    expect(fold.lines(svc('redis', 'healthy', 6500))).toEqual([]);
  });

  it('a service that fails shows what its topology held back, then the failure', () => {
    const { lines, progress } = record();
    progress.emit(svc('db', 'starting', 100));
    progress.emit(svc('db', 'started', 400));
    progress.emit(svc('other', 'starting', 100, 'calm'));
    progress.emit(svc('db', 'failed', 3000));
    progress.emit(up('memory_stack', 3100, 'failed'));
    expect(lines).toEqual([
      '  100ms  memory_stack/db  starting',
      '  400ms  memory_stack/db  started',
      '   3.0s  memory_stack/db  failed',
      '   3.1s  memory_stack on main: failed',
    ]);
  });

  it('prints every phase when verbose, and the topology line too', () => {
    const { lines, progress } = record(true);
    progress.emit(svc('db', 'starting', 100));
    progress.emit(svc('db', 'healthy', 900));
    progress.emit(up('memory_stack', 900));
    expect(lines).toEqual([
      '  100ms  memory_stack/db  starting',
      '  900ms  memory_stack/db  healthy',
      '  900ms  memory_stack on main: 1 service healthy in 800ms',
    ]);
  });
});

describe('the console’s end of run', () => {
  const pulling = 'image busybox:1.36 is not on node "local" and pulling it failed: ';
  const failing = results({
    status: 'failed',
    checks: [
      check('api answers'),
      check('api says teapot', {
        status: 'failed',
        message: 'status 200, expected 418',
        source: pos(14, 7, '/work/repo/suite/stackcheck.yml'),
      }),
      check('db is there', {
        status: 'error',
        message: `${pulling}${'x'.repeat(300)}`,
        source: pos(20, 5, '/work/repo/suite/stackcheck.yml'),
      }),
    ],
    scenarios: [
      scenario('restart db', {
        status: 'failed',
        steps: [
          {
            index: 0,
            action: 'check',
            name: 'api answers after',
            status: 'failed',
            startedMs: 0,
            durationMs: 5000,
            message: 'no answer within 5s\nsecond line',
            evidence: {},
            source: pos(33, 9, '/work/repo/suite/stackcheck.yml'),
          },
        ],
      }),
      scenario('cut', {
        status: 'error',
        steps: [],
        faults: [
          {
            id: 'f1',
            kind: 'partition',
            description: 'cut a ↔ b',
            mechanism: 'iptables',
            reason: 'the end of the scenario',
            error: 'container gone',
          },
        ],
      }),
    ],
  });

  it('lists each failed check and step at its manifest line, relative to the working directory', () => {
    expect(notPassedLines(failing, '/work/repo')).toEqual([
      'suite/stackcheck.yml:14:7: failed: api says teapot: status 200, expected 418',
      `suite/stackcheck.yml:20:5: error: db is there: ${pulling}${'x'.repeat(199 - pulling.length)}…`,
      'suite/stackcheck.yml:33:9: failed: restart db › api answers after: no answer within 5s …',
      'stackcheck.yml:30:5: error: cut: could not heal cut a ↔ b: container gone',
    ]);
  });

  it('ends with one line per passed topology, the failures, and the verdict', () => {
    const lines: string[] = [];
    printSummary(failing, (l) => lines.push(...l.split('\n')), { cwd: '/work/repo' });
    const text = lines.join('\n');
    expect(text).toContain('topology web on local: passed, 2 services healthy by 1.3s\n');
    expect(text).not.toContain('  db   ');
    expect(lines.slice(-8)).toEqual([
      '',
      '4 did not pass:',
      'suite/stackcheck.yml:14:7: failed: api says teapot: status 200, expected 418',
      expect.stringMatching(/^suite\/stackcheck\.yml:20:5: error: db is there: .*x…$/),
      'suite/stackcheck.yml:33:9: failed: restart db › api answers after: no answer within 5s …',
      'stackcheck.yml:30:5: error: cut: could not heal cut a ↔ b: container gone',
      '',
      'shop: failed in 4.2s (run abcd1234)',
    ]);
  });

  it('shows every service of a topology that did not pass, and of all when verbose', () => {
    const r = results({
      topologies: [
        topology('web', [service('db'), service('api', { status: 'failed' })], {
          status: 'failed',
          failure: {
            service: 'api',
            message: 'exited',
            details: [],
            source: pos(2, 3, 'compose.yml'),
          },
        }),
      ],
    });
    const lines: string[] = [];
    printSummary(r, (l) => lines.push(l));
    expect(lines).toContain('topology web on local: failed');
    expect(lines.some((l) => /^ {2}api +failed/.test(l))).toBe(true);
    expect(lines).toContain('compose.yml:2:3: exited');
    const verbose: string[] = [];
    printSummary(results(), (l) => verbose.push(l), { verbose: true });
    expect(verbose.some((l) => /^ {2}db +healthy +started 100ms, ready 1\.3s/.test(l))).toBe(true);
  });

  it('names the services of a passed topology that run without their GPU', () => {
    const r = results({
      topologies: [
        topology('ml', [
          service('vision', { withoutGpu: 'node "local" cannot give it a GPU' }),
          service('cpu'),
        ]),
      ],
    });
    const lines: string[] = [];
    printSummary(r, (l) => lines.push(l));
    expect(lines).toContain(
      'topology ml on local: passed, 2 services healthy by 1.3s; without their GPU: vision',
    );
  });

  it('cuts a long message with an ellipsis and keeps a short one whole', () => {
    expect(cut('short')).toBe('short');
    expect(cut('a'.repeat(250))).toBe(`${'a'.repeat(199)}…`);
    expect(cut('first\n\n')).toBe('first');
  });
});

describe('error messages keep their causes', () => {
  it('says why fetch failed', () => {
    const e = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:50600'), {
        code: 'ECONNREFUSED',
      }),
    });
    expect(errorMessage(e)).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:50600');
  });

  it('names each address of a failed dual-stack connect, and says a cause already said once', () => {
    const both = new AggregateError(
      [new Error('connect ECONNREFUSED ::1:80'), new Error('connect ECONNREFUSED 127.0.0.1:80')],
      '',
    );
    expect(errorMessage(new TypeError('fetch failed', { cause: both }))).toBe(
      'fetch failed: connect ECONNREFUSED ::1:80; connect ECONNREFUSED 127.0.0.1:80',
    );
    const inner = new Error('no such container');
    expect(errorMessage(new Error(`replay: ${inner.message}`, { cause: inner }))).toBe(
      'replay: no such container',
    );
    expect(errorMessage('plain')).toBe('plain');
  });
});
