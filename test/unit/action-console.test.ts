import { describe, expect, it } from 'vitest';
import { GroupedProgress } from '../../src/action/console.js';
import { printResults, type Log } from '../../src/report/log.js';
import { check, pos, results } from '../support/report-fixtures.js';

function recorder() {
  const lines: string[] = [];
  const log: Log = {
    line: (t) => lines.push(t),
    startGroup: (n) => lines.push(`::group::${n}`),
    endGroup: () => lines.push('::endgroup::'),
  };
  return { lines, log };
}

describe('the action’s log', () => {
  it('groups each phase, folds bring-up per topology, leaves notes between them visible, and never nests groups', () => {
    const { lines, log } = recorder();
    const p = new GroupedProgress(log);
    p.emit({ kind: 'note', level: 'info', text: 'run abcd: 1 topologies on local' });
    p.emit({ kind: 'service', topology: 'web', service: 'db', phase: 'starting', atMs: 10 });
    p.emit({ kind: 'service', topology: 'web', service: 'db', phase: 'healthy', atMs: 1200 });
    p.emit({
      kind: 'topology',
      topology: 'web',
      node: 'local',
      status: 'up',
      atMs: 1200,
      services: [{ name: 'db', status: 'healthy' }],
    });
    p.emit({ kind: 'check', name: 'db answers', status: 'passed', durationMs: 5 });
    p.emit({ kind: 'check', name: 'db is fast', status: 'failed', durationMs: 700 });
    p.emit({ kind: 'service', topology: 'web', service: 'db', phase: 'removed', atMs: 0 });
    p.emit({ kind: 'note', level: 'info', text: 'removed 1 containers, 1 networks, 0 volumes' });
    p.close();
    expect(lines).toEqual([
      'run abcd: 1 topologies on local',
      '::group::Bring-up',
      '   1.2s  web on local: 1 service healthy in 1.2s',
      '::endgroup::',
      '::group::Checks and scenarios',
      '  passed  db answers (5ms)',
      '  FAILED  db is fast (700ms)',
      '::endgroup::',
      '::group::Teardown',
      '  removed  web/db',
      'removed 1 containers, 1 networks, 0 volumes',
      '::endgroup::',
    ]);
    const depth = lines.reduce((d, l) => {
      const next = d + (l.startsWith('::group::') ? 1 : l === '::endgroup::' ? -1 : 0);
      expect(next).toBeLessThanOrEqual(1);
      return next;
    }, 0);
    expect(depth).toBe(0);
  });

  it('ends with a group per topology and a compact table, failures first', () => {
    const { lines, log } = recorder();
    printResults(
      results({
        status: 'failed',
        checks: [
          check('api answers'),
          check('api says teapot', {
            status: 'failed',
            message: 'status 200, expected 418',
            source: pos(14, 7),
            durationMs: 1500,
          }),
        ],
      }),
      log,
    );
    expect(lines.slice(0, 4)).toEqual([
      '::group::✓ topology web on local: passed',
      '  db                           healthy    started 100ms, ready after 1.2s',
      '  api                          healthy    started 100ms, ready after 1.2s',
      '::endgroup::',
    ]);
    expect(lines.slice(4)).toEqual([
      '',
      'result      time  check',
      'FAILED      1.5s  api says teapot — status 200, expected 418  (stackcheck.yml:14:7)',
      'passed      12ms  api answers',
      '',
      'shop: failed in 4.2s (run abcd1234)',
    ]);
  });
});
