import { describe, expect, it } from 'vitest';
import { Runtime } from '../../src/live/runtime.js';
import type { Replica } from '../../src/model/refs.js';
import { realClock } from '../../src/common/clock.js';
import { UserError, type Problem } from '../../src/common/errors.js';
import type { ContainerState, ExecRequest, ExecResult } from '../../src/engine/engine.js';
import { FakeEngine, type FakeContainer } from '../../src/engine/fake.js';
import { loadSuite } from '../../src/manifest/load.js';
import { LABEL } from '../../src/common/labels.js';
import { FaultSet } from '../../src/live/fault-set.js';
import { READY } from '../../src/faults/network/proxy.js';
import { bandwidth } from '../../src/faults/bandwidth.js';
import { delay } from '../../src/faults/delay.js';
import { loss } from '../../src/faults/loss.js';
import { partition } from '../../src/faults/partition.js';
import type { StepContext } from '../../src/live/step.js';
import { workdir } from '../support/cli.js';
import { dur, service, suite as suiteOf, topology } from '../support/specs.js';

/*
 * The order of a network fault's life, on the fake engine: helpers, preflight, record, apply,
 * heal — and that a preflight that finds a tool missing changes nothing. The scripts
 * themselves run against a real kernel in test/integration/faults-network.test.ts.
 */

const TOOLS = 'tools:1';
const IPS: Record<string, string> = { a: '172.18.0.2', b: '172.18.0.3', c: '172.18.0.4' };

/** A fake engine whose service containers have addresses, with every exec recorded. */
class NetFake extends FakeEngine {
  readonly execs: { container: string; script: string; env?: Record<string, string> }[] = [];
  constructor(private readonly answer: (script: string, c: FakeContainer) => ExecResult) {
    super({ images: [TOOLS] });
    this.onExec((c, req: ExecRequest) => {
      const script = req.cmd[2] ?? req.cmd.join(' ');
      this.execs.push({ container: c.name, script, env: req.env });
      return this.answer(script, c);
    });
  }

  override async inspectContainer(id: string): Promise<ContainerState> {
    const s = await super.inspectContainer(id);
    const svc = s.labels[LABEL.service];
    return svc
      ? {
          ...s,
          networks: [{ name: 'sc-net', ipv4: IPS[svc] }],
          exposedPorts: [{ port: 8080, protocol: 'tcp' }],
        }
      : s;
  }

  override async containerLogs(id: string, tail: number): Promise<string> {
    const s = await super.inspectContainer(id);
    return s.name.endsWith('-proxy')
      ? `${READY} {"172.18.0.3:8080":40001}\n`
      : super.containerLogs(id, tail);
  }

  helpers(): Promise<{ name: string }[]> {
    return this.listContainers({ [LABEL.role]: 'fault' });
  }
}

const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout, stderr: '' });
const PREFLIGHT_OK = 'iptables=iptables\nnat=ok\ntc=/usr/sbin/tc\n';

async function setup(answer: (script: string) => ExecResult) {
  const engine = new NetFake(answer);
  const s = {
    ...suiteOf([
      topology(
        't',
        ['a', 'b', 'c'].map((n) => service(n)),
      ),
    ]),
    faultImages: { tools: TOOLS, proxy: TOOLS },
  };
  const labels = { [LABEL.run]: 'abcd1234', [LABEL.suite]: 'unit' };
  const replicas: Replica[] = [];
  for (const name of ['a', 'b', 'c']) {
    const id = await engine.runSidecar({
      name: `sc-abcd1234-t-${name}-1`,
      image: TOOLS,
      cmd: ['sleep'],
      labels: { ...labels, [LABEL.topology]: 't', [LABEL.service]: name },
    });
    replicas.push({
      topology: 't',
      service: name,
      node: 'local',
      containerId: id,
      containerName: `sc-abcd1234-t-${name}-1`,
      index: 1,
    });
  }
  const runtime = new Runtime(s, new Map([['local', engine]]), replicas, labels, 'probe:1');
  const ctx: StepContext = {
    suite: s,
    runtime,
    clock: realClock,
    signal: new AbortController().signal,
    faults: new FaultSet(),
  };
  return { engine, ctx };
}

const isPreflight = (script: string) => script.includes('.error=');
const isHeal = (script: string) =>
  script.includes('-D "$h"') || script.includes('qdisc del dev "$i" root handle');

