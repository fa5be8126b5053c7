import type { z } from 'zod';
import type { ContainerState } from '../../engine/engine.js';
import { healthyByProbe } from '../../orchestrator/early-health.js';
import { excerpt } from '../../model/match.js';
import { acrossReplicas } from '../../live/replicas.js';
import type { Runtime } from '../../live/runtime.js';
import type { Replica } from '../../model/refs.js';
import { defineKind } from '../../live/check.js';
import type { Outcome } from '../../model/check.js';
import { stateSchema, type CountExpectation, type StateSpec } from './state.schema.js';

export type StateExpectation = z.output<typeof StateSpec>;

export const state = defineKind({
  ...stateSchema,
  async attempt(c, ctx) {
    const rt = ctx.runtime!;
    return acrossReplicas(rt.replicas(c.state.service), c.any, async (r) => {
      const s = await confirmedHealth(rt, r, await rt.inspect(r, ctx.signal), c.state, ctx.signal);
      const uncounted = c.state.oomKills !== undefined && rt.oomUncounted(r);
      if (uncounted) return withoutOomKills(c.state, s, uncounted);
      const ooms = rt.oomKills(r);
      if (c.state.oomKills !== undefined && ooms === undefined)
        return {
          status: 'error',
          message: `${s.name}: out-of-memory kills were not counted: the engine's event stream broke`,
          evidence: stateEvidence(s),
        };
      return judgeState(c.state, s, c.state.oomKills === undefined ? undefined : ooms);
    });
  },
});

/**
 * The engine reports `healthy` only at its next healthcheck tick, while bring-up already
 * counts a service healthy once its healthcheck passes (early probe, docs/manifest.md `wait`).
 * So where `healthy: true` is asked and the engine still says `starting`, the service's own
 * healthcheck is run once: when it passes, the container is healthy, and the evidence says
 * which source said so.
 */
async function confirmedHealth(
  rt: Runtime,
  r: Replica,
  s: ContainerState,
  spec: StateExpectation,
  signal: AbortSignal,
): Promise<ContainerState & { healthSource?: 'probe' }> {
  if (spec.healthy !== true || s.status !== 'running' || s.health?.status !== 'starting') return s;
  const hc = rt.suite.topologies.find((t) => t.name === r.topology)?.project.services[r.service]
    ?.healthcheck;
  if (!(await healthyByProbe(rt.engine(r.node), r.containerId, hc, signal))) return s;
  return { ...s, health: { ...s.health, status: 'healthy' }, healthSource: 'probe' };
}

/** The inspected fields a reviewer needs, whatever was asked. */
export function stateEvidence(s: ContainerState) {
  const lastHealth = s.health?.log.at(-1);
  return {
    container: s.name,
    status: s.status,
    running: s.running,
    exitCode: s.exitCode,
    oomKilled: s.oomKilled,
    restartCount: s.restartCount,
    health: s.health?.status ?? 'none',
    ...('healthSource' in s && { healthSource: s.healthSource }),
    ...(s.health && {
      failingStreak: s.health.failingStreak,
      ...(lastHealth && {
        lastHealthCheck: {
          exitCode: lastHealth.exitCode,
          output: excerpt(lastHealth.output.trim(), 300),
        },
      }),
    }),
    ...(s.startedAt && { startedAt: s.startedAt }),
    ...(s.finishedAt && !s.finishedAt.startsWith('0001-') && { finishedAt: s.finishedAt }),
    ...(s.error && { error: s.error }),
  };
}

function countText(e: CountExpectation): string {
  if (typeof e === 'number') return `${e}`;
  if (e.min !== undefined && e.max !== undefined) return `${e.min} to ${e.max}`;
  return e.min !== undefined ? `at least ${e.min}` : `at most ${e.max}`;
}

function countOk(n: number, e: CountExpectation): boolean {
  if (typeof e === 'number') return n === e;
  return (e.min === undefined || n >= e.min) && (e.max === undefined || n <= e.max);
}

