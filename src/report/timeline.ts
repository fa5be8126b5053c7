import { formatDuration } from '../common/duration.js';
import { topologyOf } from './evidence.js';
import type { CheckResult, RunResults, ServiceResult, TopologyResult } from '../model/results.js';

/**
 * A run as time-ordered spans in lanes: one lane per node (its topologies, their services and
 * the checks aimed at them), one per scenario (its steps and the faults it injected). Every
 * time counts from the run's start. The job summary's gantt and the HTML page both draw it.
 */
export interface Timeline {
  totalMs: number;
  lanes: Lane[];
  /** What has no place on the timeline (never started, or no times), said under it rather than dropped. */
  untimed: string[];
  /** What was folded into one span, said under it. */
  folded: string[];
}

export interface Lane {
  title: string;
  spans: Span[];
}

export interface Span {
  kind: 'topology' | 'service' | 'check' | 'step' | 'fault' | 'checks';
  label: string;
  startMs: number;
  endMs: number;
  failed: boolean;
  /** A check (or check step): a point in time that has a verdict, drawn as a milestone. */
  milestone: boolean;
  /** One line for a tooltip. */
  detail: string;
  /** The id of the element that holds this span's details on the HTML page. */
  ref: string;
}

/** The HTML page folds nothing; the gantt folds what would make it too tall to read. */
export interface TimelineOptions {
  /**
   * Fold services when the suite has more than this: a topology is one span from its first
   * start to its last ready, with only its failed and slow services beside it.
   */
  foldServicesOver?: number;
  /** A lane's passing checks as one span, when it has more than a few. */
  foldChecks?: boolean;
}

/** A service that took this long from asked-to-start to ready is shown even when folded. */
export const SLOW_MS = 10_000;
/** Passing checks of a lane are folded into one span when there are more than this. */
const CHECKS_UNFOLDED = 8;

const FAILED_SERVICE = new Set(['failed', 'cancelled', 'pending']);
/** Steps that change what a service's container is doing: drawn on its node's lane too. */
const LIFECYCLE = new Set([
  'stop',
  'start',
  'restart',
  'kill',
  'crash',
  'pause',
  'unpause',
  'recreate',
]);
const FAILED_CHECK = new Set(['failed', 'error']);

