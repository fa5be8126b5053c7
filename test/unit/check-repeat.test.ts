import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { http } from '../../src/checks/kinds/http.js';
import { entrySchema } from '../../src/checks/schema.js';
import { repeatPlan } from '../../src/checks/repeat.js';
import { RepeatSchema } from '../../src/checks/repeat.schema.js';
import { runCheck } from '../../src/checks/runner.js';
import type { CheckKind } from '../../src/live/check.js';
import type { Outcome } from '../../src/model/check.js';
import type { CheckSpec } from '../../src/model/suite.js';
import { realClock } from '../../src/common/clock.js';
import { loadProblems } from '../support/load-problems.js';
import { FakeClock } from '../support/fake-clock.js';
import { mockKind, runnerOptions } from '../support/mock-kind.js';
import { dur, suite } from '../support/specs.js';

const pos = { file: 'm.yml', line: 3, column: 5 };

afterEach(() => {
  vi.restoreAllMocks();
});

function spec(repeat: unknown, over: Partial<CheckSpec> = {}): CheckSpec {
  return {
    index: 0,
    name: 'c',
    kind: 'http',
    phase: 'live',
    entry: {
      name: 'c',
      timeout: dur('10s'),
      serial: false,
      any: false,
      repeat: RepeatSchema.parse(repeat),
    },
    timeoutMs: 10_000,
    serial: false,
    pos,
    targets: ['t/s'],
    ...over,
  };
}

type Answer = { status: Outcome['status']; backend?: string; message?: string };

/**
 * A kind whose attempts answer from `script(i)` (i counts from 0), each costing `costMs` on the
 * clock; a backend goes into the evidence as the x-backend header, as the http kind puts it.
 */
function scripted(clock: FakeClock, script: (i: number) => Answer, costMs = 10) {
  let i = 0;
  const attempt = vi.fn(async (): Promise<Outcome> => {
    clock.advance(costMs);
    const a = script(i++);
    return {
      status: a.status,
      message: a.message ?? `attempt ${i}: ${a.status}`,
      evidence: { i, ...(a.backend ? { headers: { 'x-backend': a.backend } } : {}) },
    };
  });
  mockKind(attempt, 'http');
  return attempt;
}

const opts = runnerOptions;
const roundRobin =
  (...backends: string[]) =>
  (i: number): Answer => ({ status: 'passed', backend: backends[i % backends.length] });

