import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/checks/runner.js';
import type { Runtime } from '../../src/live/runtime.js';
import { UserError } from '../../src/common/errors.js';
import { loadSuite } from '../../src/manifest/load.js';
import type { Suite } from '../../src/model/suite.js';
import { workdir } from '../support/cli.js';
import { FakeClock } from '../support/fake-clock.js';

/*
 * `propagation` with `expect: { arrives: false }`, against a runtime whose reader shows what
 * each test says at each look; the clock is fake, so `within` passes in microseconds. The
 * real-engine case (a partition holds, then heals) is in test/integration/expect-negative.test.ts.
 */

function load(check: string): Suite {
  const dir = workdir({
    'stackcheck.yml': `version: 1
name: s
topologies:
  t:
    services:
      writer: { image: x }
      reader: { image: x }
checks:
${check}`,
  });
  return loadSuite(`${dir}/stackcheck.yml`, { env: {} });
}

const mustNotArrive = (extra = '') => `  - name: the reader never gets it
    propagation:
      write: { service: writer, exec: [sh, -c, "echo {{token}}"] }
      see: { service: reader, logs: true }
      within: 1s
      interval: 100ms
    expect: { arrives: false }
${extra}`;

/**
 * A runtime of one writer and one reader whose log, at look n (from 1), is what `logAt` says:
 * `token` stands for the token written last; an Error is a look that fails.
 */
function fakeRuntime(logAt: (look: number, token: string) => string | Error) {
  let token = '';
  const looks: number[] = [];
  const replica = (ref: string) => {
    const service = ref.split('/').pop()!;
    return {
      topology: 't',
      service,
      node: 'local',
      containerId: service,
      containerName: `t-${service}-1`,
      index: 1,
    };
  };
  const rt = {
    replicas: (ref: string) => [replica(ref)],
    engine: () => ({
      exec: async (_id: string, { cmd }: { cmd: string[] }) => {
        token = /stackcheck-[0-9a-f]{12}/.exec(cmd.join(' '))![0];
        looks.push(0);
        return { exitCode: 0, stdout: '', stderr: '' };
      },
      containerLogLines: async () => {
        looks[looks.length - 1]!++;
        const text = logAt(looks.at(-1)!, token);
        if (text instanceof Error) throw text;
        return text.split('\n').map((t) => ({ text: t }));
      },
    }),
  };
  return { rt: rt as unknown as Runtime, looks };
}

async function run(suite: Suite, logAt: Parameters<typeof fakeRuntime>[0]) {
  const { rt, looks } = fakeRuntime(logAt);
  const clock = new FakeClock();
  const result = await runCheck(suite.checks[0]!, {
    suite,
    runtime: rt,
    clock,
    signal: new AbortController().signal,
  });
  return { result, looks, clock };
}

describe('propagation that must not arrive', () => {
  it('passes only after looking for the whole `within` without a sighting', async () => {
    const { result, looks, clock } = await run(load(mustNotArrive()), () => 'other lines');
    expect(result.status).toBe('passed');
    expect(result.message).toBe('not seen on t-reader-1 in its log within 1s (11 looks)');
    // A look at 0 ms and one every 100 ms up to 1 s.
    expect(looks).toEqual([11]);
    expect(clock.t).toBe(1000);
  });

  it('fails at the first sighting, saying where and when, without waiting out `within`', async () => {
    const { result, looks, clock } = await run(load(mustNotArrive()), (n, token) =>
      n < 3 ? 'nothing yet' : `line before\nreceived ${token} from writer\nline after`,
    );
    expect(result.status).toBe('failed');
    expect(result.message).toBe(
      'the token arrived, and must not (expect: { arrives: false }): seen on t-reader-1 (node local) in its log 200ms after the write',
    );
    expect(looks).toEqual([3]);
    expect(clock.t).toBe(200);
    expect(result.evidence).toMatchObject({
      delays: { 't-reader-1': 200 },
      seenIn: {
        't-reader-1': expect.stringMatching(/^received stackcheck-[0-9a-f]{12} from writer$/),
      },
    });
  });

  it('is an error, never a pass, when a look fails', async () => {
    const { result } = await run(load(mustNotArrive()), (n) =>
      n === 4 ? new Error('connection refused') : 'nothing',
    );
    expect(result.status).toBe('error');
    expect(result.message).toBe(
      'could not look for the token on t-reader-1 (1 of 11 looks failed: connection refused), so it cannot be said that it never arrived',
    );
  });

  it('with `repeat`, one sighting in the series fails the check', async () => {
    let attempt = 0;
    const { result, looks } = await run(load(mustNotArrive('    repeat: 3\n')), (n, token) => {
      if (n === 1) attempt++;
      return attempt === 2 && n === 5 ? token : 'nothing';
    });
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(
      /^1\/2 passed .*stopped after attempt 2: 1 failed, more than the 0 allowed; first failure \(attempt 2\): the token arrived, and must not/,
    );
    expect(looks).toEqual([11, 5]);
  });

  it('refuses `retry` at load, where a new token could pass after one leaked', () => {
    try {
      load(mustNotArrive('    retry: { timeout: 30s }\n'));
      expect.unreachable('the manifest should be rejected');
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      const [p] = (e as UserError).problems;
      expect(p!.message).toMatch(
        /^check "the reader never gets it": with `expect: \{ arrives: false \}` a sighting of the token is final: `retry` would write a new token and could pass a leak; remove `retry`/,
      );
      expect(p!.pos).toMatchObject({ line: 16, column: 12 });
    }
  });

  it('by default (arrives: true) still passes at the first sighting and fails without one', async () => {
    const arrives = load(mustNotArrive().replace('    expect: { arrives: false }\n', ''));
    const seen = await run(arrives, (n, token) => (n === 2 ? token : ''));
    expect([seen.result.status, seen.looks]).toEqual(['passed', [2]]);
    const never = await run(arrives, () => '');
    expect(never.result).toMatchObject({
      status: 'failed',
      message: 'not visible on t-reader-1 within 1s (11 looks)',
    });
  });
});
