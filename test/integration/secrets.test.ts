import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, workdir } from '../support/cli.js';
import { leftovers, NOTHING, uniqueSuite } from '../support/engine.js';

describe('secrets never reach a report', () => {
  it('masks declared and secret-looking values in the console and the results JSON', async () => {
    const suite = uniqueSuite('secrets');
    const dir = workdir({
      'stackcheck.yml': `version: 1
name: ${suite}
secrets: [UPSTREAM_URL]
topologies:
  t:
    services:
      app:
        image: stackcheck-fixture/app:1
        environment:
          DB_PASSWORD: correct-horse-battery
          UPSTREAM: \${UPSTREAM_URL}
checks:
  - name: prints its password (and fails)
    exec: { service: app, command: "echo pw=$$DB_PASSWORD url=$$UPSTREAM; exit 3" }
`,
    });
    const r = await cli(['run', 'stackcheck.yml', '--json', 'results.json'], {
      cwd: dir,
      env: { UPSTREAM_URL: 'https://user:pa55word@upstream.example' },
    });
    expect(r.code).toBe(1);
    const json = readFileSync(join(dir, 'results.json'), 'utf8');
    for (const output of [r.stdout, r.stderr, json]) {
      expect(output).not.toContain('correct-horse-battery');
      expect(output).not.toContain('pa55word');
    }
    expect(json).toContain('pw=*** url=***');
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