export function timeline(r: RunResults, opts: TimelineOptions = {}): Timeline {
  const services = r.topologies.flatMap((t) => t.services).length;
  const fold = opts.foldServicesOver !== undefined && services > opts.foldServicesOver;
  const untimed: string[] = [];
  const folded: string[] = [];
  const lanes = new Map<string, Span[]>();
  const lane = (title: string) => lanes.get(title) ?? lanes.set(title, []).get(title)!;

  let foldedServices = 0;
  r.topologies.forEach((t, ti) => {
    const spans = lane(`node ${t.node}`);
    const timed = t.services.filter((s) => startOf(s) !== undefined);
    const topo = topologySpan(t, ti, timed);
    if (topo) spans.push(topo);
    for (const s of t.services) {
      const span = serviceSpan(t, ti, s);
      if (!span) {
        untimed.push(`${t.name}/${s.name} (${s.status})`);
        continue;
      }
      if (fold && !span.failed && span.endMs - span.startMs < SLOW_MS) foldedServices++;
      else spans.push(span);
    }
  });
  if (foldedServices)
    folded.push(
      `${foldedServices} services that came up within ${formatDuration(SLOW_MS)} are inside their topology's span`,
    );

  const checksByLane = new Map<string, Span[]>();
  let unknownStart = 0;
  r.checks.forEach((c, i) => {
    const span = checkSpan(c, `check-${i}`);
    if (!span) {
      if (c.status === 'skipped') untimed.push(`check ${c.name} (skipped)`);
      else unknownStart++;
      return;
    }
    const node = topologyOf(r, c)?.node;
    const title = node === undefined ? 'checks' : `node ${node}`;
    (checksByLane.get(title) ?? checksByLane.set(title, []).get(title)!).push(span);
  });
  if (unknownStart)
    untimed.push(
      `${unknownStart} checks whose results carry no start time (an older stackcheck's)`,
    );
  for (const [title, spans] of checksByLane) {
    const passing = spans.filter((s) => !s.failed);
    if (opts.foldChecks && passing.length > CHECKS_UNFOLDED) {
      const startMs = Math.min(...passing.map((s) => s.startMs));
      const endMs = Math.max(...passing.map((s) => s.endMs));
      lane(title).push(
        {
          kind: 'checks',
          label: `${passing.length} checks passed`,
          startMs,
          endMs,
          failed: false,
          milestone: false,
          detail: `${passing.length} passing checks from ${at(startMs)} to ${at(endMs)}`,
          ref: 'checks',
        },
        ...spans.filter((s) => s.failed),
      );
      folded.push(`${passing.length} passing checks on ${title} are one span`);
    } else lane(title).push(...spans);
  }

  const nodeOf = new Map(r.topologies.map((t) => [t.name, t.node]));
  r.scenarios.forEach((sc, si) => {
    if (sc.startedMs === undefined) {
      untimed.push(`scenario ${sc.name} (${sc.status})`);
      return;
    }
    const spans = lane(`scenario ${sc.name}`);
    const origin = sc.startedMs;
    sc.faults.forEach((f, fi) => {
      if (f.appliedMs === undefined) return;
      const endMs = f.healedMs ?? origin + sc.durationMs;
      spans.push({
        kind: 'fault',
        label: `${f.kind}: ${f.description}`,
        startMs: f.appliedMs,
        endMs,
        failed: !!f.error,
        milestone: false,
        detail: `${f.kind} ${f.description} (${f.mechanism}) from ${at(f.appliedMs)} to ${at(endMs)}, healed by ${f.reason}${f.error ? `; healing failed: ${f.error}` : ''}`,
        ref: `scenario-${si}-fault-${fi}`,
      });
    });
    sc.steps.forEach((st, i) => {
      if (st.status === 'skipped' && st.durationMs === 0) {
        untimed.push(`${sc.name} step ${st.index + 1} ${st.name} (skipped)`);
        return;
      }
      const startMs = origin + st.startedMs;
      const step: Span = {
        kind: 'step',
        label: `${st.index + 1}. ${st.name}`,
        startMs,
        endMs: startMs + st.durationMs,
        failed: FAILED_CHECK.has(st.status),
        milestone: st.action === 'check',
        detail: `${st.action} ${st.name}: ${st.status} at ${at(startMs)} in ${formatDuration(st.durationMs)}: ${st.message}`,
        ref: `scenario-${si}-step-${i}`,
      };
      spans.push(step);
      // A stop, crash or restart also shows on the row of the service it happened to.
      if (LIFECYCLE.has(st.action))
        for (const target of st.targets ?? []) {
          const node = nodeOf.get(target.slice(0, target.indexOf('/')));
          if (node !== undefined)
            lane(`node ${node}`).push({ ...step, label: `${target} ${st.action}` });
        }
    });
  });

  const all = [...lanes.values()].flat();
  const totalMs = Math.max(r.durationMs, 1, ...all.map((s) => s.endMs));
  return {
    totalMs,
    lanes: [...lanes].map(([title, spans]) => ({
      title,
      spans: spans.sort((a, b) => a.startMs - b.startMs || b.endMs - a.endMs),
    })),
    untimed,
    folded,
  };
}

function startOf(s: ServiceResult): number | undefined {
  return s.startingMs ?? s.startedMs;
}

function endOf(s: ServiceResult): number | undefined {
  return s.healthyMs ?? s.startedMs ?? s.startingMs;
}

function topologySpan(t: TopologyResult, ti: number, timed: ServiceResult[]): Span | undefined {
  if (!timed.length) return undefined;
  const startMs = Math.min(...timed.map((s) => startOf(s)!));
  const endMs = Math.max(...timed.map((s) => endOf(s)!));
  const failed = t.status !== 'passed';
  return {
    kind: 'topology',
    label: `${t.name} (${t.services.length} service${t.services.length === 1 ? '' : 's'})`,
    startMs,
    endMs,
    failed,
    milestone: false,
    detail: `topology ${t.name} on ${t.node}: ${t.status}, first start at ${at(startMs)}, all ready at ${at(endMs)}${t.failure ? `: ${t.failure.message}` : ''}`,
    ref: `topology-${ti}`,
  };
}