/**
 * On an engine that cannot count out-of-memory kills, the rest of the expectation is still
 * judged: a miss there fails the check as anywhere; where the rest holds (or nothing else was
 * asked), the check is skipped with the reason, never passed on a count nobody made.
 */
export function withoutOomKills(
  spec: StateExpectation,
  s: ContainerState,
  reason: string,
): Outcome {
  const rest = { ...spec, oomKills: undefined };
  const askedMore = Object.entries(rest).some(([k, v]) => k !== 'service' && v !== undefined);
  const judged = askedMore ? judgeState(rest, s) : undefined;
  if (judged && judged.status !== 'passed') return judged;
  return {
    status: 'skipped',
    message: `${s.name}: out-of-memory kills cannot be counted: ${reason}${judged ? ` (the rest holds: ${judged.message})` : ''}`,
    evidence: { ...stateEvidence(s), expected: { oomKills: spec.oomKills } },
  };
}

/** Compares one container's state with what is expected; every mismatch is named. */
export function judgeState(spec: StateExpectation, s: ContainerState, ooms?: number): Outcome {
  const { running: r, healthy, restarts, exitCode, oomKilled, oomKills: kills } = spec;
  const asked = { running: r, healthy, restarts, exitCode, oomKilled, oomKills: kills };
  const expected: typeof asked = Object.values(asked).some((v) => v !== undefined)
    ? asked
    : { ...asked, running: true };
  const evidence = {
    ...stateEvidence(s),
    ...(ooms !== undefined && { oomKills: ooms }),
    expected: Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined)),
  };
  const misses: string[] = [];
  // A paused container, or one waiting for its restart policy (Running is still true), is not running.
  const running = s.status === 'running';
  if (expected.running !== undefined && running !== expected.running) {
    misses.push(
      expected.running
        ? `not running (${s.status}${s.status === 'exited' ? `, exit code ${s.exitCode}` : ''})`
        : `still ${s.status}`,
    );
  }
  if (expected.healthy !== undefined) {
    if (!s.health) {
      return {
        status: 'error',
        message: `${s.name} has no healthcheck, so \`healthy\` cannot be judged; add one in compose`,
        evidence,
      };
    }
    if ((s.health.status === 'healthy') !== expected.healthy) {
      misses.push(
        `health is ${s.health.status}${s.health.failingStreak ? ` (${s.health.failingStreak} failing checks in a row)` : ''}, expected ${expected.healthy ? 'healthy' : 'not healthy'}`,
      );
    }
  }
  if (expected.restarts !== undefined && !countOk(s.restartCount, expected.restarts)) {
    misses.push(
      `${s.restartCount} restart${s.restartCount === 1 ? '' : 's'}, expected ${countText(expected.restarts)}`,
    );
  }
  if (expected.oomKills !== undefined && !countOk(ooms ?? 0, expected.oomKills)) {
    misses.push(
      `${ooms ?? 0} out-of-memory kill${ooms === 1 ? '' : 's'}, expected ${countText(expected.oomKills)}`,
    );
  }
  if (expected.exitCode !== undefined && s.exitCode !== expected.exitCode) {
    misses.push(`last exit code ${s.exitCode}, expected ${expected.exitCode}`);
  }
  if (expected.oomKilled !== undefined && s.oomKilled !== expected.oomKilled) {
    misses.push(s.oomKilled ? 'was killed for lack of memory (OOM)' : 'was not OOM-killed');
  }
  if (misses.length)
    return { status: 'failed', message: `${s.name}: ${misses.join('; ')}`, evidence };
  const said = [
    running ? 'running' : s.status,
    s.health ? s.health.status : '',
    `${s.restartCount} restart${s.restartCount === 1 ? '' : 's'}`,
    !running && s.status === 'exited' ? `exit code ${s.exitCode}` : '',
    s.oomKilled ? 'OOM-killed' : '',
    ooms ? `${ooms} out-of-memory kill${ooms === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  return { status: 'passed', message: said.join(', '), evidence };
}
