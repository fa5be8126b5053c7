import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workdir } from '../support/cli.js';
import { leftovers, NOTHING, uniqueSuite } from '../support/engine.js';
import { newJob, runStep } from '../support/runner.js';

// The action's html input and output, run as the runner runs it (support/runner.ts), and the
// timeline its job summary draws.

describe('the action writes the run as one page when asked', () => {
  it('html: a page at the path given, its absolute path as the html output; a gantt in the summary', async () => {
    const suite = uniqueSuite('action-html');
    const workspace = workdir({
      'stack/stackcheck.yml': `version: 1
name: ${suite}
topologies:
  web:
    publish: ephemeral
    services:
      app:
        image: stackcheck-fixture/app:1
        ports: ["8080"]
        healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 100 }
checks:
  - name: app answers a teapot
    http: { service: web/app, port: 8080, path: /health }
    expect: { status: 418 }
`,
    });
    const job = newJob(workspace);
    const main = await runStep(job, 'dist/index.js', {
      'working-directory': 'stack',
      html: 'out/report.html',
    });
    expect(main.code, main.stdout + main.stderr).toBe(1);
    expect(main.outputs.html).toBe(join(workspace, 'stack', 'out', 'report.html'));
    const page = readFileSync(main.outputs.html!, 'utf8');
    expect(page).toMatch(new RegExp(`<title>stackcheck: ${suite} failed</title>`));
    expect(page).toMatch(/<section id="failures">.*app answers a teapot/s);

    const gantt = /```mermaid\n(gantt\n[\s\S]*?)\n```/.exec(main.summary)?.[1];
    expect(gantt).toMatch(/section node local\n {2}web \(1 service\) :done, s0, \d+, \d+\n/);
    expect(gantt).toMatch(/ {2}app answers a teapot :crit, milestone, s\d+, (\d+), \1$/m);

    // Without the input, no page and an empty output.
    const plain = await runStep(job, 'dist/index.js', { 'working-directory': 'stack' });
    expect(plain.outputs.html).toBe('');
    expect((await runStep(job, 'dist/post.js', { 'working-directory': 'stack' })).code).toBe(0);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