describe('repeat: the series and its success ratio', () => {
  it('runs `repeat: N` N times back to back and passes when every attempt does', async () => {
    const clock = new FakeClock();
    const attempt = scripted(clock, () => ({ status: 'passed' }));
    const r = await runCheck(spec(50), opts(clock));
    expect(attempt).toHaveBeenCalledTimes(50);
    expect(clock.sleeps).toEqual([]);
    expect(r).toMatchObject({
      status: 'passed',
      attempts: 1,
      flaky: false,
      message: '50/50 passed',
    });
    expect(r.evidence.repeat).toEqual({
      attempts: 50,
      passed: 50,
      failed: 0,
      ratio: 1,
      successRatio: 1,
      durationMs: 500,
      intervalMs: 0,
      count: 50,
    });
    expect(r.durationMs).toBe(500);
  });

  it('waits `interval` between attempts, not after the last', async () => {
    const clock = new FakeClock();
    scripted(clock, () => ({ status: 'passed' }));
    const r = await runCheck(spec({ count: 4, interval: '250ms' }), opts(clock));
    expect(clock.sleeps).toEqual([250, 250, 250]);
    expect(r.durationMs).toBe(4 * 10 + 750);
  });

  it('allows the failures successRatio leaves room for, and no more', async () => {
    // 0.95 of 40 = 38: two failures pass, a third fails.
    const twoFail = new FakeClock();
    scripted(twoFail, (i) => ({
      status: i === 7 || i === 30 ? 'failed' : 'passed',
      message: `status 502 at ${i}`,
    }));
    const ok = await runCheck(spec({ count: 40, successRatio: 0.95 }), opts(twoFail));
    expect(ok.status).toBe('passed');
    expect(ok.message).toBe('38/40 passed (95%, needed 95%)');
    expect(ok.evidence.repeat).toMatchObject({ attempts: 40, passed: 38, failed: 2, ratio: 0.95 });
    expect(ok.evidence.failures).toEqual([
      { message: 'status 502 at 7', count: 1, firstAttempt: 8 },
      { message: 'status 502 at 30', count: 1, firstAttempt: 31 },
    ]);

    const threeFail = new FakeClock();
    const attempt = scripted(threeFail, (i) => ({
      status: [3, 5, 9].includes(i) ? 'failed' : 'passed',
      message: 'status 502',
    }));
    const bad = await runCheck(spec({ count: 40, successRatio: 0.95 }), opts(threeFail));
    // Decided at the third failure: the rest of the series is not run.
    expect(attempt).toHaveBeenCalledTimes(10);
    expect(bad.status).toBe('failed');
    expect(bad.message).toBe(
      '7/10 passed (70%, needed 95%); stopped after attempt 10: 3 failed, more than the 2 allowed; first failure (attempt 4): status 502',
    );
    expect(bad.evidence.repeat).toMatchObject({
      attempts: 10,
      passed: 7,
      failed: 3,
      stoppedEarly: '3 failed, more than the 2 allowed',
    });
    expect(bad.evidence.failures).toEqual([{ message: 'status 502', count: 3, firstAttempt: 4 }]);
    expect(bad.evidence.firstFailure).toMatchObject({
      attempt: 4,
      message: 'status 502',
      evidence: { i: 4 },
    });
  });

  it('with the default successRatio of 1, the first failure fails the series', async () => {
    const clock = new FakeClock();
    const attempt = scripted(clock, (i) => ({
      status: i === 2 ? 'failed' : 'passed',
      message: 'no answer',
    }));
    const r = await runCheck(spec(50), opts(clock));
    expect(attempt).toHaveBeenCalledTimes(3);
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/^2\/3 passed \(66\.7%, needed every one\); stopped after attempt 3/);
  });

  it('`for:` repeats until the time is up, 100ms apart by default', async () => {
    const clock = new FakeClock();
    const attempt = scripted(clock, () => ({ status: 'passed' }), 0);
    const r = await runCheck(spec({ for: '1s' }), opts(clock));
    // attempts at 0, 100, …, 900 ms; one more wait would end at the 1 s mark.
    expect(attempt).toHaveBeenCalledTimes(10);
    expect(clock.sleeps).toEqual(Array(9).fill(100));
    expect(r.status).toBe('passed');
    expect(r.message).toBe('10/10 passed over 900ms');
    expect(r.evidence.repeat).toMatchObject({ forMs: 1000, intervalMs: 100, attempts: 10 });
  });

  it('`for:` with slow attempts counts what fits, and judges the ratio of those', async () => {
    const clock = new FakeClock();
    const attempt = scripted(clock, (i) => ({ status: i % 4 === 3 ? 'failed' : 'passed' }), 300);
    const r = await runCheck(
      spec({ for: '3s', interval: '200ms', successRatio: 0.7 }),
      opts(clock),
    );
    // each round costs 500 ms: attempts start at 0, 500, …, 2500.
    expect(attempt).toHaveBeenCalledTimes(6);
    expect(r.status).toBe('passed');
    expect(r.evidence.repeat).toMatchObject({ attempts: 6, passed: 5, ratio: 0.8333 });
  });

  it('ends the series at once on an error or a skip, which repetition would not change', async () => {
    for (const status of ['error', 'skipped'] as const) {
      const clock = new FakeClock();
      const attempt = scripted(clock, (i) => ({
        status: i === 4 ? status : 'passed',
        message: 'not published',
      }));
      const r = await runCheck(spec({ count: 20, successRatio: 0.5 }), opts(clock));
      expect(attempt).toHaveBeenCalledTimes(5);
      expect(r.status).toBe(status);
      expect(r.message).toBe('attempt 5 of the series: not published');
      expect(r.evidence.repeat).toEqual({ attempts: 5, passed: 4 });
    }
  });

  it('`retry` retries the whole series until it passes', async () => {
    const clock = new FakeClock();
    // The first series sees a failure at its 3rd attempt; the second runs clean.
    const attempt = scripted(clock, (i) => ({ status: i === 2 ? 'failed' : 'passed' }));
    const r = await runCheck(
      spec(5, { retry: { timeoutMs: 10_000, intervalMs: 1000, backoff: 1 } }),
      opts(clock),
    );
    expect(attempt).toHaveBeenCalledTimes(3 + 5);
    expect(clock.sleeps).toEqual([1000]);
    expect(r).toMatchObject({
      status: 'passed',
      attempts: 2,
      flaky: true,
      message: '5/5 passed (after 2 attempts)',
    });
  });

  it('stops when the run is cancelled', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const attempt = scripted(clock, (i) => {
      if (i === 3) ac.abort();
      return { status: 'passed' };
    });
    const r = await runCheck(spec(100), { ...opts(clock), signal: ac.signal });
    expect(attempt).toHaveBeenCalledTimes(4);
    expect(r.status).toBe('failed');
    expect(r.evidence.repeat).toMatchObject({ attempts: 4, stoppedEarly: 'cancelled' });
  });
});

