import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/common/labels.js';
import type { ScenarioResult, StepResult } from '../../src/model/results.js';
import { cli, CliProcess, workdir } from '../support/cli.js';
import { engine, leftovers, NOTHING, uniqueSuite } from '../support/engine.js';
import { runFiles } from '../support/run.js';

/*
 * Network faults on the real engine. This kernel has no sch_netem, so delay falls back to the
 * proxy and loss to iptables' random drop; the tests assert which mechanism the results name.
 * Helpers run STACKCHECK_FAULT_IMAGE (vitest.config.ts: stackcheck-fixture/nettools:1).
 */

const APP = 'stackcheck-fixture/app:1';
const health =
  'healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 50 }';

function manifest(scenarios: string, extraServices = '') {
  return {
    'stackcheck.yml': `version: 1
name: {{SUITE}}
topologies:
  t:
    publish: ephemeral
    services:
      a: { image: ${APP}, init: true, ports: ["8080"], ${health} }
      b: { image: ${APP}, init: true, ${health} }
      c: { image: ${APP}, init: true, ${health} }
${extraServices}scenarios:
${scenarios}`,
  };
}

function byName(list: ScenarioResult[]) {
  return Object.fromEntries(list.map((s) => [s.name, s]));
}

/** Steps by their name, for assertions that read like the manifest. */
function steps(sc: ScenarioResult): Record<string, StepResult> {
  return Object.fromEntries(sc.steps.map((s) => [s.name, s]));
}

const cut = (from: string, to: string) =>
  `      - name: ${from} cannot reach ${to}
        check: { reach: { from: ${from}, to: "${to}:8080" }, expect: { reachable: false }, timeout: 2s }
`;
const open = (from: string, to: string) =>
  `      - name: ${from} reaches ${to}
        check: { reach: { from: ${from}, to: "${to}:8080" }, timeout: 2s }
`;

