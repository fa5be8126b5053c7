import type { z } from 'zod';
import { formatDuration } from '../../common/duration.js';
import type { LogLine } from '../../engine/engine.js';
import { excerpt } from '../../model/match.js';
import { acrossReplicas } from '../../live/replicas.js';
import type { Runtime } from '../../live/runtime.js';
import type { Replica } from '../../model/refs.js';
import type { Clock } from '../../common/clock.js';
import { defineKind } from '../../live/check.js';
import type { Outcome } from '../../model/check.js';
import { logsSchema, type LogsSpec } from './logs.schema.js';

type Spec = z.output<typeof LogsSpec>;

/** Matched lines kept in evidence: enough to see the problem, never a whole log. */
const EVIDENCE_LINES = 10;
/** How often the log is read again while a `within` window is open. */
const POLL_MS = 250;
/**
 * The engine records StartedAt once the start call returns, which can be after the process
 * has printed its first lines: lines this much before it still count as after the start.
 */
const START_SLACK_MS = 1000;

export const logs = defineKind({
  ...logsSchema,
  async attempt(c, ctx) {
    const rt = ctx.runtime!;
    return acrossReplicas(rt.replicas(c.logs.service), c.any, (r) =>
      c.logs.absent !== undefined
        ? judgeAbsent(c.logs, rt, r, ctx.signal)
        : judgePresent(c.logs, rt, r, ctx.clock, ctx.signal),
    );
  },
});

function regex(spec: Spec): RegExp {
  return new RegExp((spec.absent ?? spec.present)!, spec.ignoreCase ? 'i' : '');
}

function sinceMs(spec: Spec): number | undefined {
  return spec.since === undefined ? undefined : Date.now() - spec.since.ms;
}

/** A log line as evidence shows it. */
export function lineEvidence(l: LogLine) {
  return { time: new Date(l.timeMs).toISOString(), stream: l.stream, text: excerpt(l.text, 300) };
}

/** The lines a pattern matches, in log order. */
export function matching(lines: LogLine[], re: RegExp): LogLine[] {
  return lines.filter((l) => re.test(l.text));
}

async function judgeAbsent(
  spec: Spec,
  rt: Runtime,
  r: Replica,
  signal: AbortSignal,
): Promise<Outcome> {
  const since = sinceMs(spec);
  const lines = await rt
    .engine(r.node)
    .containerLogLines(r.containerId, { sinceMs: since }, signal);
  const hits = matching(lines, regex(spec));
  const evidence = {
    container: r.containerName,
    pattern: spec.absent,
    since: since === undefined ? 'container created' : new Date(since).toISOString(),
    linesScanned: lines.length,
    matches: hits.length,
    ...(hits.length && { lines: hits.slice(0, EVIDENCE_LINES).map(lineEvidence) }),
  };
  if (hits.length === 0) {
    return {
      status: 'passed',
      message: `no line of ${lines.length} matches /${spec.absent}/`,
      evidence,
    };
  }
  const first = hits[0]!;
  return {
    status: 'failed',
    message: `${hits.length} line${hits.length === 1 ? '' : 's'} of ${r.containerName} match /${spec.absent}/, first at ${new Date(first.timeMs).toISOString()}: ${JSON.stringify(excerpt(first.text, 200))}`,
    evidence,
  };
}

async function judgePresent(
  spec: Spec,
  rt: Runtime,
  r: Replica,
  clock: Clock,
  signal: AbortSignal,
): Promise<Outcome> {
  const re = regex(spec);
  const engine = rt.engine(r.node);
  const withinMs = spec.within === undefined ? undefined : spec.within.ms;
  const state = withinMs === undefined ? undefined : await rt.inspect(r, signal);
  const startedMs = state?.startedAt ? Date.parse(state.startedAt) : undefined;
  const windowEnd =
    startedMs !== undefined && withinMs !== undefined ? startedMs + withinMs : undefined;
  const since = Math.max(
    sinceMs(spec) ?? -Infinity,
    startedMs === undefined ? -Infinity : startedMs - START_SLACK_MS,
  );
  const from = Number.isFinite(since) ? since : undefined;
  const base = {
    container: r.containerName,
    pattern: spec.present,
    since: from === undefined ? 'container created' : new Date(from).toISOString(),
    ...(withinMs !== undefined && { within: spec.within, startedAt: state?.startedAt }),
  };
  let scanned = 0;
  for (;;) {
    let lines: LogLine[];
    try {
      lines = await engine.containerLogLines(r.containerId, { sinceMs: from }, signal);
    } catch (e) {
      if (isTimeout(signal)) return notYet(base, scanned, windowEnd, spec);
      throw e;
    }
    scanned = lines.length;
    const hit = lines.find((l) => re.test(l.text));
    if (hit) {
      const afterStartMs =
        startedMs === undefined ? undefined : Math.max(0, hit.timeMs - startedMs);
      const evidence = {
        ...base,
        linesScanned: scanned,
        line: lineEvidence(hit),
        ...(afterStartMs !== undefined && { afterStartMs }),
      };
      if (windowEnd !== undefined && hit.timeMs > windowEnd) {
        return {
          status: 'failed',
          message: `/${spec.present}/ first matched ${formatDuration(afterStartMs!)} after ${r.containerName} started, over the ${spec.within} bound`,
          evidence,
        };
      }
      return {
        status: 'passed',
        message: `matched at ${lineEvidence(hit).time}${afterStartMs !== undefined ? `, ${formatDuration(afterStartMs)} after start` : ''}: ${JSON.stringify(excerpt(hit.text, 200))}`,
        evidence,
      };
    }
    if (windowEnd === undefined || Date.now() >= windowEnd)
      return notYet(base, scanned, windowEnd, spec);
    try {
      await clock.sleep(Math.min(POLL_MS, Math.max(1, windowEnd - Date.now())), signal);
    } catch (e) {
      if (isTimeout(signal)) return notYet(base, scanned, windowEnd, spec);
      throw e;
    }
  }
}

function isTimeout(signal: AbortSignal): boolean {
  return signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError';
}

function notYet(
  base: Record<string, unknown>,
  scanned: number,
  windowEnd: number | undefined,
  spec: Spec,
): Outcome {
  const evidence = { ...base, linesScanned: scanned, matches: 0 };
  const open = windowEnd !== undefined && Date.now() < windowEnd;
  return {
    status: 'failed',
    message: open
      ? `no line matches /${spec.present}/ yet; ${formatDuration(windowEnd - Date.now())} of the ${spec.within} window left when the attempt's time limit ended (raise \`timeout\`, or add \`retry\`)`
      : `no line of ${scanned} matches /${spec.present}/${spec.within ? ` within ${spec.within} of the container's start` : ''}`,
    evidence,
  };
}
