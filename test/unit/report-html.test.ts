import { describe, expect, it } from 'vitest';
import { PLOT_W, renderHtml } from '../../src/report/html.js';
import { check } from '../support/report-fixtures.js';
import { seedScaleResults } from '../support/seed-scale-results.js';
import { faultyRun } from '../support/timeline-fixtures.js';

const HOSTILE = `</pre><script>alert(1)</script><img src=x onerror="alert(2)">'"`;

describe('the HTML page', () => {
  it('loads nothing: no external reference, and a policy that forbids any request', () => {
    const page = renderHtml(faultyRun());
    expect(page).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    );
    expect(page).not.toMatch(/<(link|img|iframe|object|embed)\b/);
    expect(page).not.toMatch(/<script[^>]+src=/);
    const refs = [...page.matchAll(/\b(?:href|src)="([^"]*)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref).toMatch(/^#[\w-]+$/);
  });

  it('escapes every string of the results: names, messages and evidence', () => {
    const r = faultyRun();
    r.checks.push(
      check(HOSTILE, {
        status: 'failed',
        message: HOSTILE,
        evidence: { body: HOSTILE },
        startedMs: 10,
      }),
    );
    r.logs = { 'web/api': [HOSTILE] };
    const page = renderHtml(r);
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('</pre><script>');
    expect(page).toContain('&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    // The one script is ours.
    expect(page.match(/<script>/g)).toHaveLength(1);
  });

  it('shows the failures first: the failing check before the timeline and everything else', () => {
    const page = renderHtml(faultyRun());
    const failures = page.indexOf('<section id="failures">');
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThan(page.indexOf('<section id="timeline">'));
    const first = page
      .slice(failures)
      .match(/<details id="([\w-]+)"[^>]*><summary>(.*?)<\/summary>/)!;
    expect(first[1]).toBe('failure-check-1');
    expect(first[2]).toContain('api says: teapot');
  });

  it('draws each span where its times say, linked to its details', () => {
    const r = faultyRun();
    const page = renderHtml(r);
    const k = PLOT_W / 9_000;
    const fault = r.scenarios[0]!.faults[0]!;
    const rect = new RegExp(
      `<a href="#scenario-0-fault-0" data-ref="scenario-0-fault-0"><rect class="span fault" data-s="3150" data-e="7900" x="([\\d.]+)" y="\\d+" width="([\\d.]+)"`,
    ).exec(page)!;
    expect(Number(rect[1])).toBeCloseTo(8 + fault.appliedMs! * k, 0);
    expect(Number(rect[2])).toBeCloseTo((fault.healedMs! - fault.appliedMs!) * k, 0);
    expect(page).toContain('<details id="scenario-0-step-2"');
    expect(page).toContain('<li id="scenario-0-fault-0">partition: web/db | web/api (iptables)');
  });

  it('folds nothing at seed 000’s scale: a row for every service and check', () => {
    const r = seedScaleResults();
    r.checks.forEach((c, i) => (c.startedMs = 5_000 + i * 10));
    const page = renderHtml(r);
    expect(page.match(/<rect class="span service/g)).toHaveLength(57);
    expect(page.match(/<rect class="span check/g)).toHaveLength(42);
    expect(page.match(/<details id="topology-\d+"/g)).toHaveLength(19);
  });
});
