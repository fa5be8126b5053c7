import { describe, expect, it } from 'vitest';
import { UserError, type Problem } from '../../src/common/errors.js';
import { loadSuite } from '../../src/manifest/load.js';
import { workdir } from '../support/cli.js';

const head = `version: 1
name: s
topologies:
  t:
    services:
      db: { image: d }
      web: { image: w }
scenarios:
`;

function load(scenarios: string) {
  const dir = workdir({ 'stackcheck.yml': head + scenarios });
  return loadSuite(`${dir}/stackcheck.yml`, { env: {} });
}

function problems(scenarios: string): Problem[] {
  try {
    load(scenarios);
  } catch (e) {
    if (e instanceof UserError) return e.problems;
    throw e;
  }
  throw new Error('expected the manifest to be rejected');
}

describe('loading scenarios', () => {
  it('reads steps in order with names, fault durations and embedded checks', () => {
    const suite = load(`  - name: grace
    steps:
      - stop: { service: db }
        expect: { graceAtLeast: 600s }
      - pause: { service: web }
        for: 40s
      - check: { http: { service: web, port: 80 }, retry: { timeout: 5s } }
      - name: settle
        sleep: 1s
      - heal: all
`);
    const [sc] = suite.scenarios;
    expect(sc!.name).toBe('grace');
    expect(sc!.steps.map((s) => [s.key, s.name])).toEqual([
      ['stop', 'stop db'],
      ['pause', 'pause web'],
      ['check', 'http check'],
      ['sleep', 'settle'],
      ['heal', 'heal all'],
    ]);
    expect(sc!.steps[1]!.forMs).toBe(40_000);
    expect(sc!.steps[2]!.check).toMatchObject({
      kind: 'http',
      retry: { timeoutMs: 5000 },
      targets: ['t/web'],
    });
    expect(sc!.steps[0]!.pos).toMatchObject({ line: 11, column: 9 });
  });

  it('names a check step after its kind, whatever order its keys come in', () => {
    const suite = load(
      '  - name: x\n    steps:\n      - check: { repeat: 5, http: { service: web, port: 80 } }\n',
    );
    expect(suite.scenarios[0]!.steps[0]!.name).toBe('http check');
  });

  it('reports an unknown action with a suggestion at its line', () => {
    expect(problems('  - name: x\n    steps:\n      - stopp: { service: db }\n')).toEqual([
      expect.objectContaining({
        message: 'unknown step action "stopp"',
        pos: expect.objectContaining({ line: 11, column: 9 }),
        hint: 'Did you mean "stop"?',
      }),
    ]);
  });

  it('reports a missing service, a missing node and `for` on a step that is not a fault', () => {
    const p = problems(`  - name: x
    steps:
      - stop: { service: dbx }
      - down: { node: pc2 }
      - start: { service: db }
        for: 5s
`);
    expect(p.map((x) => [x.message.split(' (')[0], x.pos?.line])).toEqual([
      ['step stop: no service "dbx" in any topology', 11],
      ['step down: no node "pc2"', 12],
      ['unknown key "for" in scenarios.0.steps.2', 14],
    ]);
  });

  it('validates embedded checks like any check, at their position', () => {
    const p = problems('  - name: x\n    steps:\n      - check: { http: { service: web } }\n');
    expect(p).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('`service` needs `port`'),
        pos: expect.objectContaining({ line: 11 }),
      }),
    ]);
  });
});
