import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { combineResults } from '../../src/report/combine.js';
import { renderJUnit } from '../../src/report/junit.js';
import { mergeResults, readResultFiles } from '../../src/report/merge.js';
import { renderSummary } from '../../src/report/summary.js';
import { workdir } from '../support/cli.js';
import { validateJUnit } from '../support/junit-readers.js';
import { check, results } from '../support/report-fixtures.js';

describe('merging results of several runners', () => {
  const pc2 = results({
    runId: 'r2',
    status: 'failed',
    checks: [check('api answers', { status: 'failed', message: 'status 500' })],
    logs: { 'web/api': ['boom'] },
  });
  const main = results({ runId: 'r1' });

  it('labels every topology, check and scenario with its job, and takes the worst verdict', () => {
    const m = mergeResults([
      { results: main, label: 'main-pc' },
      { results: pc2, label: 'pc2' },
    ]);
    expect(m.status).toBe('failed');
    expect(m.runId).toBe('r1,r2');
    expect(m.topologies.map((t) => t.name)).toEqual(['web [job=main-pc]', 'web [job=pc2]']);
    expect(m.checks.map((c) => [c.name, c.status])).toEqual([
      ['api answers [job=main-pc]', 'passed'],
      ['api answers [job=pc2]', 'failed'],
    ]);
    expect(m.logs).toEqual({ 'web/api [job=pc2]': ['boom'] });
    expect(m.teardown).toEqual({ kept: false, containers: 4, networks: 4, volumes: 0, errors: [] });
    const md = renderSummary(m);
    expect(md).toContain('### ❌ api answers \\[job=pc2\\]');
    expect(md).toContain('boom');
    expect(validateJUnit(renderJUnit(m), { extended: true })).toEqual([]);
    expect(renderJUnit(m)).toContain('<property name="matrix.job" value="pc2"/>');
  });

  it('keeps a suite matrix inside each job', () => {
    const combined = combineResults([
      { results: results(), matrix: { GPUS: '1' } },
      { results: results(), matrix: { GPUS: '2' } },
    ]);
    const m = mergeResults([
      { results: combined, label: 'a' },
      { results: main, label: 'b' },
    ]);
    expect(m.checks.map((c) => c.name)).toEqual([
      'api answers [GPUS=1, job=a]',
      'api answers [GPUS=2, job=a]',
      'api answers [job=b]',
    ]);
  });

  it('reads results from files and from folders of downloaded artifacts', () => {
    const dir = workdir({});
    for (const [name, r] of [
      ['stackcheck-run-pc2', { ...pc2, label: 'self-hosted,pc2' }],
      ['stackcheck-run-main', main],
    ] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'stackcheck-results.json'), JSON.stringify(r));
      writeFileSync(join(dir, name, 'stackcheck-junit.xml'), '<testsuites/>');
    }
    writeFileSync(join(dir, 'unrelated.json'), '{"name":"package"}');
    const runs = readResultFiles([dir]);
    expect(runs.map((r) => r.label)).toEqual(['self-hosted,pc2', 'stackcheck-run-main']);
    expect(() =>
      readResultFiles([join(dir, 'stackcheck-run-pc2', 'stackcheck-junit.xml')]),
    ).toThrow(/no stackcheck results found/);
  });
});
