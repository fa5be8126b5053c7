import { describe, expect, it, vi } from 'vitest';
import { dur } from '../support/specs.js';
import { runCheck, runChecks } from '../../src/checks/runner.js';
import type { Outcome } from '../../src/model/check.js';
import type { CheckSpec } from '../../src/model/suite.js';
import { FakeClock } from '../support/fake-clock.js';
import { mockKind, runnerOptions } from '../support/mock-kind.js';

const pos = { file: 'm.yml', line: 3, column: 5 };

function spec(over: Partial<CheckSpec> = {}): CheckSpec {
  return {
    index: 0,
    name: 'c',
    kind: 'fake',
    phase: 'live',
    entry: { name: 'c', timeout: dur('10s'), serial: false, any: false },
    timeoutMs: 10_000,
    serial: false,
    pos,
    targets: ['t/s'],
    ...over,
  };
}

/** A kind whose attempts return the given outcomes in turn, advancing the clock by `costMs` each. */
function scripted(clock: FakeClock, outcomes: Outcome['status'][], costMs = 100) {
  let i = 0;
  const attempt = vi.fn(async () => {
    clock.advance(costMs);
    const status = outcomes[Math.min(i++, outcomes.length - 1)]!;
    return { status, message: `attempt ${i}: ${status}`, evidence: { i } };
  });
  mockKind(attempt);
  return attempt;
}

const opts = runnerOptions;

describe('check runner', () => {
  it('passes on the first attempt without retrying', async () => {
    const clock = new FakeClock();
    const attempt = scripted(clock, ['passed']);
    const r = await runCheck(spec(), opts(clock));
    expect(r).toMatchObject({
      status: 'passed',
      attempts: 1,
      flaky: false,
      message: 'attempt 1: passed',
      source: pos,
      targets: ['t/s'],
    });
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('says when the check started, from the run start it is given', async () => {
    const clock = new FakeClock();
    clock.advance(2500);
    scripted(clock, ['passed']);
    expect((await runCheck(spec(), { ...opts(clock), runStart: 500 })).startedMs).toBe(2000);
    expect(await runCheck(spec(), opts(clock))).not.toHaveProperty('startedMs');
  });

  it('retries a failure at the interval, multiplied by the backoff, and marks a late pass flaky', async () => {
    const clock = new FakeClock();
    scripted(clock, ['failed', 'failed', 'failed', 'passed']);
    const r = await runCheck(
      spec({ retry: { timeoutMs: 60_000, intervalMs: 1000, backoff: 2 } }),
      opts(clock),
    );
    expect(clock.sleeps).toEqual([1000, 2000, 4000]);
    expect(r).toMatchObject({
      status: 'passed',
      attempts: 4,
      flaky: true,
      message: 'attempt 4: passed (after 4 attempts)',
    });
    expect(r.durationMs).toBe(4 * 100 + 7000);
  });

  it('stops retrying when the next wait would pass the retry timeout', async () => {
    const clock = new FakeClock();
    scripted(clock, ['failed']);
    const r = await runCheck(
      spec({ retry: { timeoutMs: 3500, intervalMs: 1000, backoff: 1 } }),
      opts(clock),
    );
    // attempts end at 100, 1200, 2300, 3400 ms; a fourth wait would end past 3500.
    expect(clock.sleeps).toEqual([1000, 1000, 1000]);
    expect(r).toMatchObject({ status: 'failed', attempts: 4, flaky: false });
  });

  it('never retries skipped or error outcomes', async () => {
    for (const status of ['skipped', 'error'] as const) {
      const clock = new FakeClock();
      const attempt = scripted(clock, [status, 'passed']);
      const r = await runCheck(
        spec({ retry: { timeoutMs: 60_000, intervalMs: 1000, backoff: 1 } }),
        opts(clock),
      );
      expect(r.status).toBe(status);
      expect(attempt).toHaveBeenCalledTimes(1);
    }
  });

  it('turns an attempt that outlives its time limit into a failure, and a thrown error into an error', async () => {
    const clock = new FakeClock();
    mockKind(
      (_c: unknown, ctx: { signal: AbortSignal }) =>
        new Promise((_r, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
        ),
    );
    const timedOut = await runCheck(
      spec({
        timeoutMs: 20,
        entry: { name: 'c', timeout: dur('20ms'), serial: false, any: false },
      }),
      opts(clock),
    );
    expect(timedOut).toMatchObject({ status: 'failed', message: 'no answer within 20ms' });

    mockKind(async () => {
      throw new Error('connect ECONNREFUSED');
    });
    expect(await runCheck(spec(), opts(clock))).toMatchObject({
      status: 'error',
      message: 'connect ECONNREFUSED',
    });
  });

  it('runs parallel checks under the concurrency limit, serial ones alone afterwards, results in manifest order', async () => {
    let running = 0;
    let peak = 0;
    const order: string[] = [];
    mockKind(async (c: { name: string }) => {
      running++;
      peak = Math.max(peak, running);
      order.push(`start ${c.name}`);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return { status: 'passed', message: c.name, evidence: {} };
    });
    const checks = ['a', 'b', 's1', 'c', 'd', 'e', 's2'].map((name, index) =>
      spec({
        index,
        name,
        serial: name.startsWith('s'),
        entry: { name, timeout: dur('10s'), serial: false, any: false },
      }),
    );
    const results = await runChecks(checks, { ...opts(new FakeClock()), concurrency: 2 });
    expect(results.map((r) => r.name)).toEqual(['a', 'b', 's1', 'c', 'd', 'e', 's2']);
    expect(peak).toBe(2);
    expect(order.slice(-2)).toEqual(['start s1', 'start s2']);
  });
});
