/**
 * What a run asks of the real engine: its results count the calls by node and kind, and the
 * reads that used to repeat on every poll (a restart's wait on a long healthcheck interval, a
 * log read's terminal lookup) happen once per change instead.
 */
import Docker from 'dockerode';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { leftovers, NOTHING } from '../support/engine.js';
import { checksByName, runFiles } from '../support/run.js';
import { stepLines } from '../support/example.js';

const BUSYBOX = 'stackcheck-fixture/busybox:1';

describe('engine calls on a real engine', () => {
  afterEach(() => vi.restoreAllMocks());

  it('are counted in the results; a restart waits on events, and a polled log reads its container once', async () => {
    // Every container inspect the engine receives, whoever asks for it.
    const containerProto = Object.getPrototypeOf(new Docker().getContainer('x')) as {
      inspect: (...a: unknown[]) => unknown;
    };
    const inspects = vi.spyOn(containerProto, 'inspect');
    const { results, suite } = await runFiles({
      'stackcheck.yml': `version: 1
name: {{SUITE}}
topologies:
  t:
    services:
      # Healthy only at the engine's first tick, 4 s after a start: a wait that polled read it 16 times.
      db:
        image: ${BUSYBOX}
        init: true
        command: [sleep, '3600']
        healthcheck: { test: [CMD, 'true'], interval: 4s, retries: 3 }
      app:
        image: ${BUSYBOX}
        init: true
        command: [sh, -c, 'sleep 3; echo ready; exec sleep 3600']
checks:
  - name: app says ready
    logs: { service: app, present: ready, within: 20s }
scenarios:
  - name: db restarts
    steps:
      - restart: { service: db }
`,
    });
    expect(results.status, JSON.stringify(results.checks.map((c) => c.message))).toBe('passed');
    const sc = results.scenarios[0]!;
    expect(sc.status, stepLines(sc).join('\n')).toBe('passed');
    expect(checksByName(results)['app says ready']!.status).toBe('passed');

    const calls = results.engineCalls!.local!;
    expect(calls.createContainer).toBe(2);
    expect(calls.startContainer).toBe(3);
    // The log was read several times while the line was not there yet ...
    expect(calls.containerLogLines).toBeGreaterThan(1);
    // ... and the engine got one inspect for its terminal setting, not one per read.
    expect(inspects.mock.calls.length).toBe(calls.inspectContainer! + 1);
    // The restart's wait: the healthcheck's first tick comes 4 s after the start; the read at
    // the start, on its start event, a 2 s backstop and the health event, not one per 250 ms.
    expect(calls.inspectContainer).toBeLessThan(20);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