describe('network faults on a real engine', () => {
  it('partition cuts exactly the named paths, both ways, and heals', async () => {
    const { results, suite } = await runFiles(
      manifest(`  - name: between
    steps:
${open('a', 'b')}      - partition: { between: [a, b] }
${cut('a', 'b')}${cut('b', 'a')}${open('a', 'c')}${open('c', 'a')}${open('b', 'c')}      - heal: partition
      - name: healed a → b
        check: { reach: { from: a, to: "b:8080" }, timeout: 2s }
      - name: healed b → a
        check: { reach: { from: b, to: "a:8080" }, timeout: 2s }
  - name: oneway
    steps:
      - partition: { between: [a, b], oneway: true }
${cut('a', 'b')}${open('b', 'a')}${open('a', 'c')}
  - name: isolate
    steps:
      - partition: { isolate: c }
        for: 20s
${cut('a', 'c')}${cut('c', 'b')}${open('a', 'b')}${open('b', 'a')}
  - name: groups
    steps:
      - partition: { between: [[a, b], [c]] }
${cut('a', 'c')}${cut('b', 'c')}${cut('c', 'a')}${open('a', 'b')}
  - name: all healed at the end of the scenarios before
    steps:
      - check: { reach: { from: [a, b, c], to: ["a:8080", "b:8080", "c:8080"] }, timeout: 2s }
`),
    );
    const sc = byName(results.scenarios);
    for (const name of [
      'between',
      'oneway',
      'isolate',
      'groups',
      'all healed at the end of the scenarios before',
    ])
      expect(
        sc[name]!.steps.filter((s) => s.status !== 'passed'),
        name,
      ).toEqual([]);

    const between = steps(sc.between!);
    expect(between['partition a ↔ b']!.message).toMatch(
      /^cut t\/a ↔ t\/b \(iptables chain SC-\w{8}-\d+ in 2 containers\)$/,
    );
    expect(between['partition a ↔ b']!.evidence).toMatchObject({
      mechanism: 'iptables',
      iptables: 'iptables',
    });
    expect(between['heal partition']!.message).toMatch(/^healed partition t\/a ↔ t\/b$/);
    expect(sc.between!.faults).toEqual([
      expect.objectContaining({ kind: 'partition', mechanism: 'iptables', reason: 'a heal step' }),
    ]);
    expect(sc.oneway!.faults).toEqual([
      expect.objectContaining({
        description: 'partition t/a → t/b',
        reason: 'the end of the scenario',
      }),
    ]);
    expect(sc.isolate!.faults).toEqual([
      expect.objectContaining({ description: 'partition t/c isolated' }),
    ]);
    expect(sc.groups!.faults[0]!.error).toBeUndefined();
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('delay raises the measured latency by the configured amount (proxy, no netem here), then drops back', async () => {
    // The runner times GET a:/fetch?url=http://b:8080/health: a's own request to b is what is
    // delayed; the runner's path to a is not. After a warm-up (a's first fetch sets up its client),
    // five samples per phase.
    const fetchB = (name: string) =>
      `      - name: ${name}
        check: { http: { service: a, port: 8080, path: "/fetch?url=http://b:8080/health" }, expect: { status: 200, json: { status: 200 } } }
`;
    const phase = (p: string) => [1, 2, 3, 4, 5].map((i) => fetchB(`${p} ${i}`)).join('');
    const { results, suite } = await runFiles(
      manifest(`  - name: delay
    steps:
${fetchB('warm-up')}${phase('before')}      - delay: { service: a, to: b, duration: 200ms }
${phase('during')}${open('a', 'c')}      - heal: delay
${phase('after')}`),
    );
    const sc = results.scenarios[0]!;
    expect(sc.steps.filter((s) => s.status !== 'passed')).toEqual([]);
    const byStep = steps(sc);
    const samples = (p: string) =>
      [1, 2, 3, 4, 5].map((i) => byStep[`${p} ${i}`]!.evidence.latencyMs as number);
    // Noise on a shared runner only ever adds time, so each phase is judged by its fastest
    // sample; the baseline is the fastest of before and after.
    const base = Math.min(...samples('before'), ...samples('after'));
    const during = Math.min(...samples('during'));
    console.log(
      `delay 200ms via proxy, GET a:/fetch?url=http://b:8080/health from the runner: before ${samples('before').join('/')}ms, during ${samples('during').join('/')}ms, after ${samples('after').join('/')}ms; rise ${during - base}ms`,
    );
    // The proxy holds each chunk a sends for 200 ms (a timer fires no earlier than asked), so
    // the rise is 200 ms give or take the baseline's own spread (a few ms); the upper bound
    // allows for scheduling on a busy 2-core runner.
    expect(during - base).toBeGreaterThanOrEqual(190);
    expect(during - base).toBeLessThanOrEqual(260);
    expect(Math.min(...samples('after'))).toBeLessThan(Math.min(...samples('before')) + 30);

    const step = byStep['delay a']!;
    expect(step.message).toMatch(
      /^delayed t\/a → b \+200ms with a proxy \(no netem: .*qdisc kind is unknown/,
    );
    expect(step.evidence).toMatchObject({ mechanism: 'proxy', delayMs: 200 });
    expect(sc.faults).toEqual([
      expect.objectContaining({ kind: 'delay', mechanism: 'proxy', reason: 'a heal step' }),
    ]);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('bandwidth limits what a service sends with tbf, and heals', async () => {
    // a uploads 256 KiB to b (b echoes it back, unshaped): at 1mbit that is about 2 s.
    // Only uploads are timed: a small fetch first sets up Node's fetch (its first call loads
    // undici: 70-290 ms at load 30 on Docker 20.10 and 28 alike, against 8-60 ms for the
    // upload itself). Noise on a shared runner only adds time, so the unshaped phases report
    // the fastest of 3 uploads (one shaped upload is 2 s; 3 would crowd the exec's 10 s).
    const upload = (name: string, n: number) => `      - name: ${name}
        check: { exec: { service: a, command: [node, -e, "const up = () => { const t = Date.now(); return fetch('http://b:8080/echo', { method: 'POST', body: Buffer.alloc(262144, 97) }).then((r) => r.text()).then(() => Date.now() - t); }; (async () => { await (await fetch('http://b:8080/health')).text(); let best = Infinity; for (let i = 0; i < ${n}; i++) best = Math.min(best, await up()); console.log('ms=' + best); })()"] }, expect: { exit: 0 } }
`;
    const { results, suite } = await runFiles(
      manifest(`  - name: bandwidth
    steps:
${upload('before', 3)}      - bandwidth: { service: a, rate: 1mbit }
${upload('during', 1)}      - heal: bandwidth
${upload('after', 3)}`),
    );
    const sc = results.scenarios[0]!;
    expect(sc.steps.filter((s) => s.status !== 'passed')).toEqual([]);
    const ms = (name: string) => {
      const out = JSON.stringify(steps(sc)[name]!.evidence);
      return Number(/ms=(\d+)/.exec(out)![1]);
    };
    console.log(
      `bandwidth 1mbit via tbf: 256 KiB upload before ${ms('before')}ms, during ${ms('during')}ms, after ${ms('after')}ms`,
    );
    expect(ms('before')).toBeLessThan(500);
    expect(ms('during')).toBeGreaterThan(1500);
    expect(ms('during')).toBeLessThan(5000);
    expect(ms('after')).toBeLessThan(500);
    expect(steps(sc)['bandwidth a']!.evidence).toMatchObject({
      mechanism: 'tbf',
      rateBits: 1_000_000,
    });
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('loss drops packets at random with iptables where there is no netem; 100% to one peer cuts it', async () => {
    const ping = (name: string) => `      - name: ${name}
        check: { exec: { service: a, command: [ping, -q, -c, "100", -i, "0.02", -W, "1", c] }, expect: { exit: 0 } }
`;
    const { results, suite } = await runFiles(
      manifest(`  - name: partial
    steps:
      - loss: { service: a, percent: 30 }
${ping('pings')}  - name: total to one
    steps:
      - loss: { service: a, percent: 100, to: b }
${cut('a', 'b')}${open('a', 'c')}  - name: proxy resets connections
    steps:
      - loss: { service: a, percent: 100, to: b, via: proxy }
      - name: fetch fails
        check: { http: { service: a, port: 8080, path: "/fetch?url=http://b:8080/health" }, expect: { status: 502 } }
      - heal: loss
      - name: fetch works
        check: { http: { service: a, port: 8080, path: "/fetch?url=http://b:8080/health" }, expect: { status: 200 } }
`),
    );
    const sc = byName(results.scenarios);
    for (const s of Object.values(sc))
      expect(
        s.steps.filter((x) => x.status !== 'passed'),
        s.name,
      ).toEqual([]);
    const partial = steps(sc.partial!);
    expect(partial['loss a']!.evidence).toMatchObject({
      mechanism: 'iptables-statistic',
      percent: 30,
    });
    const lost = Number(/(\d+)% packet loss/.exec(JSON.stringify(partial.pings!.evidence))![1]);
    console.log(`loss 30% via iptables statistic: ${lost}% of 100 pings lost`);
    // Binomial(100, 0.3): the standard deviation is 4.6 points; 12..50 is beyond 3.5 of them.
    expect(lost).toBeGreaterThanOrEqual(12);
    expect(lost).toBeLessThanOrEqual(50);
    expect(steps(sc['proxy resets connections']!)['loss a']!.evidence).toMatchObject({
      mechanism: 'proxy',
    });
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('a fault image without the tools fails the step before anything changes', async () => {
    const saved = process.env.STACKCHECK_FAULT_IMAGE;
    process.env.STACKCHECK_FAULT_IMAGE = 'stackcheck-fixture/busybox:1';
    try {
      const { results, suite } = await runFiles(
        manifest(`  - name: no iptables
    steps:
      - partition: { between: [a, b] }
  - name: no tc
    steps:
      - bandwidth: { service: a, rate: 1mbit }
  - name: nothing changed
    steps:
${open('a', 'b')}${open('b', 'a')}`),
      );
      const sc = byName(results.scenarios);
      expect(sc['no iptables']!.status).toBe('error');
      expect(sc['no iptables']!.steps[0]!.message).toMatch(
        /^cannot partition: iptables is not available in stackcheck-fixture\/busybox:1 \(iptables: not found; in sc-\w+-t-a-1's network namespace, with NET_ADMIN\)$/,
      );
      expect(sc['no iptables']!.faults).toEqual([]);
      expect(sc['no tc']!.steps[0]).toMatchObject({
        status: 'error',
        message: expect.stringMatching(
          /^cannot limit bandwidth: tc is not available in stackcheck-fixture\/busybox:1 \(tc: not found/,
        ),
      });
      expect(sc['nothing changed']!.status).toBe('passed');
      expect(await leftovers({ suite })).toEqual(NOTHING);
    } finally {
      if (saved === undefined) delete process.env.STACKCHECK_FAULT_IMAGE;
      else process.env.STACKCHECK_FAULT_IMAGE = saved;
    }
  });

  it('after a SIGKILL in the middle of a partition, the helper heals when stopped and `down` removes everything', async () => {
    const suite = uniqueSuite('fault-kill');
    const dir = workdir(
      Object.fromEntries(
        Object.entries(
          manifest(`  - name: long partition
    steps:
      - partition: { between: [a, b] }
        for: 10m
      - sleep: 10m
`),
        ).map(([k, v]) => [k, v.replaceAll('{{SUITE}}', suite)]),
      ),
    );
    // --keep: another stackcheck run on this engine (a concurrent test) would otherwise sweep
    // the dead run's containers as stale while this test still looks at them.
    const p = new CliProcess(['run', 'stackcheck.yml', '--keep'], { cwd: dir });
    await p.waitFor(/passed +long partition › partition a ↔ b/, 90_000);
    p.child.kill('SIGKILL');
    await p.done;

    const [a] = await engine.listContainers({ [LABEL.suite]: suite, [LABEL.service]: 'a' });
    // (busybox wget's own -T crashes in this build: `timeout` bounds it instead.)
    const reachB = async () =>
      (
        await engine.exec(a!.id, {
          cmd: ['timeout', '3', 'wget', '-q', '-O', '/dev/null', 'http://b:8080/health'],
        })
      ).exitCode;
    expect(await reachB()).not.toBe(0); // the partition outlived its runner

    const helpers = await engine.listContainers({ [LABEL.suite]: suite, [LABEL.role]: 'fault' });
    expect(helpers).toHaveLength(2); // one in a's network namespace, one in b's
    // Stopping a helper (what `down` does first) runs its heal: its rules go with SIGTERM.
    await Promise.all(helpers.map((h) => engine.stopContainer(h.id, 10_000)));
    expect(await reachB()).toBe(0);

    const runId = /run ([0-9a-f]{8}):/.exec(p.stderr)![1]!;
    const down = await cli(['down', '--run', runId], { cwd: dir });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(
      new RegExp(`run ${runId} \\(suite ${suite}\\): removed 5 containers, 1 networks`),
    );
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
