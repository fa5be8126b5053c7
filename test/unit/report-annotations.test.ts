import { describe, expect, it } from 'vitest';
import { annotationsFor } from '../../src/report/annotations.js';
import { check, pos, results, scenario, service, topology } from '../support/report-fixtures.js';

describe('annotations', () => {
  it('marks a failing check at its manifest line and column, with the deciding evidence', () => {
    const r = results({
      checks: [
        check('api answers'),
        check('api says teapot', {
          status: 'failed',
          message: 'status 200, expected 418',
          source: pos(14, 7),
          evidence: { request: 'http://x/teapot', status: 200, body: 'a\nb' },
        }),
      ],
    });
    expect(annotationsFor(r)).toEqual([
      {
        level: 'error',
        title: 'check failed: api says teapot',
        message: 'status 200, expected 418\nrequest: http://x/teapot\nstatus: 200\nbody:\n  a\n  b',
        file: 'stackcheck.yml',
        line: 14,
        col: 7,
      },
    ]);
  });

  it('marks a service that did not come up at its compose position', () => {
    const r = results({
      topologies: [
        topology('web', [service('db', { status: 'failed' })], {
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
    });
    expect(annotationsFor(r, { path: (f) => `deploy/${f}` })).toEqual([
      {
        level: 'error',
        title: 'web: service db did not come up',
        message: 'service "db" exited with code 3\nconfig missing',
        file: 'deploy/compose.yml',
        line: 2,
        col: 3,
      },
    ]);
  });

  it('warns of flaky and skipped checks', () => {
    const r = results({
      checks: [
        check('skipped one', {
          status: 'skipped',
          message: 'no GPU on this runner',
          source: pos(20),
        }),
        check('flaky one', {
          flaky: true,
          attempts: 4,
          message: 'status 200 (after 4 attempts)',
          source: pos(24),
        }),
      ],
    });
    expect(annotationsFor(r).map((a) => [a.level, a.title, a.line])).toEqual([
      ['warning', 'flaky check: flaky one', 24],
      ['warning', 'check skipped: skipped one', 20],
    ]);
  });

  it('ranks errors: services that did not come up, failed checks, failed steps, then checks that errored', () => {
    const r = results({
      topologies: [
        topology('web', [service('db', { status: 'failed' })], {
          status: 'failed',
          failure: {
            service: 'db',
            message: 'unhealthy',
            details: [],
            source: pos(2, 3, 'compose.yml'),
          },
        }),
      ],
      checks: [
        check('errored', { status: 'error', message: 'probe image missing' }),
        check('failed', { status: 'failed', message: 'status 500' }),
      ],
      scenarios: [
        scenario('s', {
          status: 'failed',
          steps: [
            {
              index: 0,
              action: 'check',
              name: 'still up',
              status: 'failed',
              startedMs: 0,
              durationMs: 1,
              message: 'down',
              evidence: {},
              source: pos(40, 9),
            },
          ],
        }),
      ],
    });
    expect(annotationsFor(r).map((a) => a.title)).toEqual([
      'web: service db did not come up',
      'check failed: failed',
      'scenario s, step 1 failed: still up',
      'check could not run: errored',
    ]);
  });

  it('shows 10 of each type, then one notice saying how many more and where', () => {
    const r = results({
      checks: [
        ...Array.from({ length: 13 }, (_, i) =>
          check(`failing ${i}`, { status: 'failed', message: 'no', source: pos(10 + i) }),
        ),
        ...Array.from({ length: 11 }, (_, i) =>
          check(`skipped ${i}`, { status: 'skipped', message: 'why', source: pos(40 + i) }),
        ),
      ],
    });
    const list = annotationsFor(r, { elsewhere: 'the job summary and stackcheck-junit.xml' });
    expect(list.filter((a) => a.level === 'error')).toHaveLength(10);
    expect(list.filter((a) => a.level === 'warning')).toHaveLength(10);
    expect(list.filter((a) => a.level === 'error').map((a) => a.title)).toEqual(
      Array.from({ length: 10 }, (_, i) => `check failed: failing ${i}`),
    );
    expect(list.filter((a) => a.level === 'notice')).toEqual([
      {
        level: 'notice',
        title: '3 more errors not annotated',
        message:
          'GitHub shows 10 annotations of each type per step; 3 more errors are listed in the job summary and stackcheck-junit.xml.',
      },
      {
        level: 'notice',
        title: '1 more warning not annotated',
        message:
          'GitHub shows 10 annotations of each type per step; 1 more warning is listed in the job summary and stackcheck-junit.xml.',
      },
    ]);
  });

  it('says once that the run was interrupted instead of annotating every cancelled check', () => {
    const r = results({
      status: 'error',
      interrupted: 'SIGINT',
      checks: [
        check('a', { status: 'error', message: 'cancelled' }),
        check('b', { status: 'error', message: 'cancelled' }),
      ],
    });
    const list = annotationsFor(r);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ level: 'error', title: 'run interrupted (SIGINT)' });
    expect(list[0]!.message).toContain('2 checks did not finish');
  });

  it('keeps each evidence line short and few', () => {
    const r = results({
      checks: [
        check('big', {
          status: 'failed',
          message: 'body mismatch',
          evidence: {
            body: Array.from({ length: 50 }, (_, i) => `${i} ${'z'.repeat(500)}`).join('\n'),
          },
        }),
      ],
    });
    const lines = annotationsFor(r)[0]!.message.split('\n');
    expect(lines.length).toBeLessThanOrEqual(8);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(300);
    expect(lines.at(-1)).toMatch(/more lines in the report/);
  });
});