describe('repeat: the distribution over backends', () => {
  const dist = (d: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    count: 20,
    distribution: { header: 'X-Backend', ...d },
    ...extra,
  });

  it('passes when traffic spreads over both backends, reporting counts and shares', async () => {
    const clock = new FakeClock();
    scripted(clock, roundRobin('gpu', 'cpu'));
    const r = await runCheck(spec(dist({ min: 0.3, backends: ['gpu', 'cpu'] })), opts(clock));
    expect(r.status).toBe('passed');
    expect(r.message).toBe('20/20 passed; x-backend: cpu 50%, gpu 50%');
    expect(r.evidence.distribution).toEqual({
      header: 'x-backend',
      counts: { gpu: 10, cpu: 10 },
      shares: { cpu: 0.5, gpu: 0.5 },
      min: 0.3,
      backends: ['gpu', 'cpu'],
    });
  });

  it('fails when a backend gets less than its share', async () => {
    const clock = new FakeClock();
    // 17 gpu, 3 cpu
    scripted(clock, (i) => ({ status: 'passed', backend: i % 7 === 0 ? 'cpu' : 'gpu' }));
    const r = await runCheck(spec(dist({ min: 0.2 })), opts(clock));
    expect(r.status).toBe('failed');
    expect(r.message).toBe(
      '20/20 passed; cpu answered 15%, under the 20% each backend needs (x-backend: gpu 85%, cpu 15%)',
    );
    expect(r.evidence.distribution).toMatchObject({ counts: { gpu: 17, cpu: 3 } });
  });

  it('fails when a required backend never answers', async () => {
    const clock = new FakeClock();
    scripted(clock, () => ({ status: 'passed', backend: 'cpu' }));
    const r = await runCheck(spec(dist({ backends: ['gpu', 'cpu'] })), opts(clock));
    expect(r.status).toBe('failed');
    expect(r.message).toBe(
      '20/20 passed; gpu never answered (x-backend: cpu 100%; expected gpu, cpu)',
    );
  });

  it('`min: 1` with one backend listed: that backend answered every request (failover)', async () => {
    const onlyCpu = new FakeClock();
    scripted(onlyCpu, () => ({ status: 'passed', backend: 'cpu' }));
    const ok = await runCheck(spec(dist({ min: 1, backends: ['cpu'] })), opts(onlyCpu));
    expect(ok).toMatchObject({ status: 'passed', message: '20/20 passed; x-backend: cpu 100%' });

    const leaked = new FakeClock();
    scripted(leaked, (i) => ({ status: 'passed', backend: i === 19 ? 'gpu' : 'cpu' }));
    const bad = await runCheck(spec(dist({ min: 1, backends: ['cpu'] })), opts(leaked));
    expect(bad.status).toBe('failed');
    expect(bad.message).toMatch(
      /cpu answered 95%, gpu answered 5%, under the 100% each backend needs/,
    );
  });

  it('counts passing answers only; failed ones are reported by backend', async () => {
    const clock = new FakeClock();
    scripted(clock, (i) =>
      i % 5 === 4
        ? { status: 'failed', backend: 'gpu' }
        : { status: 'passed', backend: i % 2 ? 'gpu' : 'cpu' },
    );
    const r = await runCheck(spec(dist({ min: 0.3 }, { successRatio: 0.8 })), opts(clock));
    expect(r.status).toBe('passed');
    expect(r.evidence.distribution).toMatchObject({
      counts: { cpu: 8, gpu: 8 },
      failedBy: { gpu: 4 },
    });
  });

  it('a passing answer without the header fails the distribution: its backend is unknown', async () => {
    const clock = new FakeClock();
    scripted(clock, (i) => ({ status: 'passed', backend: i === 5 ? undefined : 'cpu' }));
    const r = await runCheck(spec(dist({ min: 0.5 })), opts(clock));
    expect(r.status).toBe('failed');
    expect(r.message).toBe(
      '20/20 passed; 1 of 20 passing answers carried no x-backend header, so their backend is unknown',
    );
  });

  it('reads every replica of a scaled service', async () => {
    const clock = new FakeClock();
    mockKind(
      async () => ({
        status: 'passed',
        message: '2/2 replicas passed',
        evidence: {
          replicas: [
            { container: 'a', headers: { 'x-backend': 'gpu' } },
            { container: 'b', headers: { 'x-backend': 'cpu' } },
          ],
        },
      }),
      'http',
    );
    const r = await runCheck(spec(dist({ min: 0.5 }, { count: 3 })), opts(clock));
    expect(r.status).toBe('passed');
    expect(r.evidence.distribution).toMatchObject({ counts: { gpu: 3, cpu: 3 } });
  });

  it('is an error on a kind whose evidence has no headers', async () => {
    const clock = new FakeClock();
    const attempt = scripted(clock, () => ({ status: 'passed' }));
    const r = await runCheck(spec(dist({ min: 0.5 }), { kind: 'tcp' }), opts(clock));
    expect(attempt).not.toHaveBeenCalled();
    expect(r).toMatchObject({
      status: 'error',
      message:
        'repeat.distribution reads a response header, which tcp checks do not have (only http)',
    });
  });
});