describe('fault records', () => {
  it('carry when the fault was applied and when its healing ended, on the clock given', async () => {
    let now = 1000;
    const set = new FaultSet(() => now);
    set.add({
      id: 'f1',
      kind: 'partition',
      description: 'd',
      mechanism: 'm',
      heal: async () => {
        now = 4000;
      },
    });
    now = 3000;
    await set.heal('f1', 'a heal: step');
    expect(set.healed[0]).toMatchObject({ id: 'f1', appliedMs: 1000, healedMs: 4000 });
  });
});

describe('network fault steps on the fake engine', () => {
  it('partition: a helper in each side, preflight, then the rules; healing removes them and the helpers', async () => {
    const { engine, ctx } = await setup((s) => (isPreflight(s) ? ok(PREFLIGHT_OK) : ok()));
    const out = await partition.run({ partition: { between: ['a', 'b'] } }, ctx);
    expect(out).toMatchObject({ status: 'passed', evidence: { mechanism: 'iptables' } });
    expect(out.message).toMatch(
      /^cut t\/a ↔ t\/b \(iptables chain SC-abcd1234-\d+ in 2 containers\)$/,
    );
    const helpers = await engine.helpers();
    expect(helpers.map((h) => h.name).sort()).toEqual([
      expect.stringMatching(/^sc-abcd1234-t-a-1-partition-/),
      expect.stringMatching(/^sc-abcd1234-t-b-1-partition-/),
    ]);
    const applied = engine.execs.filter((e) => e.script.includes(' -N SC-'));
    expect(applied.map((e) => e.container).sort()).toEqual(helpers.map((h) => h.name).sort());
    const inA = applied.find((e) => e.container.includes('-t-a-1-'))!;
    expect(inA.script).toContain('-s 172.18.0.3 -j DROP');
    expect(inA.script).not.toContain('172.18.0.4'); // c is not part of it
    expect(inA.env).toEqual({ IPT: 'iptables', TC: '/usr/sbin/tc' });

    expect(ctx.faults.list()).toEqual([
      expect.objectContaining({ kind: 'partition', mechanism: 'iptables' }),
    ]);
    await ctx.faults.healAll('the end of the scenario');
    expect(engine.execs.filter((e) => isHeal(e.script))).toHaveLength(2);
    expect(await engine.helpers()).toEqual([]);
    expect(ctx.faults.healed).toEqual([
      expect.objectContaining({ reason: 'the end of the scenario' }),
    ]);
    expect(ctx.faults.healed[0]!.error).toBeUndefined();
  });

  it('a preflight that finds iptables missing fails the step and changes nothing', async () => {
    const { engine, ctx } = await setup((s) =>
      isPreflight(s) ? ok('iptables.error=iptables: not found\n') : ok(),
    );
    const out = await partition.run({ partition: { isolate: 'c' } }, ctx);
    expect(out.status).toBe('error');
    expect(out.message).toMatch(
      /^cannot partition: iptables is not available in tools:1 \(iptables: not found; in sc-abcd1234-t-\w-1's network namespace, with NET_ADMIN\)$/,
    );
    expect(engine.execs.every((e) => isPreflight(e.script))).toBe(true);
    expect(await engine.helpers()).toEqual([]);
    expect(ctx.faults.list()).toEqual([]);
  });

  it('isolate leaves stopped containers alone; a named one that is stopped is an error', async () => {
    const { engine, ctx } = await setup((s) => (isPreflight(s) ? ok(PREFLIGHT_OK) : ok()));
    const c = ctx.runtime.replicas('c')[0]!;
    await engine.stopContainer(c.containerId, 0);
    const out = await partition.run({ partition: { isolate: 'a' } }, ctx);
    expect(out).toMatchObject({
      status: 'passed',
      message: expect.stringMatching(/ in 2 containers\)$/),
    });
    expect((await engine.helpers()).map((h) => h.name).sort()).toEqual([
      expect.stringMatching(/-t-a-1-partition-/),
      expect.stringMatching(/-t-b-1-partition-/),
    ]);
    await ctx.faults.healAll('test');
    const named = await partition.run({ partition: { between: ['a', 'c'] } }, ctx);
    expect(named).toMatchObject({
      status: 'error',
      message: 'cannot partition: sc-abcd1234-t-c-1 is not running',
    });
    expect(await engine.helpers()).toEqual([]);
  });

  it('a fault image that cannot be had is an error before any helper starts', async () => {
    const { engine, ctx } = await setup(() => ok());
    engine.failPulls(1, 'pull access denied for nosuch/image');
    const out = await partition.run(
      { partition: { between: ['a', 'b'] } },
      { ...ctx, suite: { ...ctx.suite, faultImages: { tools: 'nosuch/image:1', proxy: TOOLS } } },
    );
    expect(out.status).toBe('error');
    expect(out.message).toMatch(
      /^cannot partition: the fault image nosuch\/image:1 is not on node "local" and pulling it failed \(.*pull access denied/,
    );
    expect(engine.callsTo('runSidecar').filter((c) => c.target.includes('partition'))).toEqual([]);
  });

  it('when applying fails half-way, what was applied is healed at once and the step says why', async () => {
    const { engine, ctx } = await setup((s) => {
      if (isPreflight(s)) return ok(PREFLIGHT_OK);
      if (s.includes(' -N SC-'))
        return {
          exitCode: 4,
          stdout: '',
          stderr: "iptables v1.8.9 (nf_tables): Couldn't load match `conntrack'",
        };
      return ok();
    });
    const out = await partition.run({ partition: { between: ['a', 'b'], oneway: true } }, ctx);
    expect(out.status).toBe('error');
    expect(out.message).toMatch(
      /^cannot partition: applying it in sc-abcd1234-t-b-1 failed \(.*conntrack.*\); what was applied is healed$/,
    );
    expect(engine.execs.filter((e) => isHeal(e.script))).toHaveLength(1);
    expect(ctx.faults.list()).toEqual([]);
    expect(ctx.faults.healed).toEqual([
      expect.objectContaining({ reason: 'its application failed' }),
    ]);
    expect(await engine.helpers()).toEqual([]);
  });

  it('delay uses netem where the preflight found it, with an htb filter for `to:`', async () => {
    const { engine, ctx } = await setup((s) =>
      isPreflight(s) ? ok(`${PREFLIGHT_OK}qdisc.netem=ok\n`) : ok(),
    );
    const out = await delay.run(
      { delay: { service: 'a', duration: dur('200ms'), jitter: dur('20ms'), to: 'b' } },
      ctx,
    );
    expect(out).toMatchObject({
      status: 'passed',
      message: 'delayed t/a → b +200ms ±20ms with netem',
      evidence: { mechanism: 'netem' },
    });
    const apply = engine.execs.find((e) => e.script.includes('qdisc add dev "$i" root'))!;
    expect(apply.script).toMatch(/netem delay 200ms 20ms/);
    expect(apply.script).toContain('match ip dst 172.18.0.3/32');
    expect(ctx.faults.list()).toEqual([
      expect.objectContaining({ kind: 'delay', mechanism: 'netem' }),
    ]);
    await ctx.faults.healAll('test');
    expect(await engine.helpers()).toEqual([]);
  });

  it('delay falls back to the proxy where the kernel has no netem, and says so', async () => {
    const { engine, ctx } = await setup((s) =>
      isPreflight(s)
        ? ok(`${PREFLIGHT_OK}qdisc.netem=Error: Specified qdisc kind is unknown.\n`)
        : ok(),
    );
    const out = await delay.run({ delay: { service: 'a', ms: 200, to: 'b' } }, ctx);
    expect(out.status).toBe('passed');
    expect(out.message).toBe(
      'delayed t/a → b +200ms with a proxy (no netem: Error: Specified qdisc kind is unknown.)',
    );
    expect(out.evidence).toMatchObject({
      mechanism: 'proxy',
      netem: 'not available: Error: Specified qdisc kind is unknown.',
      routes: [
        {
          container: 'sc-abcd1234-t-a-1',
          targets: [{ to: '172.18.0.3:8080', via: '127.0.0.1:40001' }],
        },
      ],
    });
    const apply = engine.execs.find((e) => e.script.includes('REDIRECT'))!.script;
    expect(apply).toContain('-t nat -A SC-abcd1234-');
    expect(apply).toContain(
      "-d 172.18.0.3 -p tcp --dport 8080 -m owner '!' --uid-owner 64932 -j REDIRECT --to-ports 40001",
    );
    // The redirect is in place before old connections are reset.
    expect(apply.indexOf('-t nat -I OUTPUT')).toBeLessThan(apply.indexOf('-t filter -N'));
    expect((await engine.helpers()).map((h) => h.name)).toEqual(
      [expect.stringMatching(/-delay-\w+$/), expect.stringMatching(/-delay-\w+-proxy$/)].sort(),
    );
    await ctx.faults.healAll('test');
    expect(await engine.helpers()).toEqual([]);
  });

  it('`via: netem` where there is none is an error, not a silent fallback', async () => {
    const { engine, ctx } = await setup((s) =>
      isPreflight(s)
        ? ok(`${PREFLIGHT_OK}qdisc.netem=Error: Specified qdisc kind is unknown.\n`)
        : ok(),
    );
    const out = await delay.run({ delay: { service: 'a', ms: 50, via: 'netem' } }, ctx);
    expect(out).toMatchObject({
      status: 'error',
      message: 'cannot delay: netem is not available (Error: Specified qdisc kind is unknown.)',
    });
    expect(await engine.helpers()).toEqual([]);
  });

  it('loss without netem drops at random with iptables; bandwidth needs tbf', async () => {
    const { engine, ctx } = await setup((s) =>
      isPreflight(s)
        ? ok(`${PREFLIGHT_OK}qdisc.netem=Error: Specified qdisc kind is unknown.\nqdisc.tbf=ok\n`)
        : ok(),
    );
    const l = await loss.run({ loss: { service: 'a', percent: 25 } }, ctx);
    expect(l).toMatchObject({ status: 'passed', evidence: { mechanism: 'iptables-statistic' } });
    expect(engine.execs.find((e) => e.script.includes('statistic'))!.script).toContain(
      "'!' -i lo -m statistic --mode random --probability 0.25 -j DROP",
    );
    const b = await bandwidth.run({ bandwidth: { service: 'b', rate: '2mbit' } }, ctx);
    expect(b).toMatchObject({
      status: 'passed',
      message: 'limited t/b to 2mbit with tbf',
      evidence: { rateBits: 2_000_000 },
    });
    await ctx.faults.healAll('test');
    expect(ctx.faults.healed.map((h) => h.mechanism)).toEqual(['tbf', 'iptables-statistic']);
  });
});

describe('loading network fault steps', () => {
  const head = `version: 1
name: s
topologies:
  t:
    services:
      a: { image: x }
      b: { image: x }
      c: { image: x }
scenarios:
  - name: n
    steps:
`;
  const load = (steps: string) =>
    loadSuite(`${workdir({ 'stackcheck.yml': head + steps })}/stackcheck.yml`, { env: {} });
  function problems(steps: string): Problem[] {
    try {
      load(steps);
    } catch (e) {
      if (e instanceof UserError) return e.problems;
      throw e;
    }
    throw new Error('expected the manifest to be rejected');
  }

  it('reads every form, with `for:` on each', () => {
    const s = load(`      - partition: { between: [a, b] }
        for: 40s
      - partition: { between: [[a, b], c], oneway: true }
      - partition: { isolate: c }
      - delay: { service: a, duration: 200ms, jitter: 10ms, to: [b, c], port: 8080 }
      - loss: { service: a, percent: 5, via: iptables }
      - bandwidth: { service: b, rate: 1mbit }
      - heal: all
`);
    const steps = s.scenarios[0]!.steps;
    expect(steps.map((x) => x.key)).toEqual([
      'partition',
      'partition',
      'partition',
      'delay',
      'loss',
      'bandwidth',
      'heal',
    ]);
    expect(steps[0]).toMatchObject({ name: 'partition a ↔ b', forMs: 40_000 });
    expect(steps[3]!.name).toBe('delay a');
  });

  it('says what is wrong, where', () => {
    const msgs = (steps: string) => problems(steps).map((p) => p.message);
    expect(msgs('      - partition: { between: [a, b], isolate: c }\n')).toEqual([
      'step partition: write one of `between: [a, b]`, `isolate: service` or `nodes: [a, b]`',
    ]);
    expect(msgs('      - partition: { isolate: c, oneway: true }\n')).toEqual([
      'step partition: `oneway` goes with `between` or `nodes`',
    ]);
    expect(msgs('      - partition: { nodes: [local, pc9] }\n')).toEqual([
      'step partition: no node "pc9" (nodes: local)',
    ]);
    expect(msgs('      - partition: { nodes: [local, local] }\n')).toEqual([
      'step partition: a partition between nodes needs two different nodes',
    ]);
    expect(msgs('      - partition: { between: [[a, b], [t/b]] }\n')).toEqual([
      'step partition: t/b cannot be on both sides of a partition',
    ]);
    expect(msgs('      - partition: { between: [a, d] }\n')[0]).toMatch(
      /^step partition: no service "d"/,
    );
    expect(msgs('      - delay: { service: a }\n')).toEqual([
      'step delay: write the delay as `duration: 200ms` or `ms: 200`',
    ]);
    expect(msgs('      - delay: { service: a, ms: 5, port: 80 }\n')).toEqual([
      'step delay: `port` goes with `to`',
    ]);
    expect(msgs('      - bandwidth: { service: a, rate: fast }\n')[0]).toMatch(
      /^step bandwidth: "fast" is not a rate/,
    );
    expect(problems('      - loss: { service: a, percent: 0 }\n')[0]!.pos).toMatchObject({
      line: 12,
    });
  });
});