function serviceSpan(t: TopologyResult, ti: number, s: ServiceResult): Span | undefined {
  const startMs = startOf(s);
  if (startMs === undefined) return undefined;
  const endMs = endOf(s)!;
  return {
    kind: 'service',
    label: `${t.name}/${s.name}`,
    startMs,
    endMs,
    failed: FAILED_SERVICE.has(s.status),
    milestone: false,
    detail: `${t.name}/${s.name}: ${s.status} (${s.health}), asked to start at ${at(startMs)}${s.startedMs !== undefined ? `, started at ${at(s.startedMs)}` : ''}${s.healthyMs !== undefined ? `, healthy at ${at(s.healthyMs)}` : ''}`,
    ref: `topology-${ti}`,
  };
}

function checkSpan(c: CheckResult, ref: string): Span | undefined {
  if (c.startedMs === undefined) return undefined;
  return {
    kind: 'check',
    label: c.name,
    startMs: c.startedMs,
    endMs: c.startedMs + c.durationMs,
    failed: FAILED_CHECK.has(c.status),
    milestone: true,
    detail: `${c.kind} ${c.name}: ${c.status} at ${at(c.startedMs)} in ${formatDuration(c.durationMs)}, ${c.attempts} attempt${c.attempts === 1 ? '' : 's'}: ${c.message}`,
    ref,
  };
}

function at(ms: number): string {
  return `+${formatDuration(ms)}`;
}

// ---------------------------------------------------------------------------------------------

/** Services beyond which the gantt folds topologies: past it, one row each stops being legible. */
export const GANTT_FOLD_OVER = 20;
const GANTT_MAX_CHARS = 40_000;
const UNTIMED_NAMED = 20;
const SECTION_CHARS = 32;

/**
 * The timeline as a mermaid gantt (`dateFormat x`: milliseconds from the run's start), and the
 * notes that go under it: what was folded and what never started. Undefined when the run has
 * nothing timed, or when even folded it is larger than mermaid renders in a summary.
 */
export function ganttOf(r: RunResults): { text: string; notes: string[] } | undefined {
  const t = timeline(r, { foldServicesOver: GANTT_FOLD_OVER, foldChecks: true });
  if (!t.lanes.some((l) => l.spans.length)) return undefined;
  const lines = [
    'gantt',
    '  dateFormat x',
    // d3's time format, in the reader's time zone: seconds with milliseconds while the run is
    // short enough that whole seconds would repeat along the axis.
    `  axisFormat ${t.totalMs >= 3_600_000 ? '%H:%M:%S' : t.totalMs >= 60_000 ? '%M:%S' : '%-S.%Ls'}`,
  ];
  let n = 0;
  for (const l of t.lanes) {
    if (!l.spans.length) continue;
    // Mermaid writes a section's name in a narrow column left of the bars: longer ones overlap them.
    lines.push(`  section ${ganttText(l.title, SECTION_CHARS)}`);
    for (const s of l.spans) {
      const tags = [
        s.failed ? 'crit' : s.kind === 'fault' ? 'active' : 'done',
        ...(s.milestone ? ['milestone'] : []),
      ];
      const end = s.milestone ? s.startMs : Math.max(s.endMs, s.startMs + 1);
      lines.push(
        `  ${ganttText(s.label)} :${tags.join(', ')}, s${n++}, ${Math.round(s.startMs)}, ${Math.round(end)}`,
      );
    }
  }
  const text = lines.join('\n');
  if (text.length > GANTT_MAX_CHARS) return undefined;
  const notes = [
    ...t.folded,
    ...(t.untimed.length
      ? [
          `not on the timeline: ${t.untimed.slice(0, UNTIMED_NAMED).join(', ')}` +
            (t.untimed.length > UNTIMED_NAMED
              ? ` and ${t.untimed.length - UNTIMED_NAMED} more`
              : ''),
        ]
      : []),
  ];
  return { text, notes };
}

/** A gantt task or section name: `:` ends a name and `#`/`;` start comments or entities there. */
function ganttText(s: string, max = 80): string {
  const text = s.replace(/[:;#]/g, ' ').replace(/\s+/g, ' ').trim();
  return (text.length > max ? `${text.slice(0, max - 1)}…` : text) || '-';
}