describe('repeat: the schema', () => {
  it('reads the short form and the block', () => {
    expect(repeatPlan(RepeatSchema.parse(50))).toEqual({
      count: 50,
      intervalMs: 0,
      successRatio: 1,
    });
    expect(
      repeatPlan(
        RepeatSchema.parse({
          for: '10s',
          successRatio: 0.95,
          distribution: { header: 'X-Backend', min: 0.2, backends: ['a', 'b'] },
        }),
      ),
    ).toEqual({
      count: undefined,
      forMs: 10_000,
      intervalMs: 100,
      successRatio: 0.95,
      distribution: { header: 'x-backend', min: 0.2, backends: ['a', 'b'] },
    });
  });

  const HEAD = `version: 1
name: s
topologies:
  main:
    services:
      lb: { image: a }
checks:
`;
  const problems = (checks: string) => loadProblems(HEAD, checks);

  it('accepts repeat on checks and on check steps', () => {
    expect(
      problems(`  - name: spread
    http: { service: lb, port: 80 }
    repeat: { count: 20, distribution: { header: x-backend, min: 0.2, backends: [gpu, cpu] } }
  - name: short
    http: { service: lb, port: 80 }
    repeat: 50
scenarios:
  - name: failover
    steps:
      - kill: { service: lb }
      - check: { http: { service: lb, port: 80 }, repeat: { for: 5s, interval: 50ms, successRatio: 0.9 } }
`),
    ).toEqual([]);
  });

  it('reports each mistake at its line and column', () => {
    expect(
      problems(`  - name: both
    http: { service: lb, port: 80 }
    repeat: { count: 5, for: 1s }
  - name: zero
    http: { service: lb, port: 80 }
    repeat: { count: 0 }
  - name: ratio
    http: { service: lb, port: 80 }
    repeat:
      count: 5
      ratio: 0.9
  - name: distribution without a rule
    http: { service: lb, port: 80 }
    repeat: { count: 5, distribution: { header: x-backend } }
  - name: over one
    http: { service: lb, port: 80 }
    repeat: { count: 5, successRatio: 1.5 }
`),
    ).toEqual([
      '3:13: checks.0.repeat: give `count` (how many attempts) or `for` (how long), one of them',
      '6:22: checks.1.repeat.count: Too small: expected number to be >=1',
      '11:7: unknown key "ratio" in checks.2.repeat',
      '14:39: checks.3.repeat.distribution: a distribution needs `min`, `backends`, or both',
      '17:39: checks.4.repeat.successRatio: Too big: expected number to be <=1',
    ]);
  });
});

describe('repeat: through the http kind', () => {
  // A round-robin "load balancer" on loopback: the backend it chose goes in x-backend.
  let server: Server;
  let url: string;
  let n = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const backend = ['gpu', 'cpu'][n++ % 2]!;
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-backend': backend,
        'x-other': 'kept out',
      });
      res.end(JSON.stringify({ service: backend }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/route`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('keeps the distribution header, and only it, in the evidence', async () => {
    const schema = entrySchema(http as unknown as CheckKind);
    const entry = schema.parse({
      name: 'h',
      http: { url },
      repeat: { count: 2, distribution: { header: 'X-Backend', min: 0.5 } },
    });
    const o = await http.attempt(entry as never, {
      suite: suite([]),
      signal: new AbortController().signal,
      clock: realClock,
    });
    expect(o.status).toBe('passed');
    expect(o.evidence.headers).toEqual({ 'x-backend': expect.stringMatching(/^(gpu|cpu)$/) });

    const plain = entrySchema(http as unknown as CheckKind).parse({ name: 'h', http: { url } });
    const p = await http.attempt(plain as never, {
      suite: suite([]),
      signal: new AbortController().signal,
      clock: realClock,
    });
    expect(p.evidence.headers).toBeUndefined();
  });

  it('judges a real series: 30 requests, both backends at half each', async () => {
    n = 0;
    const entry = entrySchema(http as unknown as CheckKind).parse({
      name: 'spread',
      http: { url },
      expect: { status: 200 },
      repeat: {
        count: 30,
        distribution: { header: 'x-backend', min: 0.4, backends: ['gpu', 'cpu'] },
      },
    }) as CheckSpec['entry'];
    const r = await runCheck(
      { ...spec(30), entry },
      { suite: suite([]), clock: realClock, signal: new AbortController().signal },
    );
    expect(r.status).toBe('passed');
    expect(r.message).toBe('30/30 passed; x-backend: cpu 50%, gpu 50%');
    expect(r.evidence.distribution).toMatchObject({ counts: { gpu: 15, cpu: 15 } });
    expect(r.evidence.last).toMatchObject({ status: 200, headers: { 'x-backend': 'cpu' } });
  });
});
