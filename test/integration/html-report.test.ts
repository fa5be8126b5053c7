import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSummary } from '../../src/report/summary.js';
import { cli } from '../support/cli.js';
import { leftovers, NOTHING } from '../support/engine.js';
import { runFiles } from '../support/run.js';

/*
 * The HTML page of a real run, opened from disk in a real browser: Debian's chromium
 * (scripts/ensure-chromium.sh installs it), driven by playwright-core. The run has a
 * partition with a check inside it, a crash, and a check that fails.
 */

const APP = 'stackcheck-fixture/app:1';
const health =
  'healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 50 }';
/** Where the screenshot is kept for a reader of the test run (gitignored). */
const ARTIFACTS = resolve('test-artifacts');

const manifest = `version: 1
name: {{SUITE}}
topologies:
  t:
    publish: ephemeral
    services:
      a: { image: ${APP}, init: true, ports: ["8080"], ${health} }
      b: { image: ${APP}, init: true, restart: on-failure, ${health} }
checks:
  - name: a is a teapot
    http: { service: a, port: 8080, path: /health }
    expect: { status: 418 }
scenarios:
  - name: split and crash
    steps:
      - partition: { between: [a, b] }
      - name: a cannot reach b
        check: { reach: { from: a, to: "b:8080" }, expect: { reachable: false }, timeout: 2s }
      - crash: { service: b }
      - heal: partition
`;

interface Box {
  x: number;
  right: number;
  width: number;
}
interface Geometry {
  origin: number;
  k: number;
  fault: Box;
  check: Box;
}
const isOpen = (d: unknown) => (d as { open: boolean }).open;

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.STACKCHECK_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
afterAll(async () => browser?.close());

describe('the HTML page of a real run, in a real browser', () => {
  it('opens from disk with no request and no error, failures first, spans where their times say', async () => {
    const { results, suite, dir } = await runFiles({ 'stackcheck.yml': manifest });
    expect(results.status).toBe('failed');
    const fault = results.scenarios[0]!.faults[0]!;
    expect(fault).toMatchObject({ kind: 'partition', reason: 'a heal step' });
    expect(await leftovers({ suite })).toEqual(NOTHING);

    // The job summary's gantt: the failing check marked, the scenario's steps and the fault in
    // the order they happened, each at its time.
    const gantt = /```mermaid\n(gantt\n[\s\S]*?)\n```/.exec(renderSummary(results))![1]!;
    const rows = gantt.split('\n');
    const row = (re: RegExp) => {
      const i = rows.findIndex((l) => re.test(l));
      const [, start, end] = / (\d+), (\d+)$/.exec(rows[i] ?? '') ?? [];
      return { i, start: Number(start), end: Number(end), line: rows[i] };
    };
    expect(row(/^ {2}a is a teapot /).line).toMatch(/:crit, milestone, /);
    const steps = [
      row(/^ {2}1\. partition /),
      row(/^ {2}partition partition t\/a /),
      row(/^ {2}2\. a cannot reach b /),
      row(/^ {2}3\. crash b /),
      row(/^ {2}4\. heal partition /),
    ];
    expect(steps.map((r) => r.i).every((i, n, all) => i > 0 && (n === 0 || i > all[n - 1]!))).toBe(
      true,
    );
    const [, window, within, crash] = steps;
    expect([window!.start, window!.end]).toEqual([fault.appliedMs, fault.healedMs]);
    expect(within!.start).toBeGreaterThanOrEqual(window!.start);
    expect(crash!.start).toBeLessThan(window!.end);

    // The page is made from the results JSON alone, by the CLI, as for an earlier run.
    const json = join(dir, 'results.json');
    const page = join(dir, 'report.html');
    writeFileSync(json, JSON.stringify(results));
    const made = await cli(['report', json, '--html', page]);
    expect(made.stderr).toContain(`${json}: ${results.suite}`);
    expect(made.code).toBe(1);
    expect(readFileSync(page, 'utf8')).toContain('<section id="timeline">');

    const tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requests: string[] = [];
    const problems: string[] = [];
    tab.on('request', (req) => requests.push(req.url()));
    tab.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    tab.on('pageerror', (e) => problems.push(e.message));
    const url = pathToFileURL(page).href;
    await tab.goto(url);

    expect(problems).toEqual([]);
    expect(requests.filter((u) => u !== url && !u.startsWith('data:'))).toEqual([]);

    // The first thing below the verdict is the failing check, open, with its evidence.
    const first = tab.locator('details').first();
    await expect.poll(() => first.getAttribute('id')).toBe('failure-check-0');
    expect(await first.locator('summary').innerText()).toContain('a is a teapot');
    expect(await first.evaluate(isOpen)).toBe(true);
    expect(await first.innerText()).toContain('418');
    const box = (sel: string) => tab.locator(sel).first().boundingBox();
    expect((await box('#failures'))!.y).toBeLessThan((await box('#timeline'))!.y);

    // The partition's bar and the check inside it, as drawn, against the times in the JSON.
    const sc = results.scenarios[0]!;
    const inside = sc.steps[1]!;
    const checkAt = sc.startedMs! + inside.startedMs;
    expect(checkAt).toBeGreaterThanOrEqual(fault.appliedMs!);
    expect(checkAt).toBeLessThan(fault.healedMs!);
    // Runs in the page (a string: these tests are typed without the DOM).
    const geometry = (): Promise<Geometry> =>
      tab.evaluate(`(() => {
        const plot = document.getElementById('plot');
        const box = (sel) => plot.querySelector(sel).getBoundingClientRect().toJSON();
        return {
          origin: plot.getBoundingClientRect().x + Number(plot.dataset.pad),
          k: Number(plot.dataset.k),
          fault: box('a[data-ref="scenario-0-fault-0"] rect'),
          check: box('a[data-ref="scenario-0-step-1"] path'),
        };
      })()`);
    const at1 = await geometry();
    const x = (ms: number) => at1.origin + ms * at1.k;
    expect(at1.fault.x).toBeCloseTo(x(fault.appliedMs!), 0);
    expect(at1.fault.right).toBeCloseTo(x(fault.healedMs!), 0);
    // The diamond is centred on the check's start.
    expect(at1.check.x + at1.check.width / 2).toBeCloseTo(x(checkAt), 0);
    expect(at1.check.x).toBeGreaterThan(at1.fault.x);
    expect(at1.check.right).toBeLessThan(at1.fault.right);

    // Zoom: the same times, at a larger scale.
    await tab.locator('#zoom').fill('4');
    const at4 = await geometry();
    expect(at4.k).toBeCloseTo(at1.k * 4, 6);
    expect(at4.fault.width).toBeCloseTo(at1.fault.width * 4, 0);
    await tab.locator('#zoom').fill('1');

    // A click on the check's bar opens its evidence.
    await tab.locator('a[data-ref="scenario-0-step-1"]').click();
    await expect.poll(() => tab.locator('#scenario-0-step-1').evaluate(isOpen)).toBe(true);
    expect(await tab.locator('#scenario-0-step-1').innerText()).toContain('NOT reachable');

    mkdirSync(ARTIFACTS, { recursive: true });
    await tab.goto(url);
    await tab.screenshot({ path: join(ARTIFACTS, 'html-report.png'), fullPage: true });
    expect(requests.filter((u) => u !== url && !u.startsWith('data:'))).toEqual([]);
    await tab.close();
  });
});
