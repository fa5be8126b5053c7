import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../src/report/summary.js';
import { ganttOf, timeline } from '../../src/report/timeline.js';
import { check, service } from '../support/report-fixtures.js';
import { faultyRun } from '../support/timeline-fixtures.js';
import { seedScaleResults } from '../support/seed-scale-results.js';

/** Every line mermaid's gantt grammar takes as we write it: a task, a section or the header. */
function ganttProblems(text: string): string[] {
  const [first, ...rest] = text.split('\n');
  return [
    ...(first === 'gantt' ? [] : [`starts with ${first}`]),
    ...rest.filter(
      (l) =>
        !/^ {2}(dateFormat x|axisFormat [%:HMSL.s-]+|section [^:#;\n]+)$/.test(l) &&
        !/^ {2}[^:#;\s][^:#;]* :(crit|done|active)(, milestone)?, s\d+, \d+, \d+$/.test(l),
    ),
  ];
}

describe('the run timeline', () => {
  it('puts every service, check, step and fault at its time, in lanes by node and scenario', () => {
    const t = timeline(faultyRun());
    expect(t.lanes.map((l) => l.title)).toEqual(['node local', 'scenario split brain']);
    const [node, sc] = t.lanes;
    expect(node!.spans.map((s) => [s.label, s.startMs, s.endMs, s.failed])).toEqual([
      ['web (2 services)', 50, 2_000, false],
      ['web/db', 50, 1_300, false],
      ['web/api', 1_300, 2_000, false],
      ['api answers', 2_100, 2_140, false],
      ['api says: teapot', 2_150, 2_210, true],
      // The crash step shows on the row of the service it happened to, too.
      ['web/api crash', 3_300, 3_700, false],
    ]);
    expect(node!.spans.at(-1)!.ref).toBe('scenario-0-step-1');
    expect(sc!.spans.map((s) => [s.kind, s.label, s.startMs, s.endMs, s.failed])).toEqual([
      ['step', '1. cut db off', 3_000, 3_200, false],
      ['fault', 'partition: web/db | web/api', 3_150, 7_900, false],
      ['step', '2. crash api', 3_300, 3_700, false],
      ['step', '3. api still answers', 4_000, 6_500, true],
    ]);
    expect(sc!.spans.find((s) => s.kind === 'fault')!.ref).toBe('scenario-0-fault-0');
  });

  it('names what never started under it, and counts results without times', () => {
    const r = faultyRun();
    r.topologies[0]!.services.push(service('worker', { status: 'pending', startedMs: undefined }));
    r.checks.push(check('old', { startedMs: undefined }), check('later', { status: 'skipped' }));
    expect(timeline(r).untimed).toEqual([
      'web/worker (pending)',
      'check later (skipped)',
      "1 checks whose results carry no start time (an older stackcheck's)",
    ]);
  });
});

describe('the gantt in the job summary', () => {
  it('shows the partition, the crash and the failing check in order, failures as crit', () => {
    const md = renderSummary(faultyRun());
    const block = /```mermaid\n(gantt[\s\S]*?)\n```/.exec(md)![1]!;
    expect(ganttProblems(block)).toEqual([]);
    expect(block).toContain('  section node local\n  web (2 services) :done, s0, 50, 2000');
    // `:` ends a task's name in mermaid's grammar.
    expect(block).toContain('  api says teapot :crit, milestone, s4, 2150, 2150');
    const order = ['cut db off', 'partition ', 'crash api', 'api still answers'].map((l) =>
      block.indexOf(l),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(block).toContain('  web/api crash :done, s5, 3300, 3700');
    expect(block).toContain('  partition web/db | web/api :active, s7, 3150, 7900');
    expect(block).toContain('  3. api still answers :crit, milestone, s9, 4000, 4000');
  });

  it('stays legible at seed 000’s scale: a row per topology, failures and slow services beside', () => {
    const r = seedScaleResults();
    r.topologies[3]!.services[1]!.healthyMs = 25_000;
    r.checks.forEach((c, i) => (c.startedMs = 5_000 + i * 10));
    const g = ganttOf(r)!;
    expect(ganttProblems(g.text)).toEqual([]);
    const tasks = g.text.split('\n').filter((l) => / :\w/.test(l));
    // 19 topologies, one slow service, the failing check, each node's passing checks as one,
    // and the two checks that target no service.
    expect(tasks).toHaveLength(19 + 1 + 1 + 2 + 2);
    expect(tasks[1]).toBe('  language_stack/api :done, s1, 100, 25000');
    expect(tasks.filter((l) => l.includes(':crit'))).toEqual([
      expect.stringContaining('pc2 web reaches main observability :crit, milestone'),
    ]);
    expect(g.notes).toEqual([
      `56 services that came up within 10.0s are inside their topology's span`,
      '25 passing checks on node main-pc are one span',
      '14 passing checks on node pc2 are one span',
    ]);
    expect(renderSummary(r)).toContain(
      "_56 services that came up within 10.0s are inside their topology's span._",
    );
  });
});
