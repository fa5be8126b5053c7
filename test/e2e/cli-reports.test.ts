import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, workdir } from '../support/cli.js';
import { leftovers, NOTHING, uniqueSuite } from '../support/engine.js';
import { validateJUnit } from '../support/junit-readers.js';

// The CLI writes the same reports as the action, through the same code (run-manifest.ts):
// `stackcheck run --junit --summary --json`, and `stackcheck merge` for several runners.

describe('stackcheck run and merge write the reports', () => {
  it('--junit, --summary and --json, and a merge of two runs', async () => {
    const suite = uniqueSuite('cli-reports');
    const dir = workdir({
      'stackcheck.yml': `version: 1
name: ${suite}
topologies:
  web:
    publish: ephemeral
    services:
      app:
        image: stackcheck-fixture/app:1
        ports: ["8080"]
        healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 100 }
  other:
    publish: ephemeral
    services:
      idle: { image: stackcheck-fixture/app:1 }
checks:
  - name: app is healthy
    http: { service: web/app, port: 8080, path: /health }
  - name: idle is healthy
    http: { service: other/idle, port: 8080, from: other/idle }
`,
    });
    const r = await cli(
      [
        'run',
        '--topologies',
        'web',
        '--junit',
        'out/junit.xml',
        '--summary',
        'out/summary.md',
        '--json',
        'out/a.json',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('filter: leaving out topologies other');
    const junit = readFileSync(join(dir, 'out/junit.xml'), 'utf8');
    expect(validateJUnit(junit, { extended: true })).toEqual([]);
    expect(junit).toContain('name="app is healthy"');
    expect(junit).not.toContain('idle');
    const summary = readFileSync(join(dir, 'out/summary.md'), 'utf8');
    expect(summary).toMatch(new RegExp(`^## ✅ stackcheck: ${suite} passed\\n`));
    expect(summary).toContain('| ✅ web | local | app | healthy | healthy |');
    expect(await leftovers({ suite })).toEqual(NOTHING);

    const again = await cli(['run', '--topologies', 'web', '--json', 'out/b.json'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    const merged = await cli(
      ['merge', 'out/a.json', 'out/b.json', '--summary', 'merged.md', '--junit', 'merged.xml'],
      {
        cwd: dir,
      },
    );
    expect(merged.code, merged.stderr).toBe(0);
    const md = readFileSync(join(dir, 'merged.md'), 'utf8');
    expect(md).toContain('app is healthy \\[job=a\\]');
    expect(md).toContain('app is healthy \\[job=b\\]');
    expect(
      validateJUnit(readFileSync(join(dir, 'merged.xml'), 'utf8'), { extended: true }),
    ).toEqual([]);
  });
});
