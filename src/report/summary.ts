import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatDuration } from '../common/duration.js';
import {
  at,
  evidenceLines,
  matrixLabel,
  reachExpected,
  reachMatrix,
  topologyOf,
  type ReachCell,
} from './evidence.js';
import { code, codeCell, details, fenced, inline, table } from './markdown.js';
import { suiteDiagram } from './mermaid.js';
import { relocated } from './paths.js';
import { ganttOf } from './timeline.js';
import type { CheckResult, RunResults, ScenarioResult, TopologyResult } from '../model/results.js';

/**
 * The job summary: a headline, every check (failures first), what failed (with evidence and
 * the services' last log lines), the suite as one diagram and its services as one table,
 * reach matrices and scenarios. The same markdown is what `stackcheck run --summary FILE`
 * writes. The verdicts come first: in a suite of twenty topologies the diagram and the
 * services' table are thousands of pixels tall, and a reader opens the summary to learn
 * what failed.
 *
 * GitHub takes at most 1 MiB per step. When the full report is larger, detail goes in this
 * order until it fits: passing checks, diagrams, details of what passed, long evidence and
 * logs. The headline and the failures stay; the summary says what was cut and where the
 * complete results are.
 */

export const SUMMARY_LIMIT_BYTES = 1024 * 1024;

export interface SummaryOptions {
  /** Most bytes the markdown may take. Default: GitHub's 1 MiB per step, less a margin. */
  limitBytes?: number;
  /** Where the complete results are, named when something had to be cut. */
  files?: { junit?: string; json?: string };
  /**
   * Turns a position's file (as the results hold it: relative to where stackcheck ran) into
   * the path a reader knows it by: relative to the repository in the action.
   */
  path?: (file: string) => string;
}

interface Detail {
  passingChecks: boolean;
  diagrams: boolean;
  passingDetail: boolean;
  evidenceChars: number;
  logLines: number;
}

const FULL: Detail = {
  passingChecks: true,
  diagrams: true,
  passingDetail: true,
  evidenceChars: 64_000,
  logLines: 200,
};

/** Each step drops more detail than the one before; `cut` says what, for the reader. */
const CUTS: { change: Partial<Detail>; cut: string }[] = [
  { change: { passingChecks: false }, cut: 'the passing checks' },
  { change: { diagrams: false }, cut: 'the diagrams' },
  { change: { passingDetail: false }, cut: 'the details of what passed' },
  { change: { evidenceChars: 4_000, logLines: 20 }, cut: 'long evidence and log lines' },
  { change: { evidenceChars: 500, logLines: 0 }, cut: 'the rest of the logs' },
];

const LEVELS: { detail: Detail; cut: string[] }[] = CUTS.reduce(
  (levels, step) => {
    const prev = levels[levels.length - 1]!;
    return [
      ...levels,
      { detail: { ...prev.detail, ...step.change }, cut: [...prev.cut, step.cut] },
    ];
  },
  [{ detail: FULL, cut: [] as string[] }],
);

export function renderSummary(results: RunResults, opts: SummaryOptions = {}): string {
  const r = opts.path ? relocated(results, opts.path) : results;
  const limit = opts.limitBytes ?? SUMMARY_LIMIT_BYTES - 16 * 1024;
  for (const level of LEVELS) {
    const md = compose(r, level, limit, opts);
    if (Buffer.byteLength(md) <= limit) return md;
  }
  // Even the barest form is too large (thousands of failures): cut at a line, and say so.
  const md = compose(r, LEVELS[LEVELS.length - 1]!, limit, opts);
  const note = `\n\n---\n**Cut here to fit the ${formatBytes(limit)} limit.** ${whereAll(opts)}\n`;
  const room = limit - Buffer.byteLength(note) - 16;
  const cut = Buffer.from(md).subarray(0, Math.max(0, room)).toString('utf8');
  const kept = cut.slice(0, Math.max(0, cut.lastIndexOf('\n')));
  return kept + closeFence(kept) + note;
}

/** The fence that closes a code block left open at the end of `md`, if one is. */
function closeFence(md: string): string {
  let open: string | undefined;
  for (const line of md.split('\n')) {
    const fence = /^(`{3,})/.exec(line)?.[1];
    if (!fence) continue;
    if (open === undefined) open = fence;
    else if (fence === open && line.trim() === fence) open = undefined;
  }
  return open ? `\n${open}` : '';
}

export function writeSummary(r: RunResults, file: string, opts: SummaryOptions = {}): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderSummary(r, opts));
}

function compose(
  r: RunResults,
  { detail: d, cut }: { detail: Detail; cut: string[] },
  limit: number,
  opts: SummaryOptions,
): string {
  const parts = [
    headline(r),
    cut.length
      ? `> [!NOTE]\n> Cut to fit ${opts.limitBytes ? formatBytes(limit) : "GitHub's 1 MiB job summary"}: ` +
        `${cut.join(', ')}. ${whereAll(opts)}`
      : '',
    checks(r, d),
    failures(r, d),
    topologies(r, d),
    timelineSection(r, d),
    reachMatrices(r, d),
    scenarios(r, d),
    footer(r, opts),
  ];
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}

function whereAll(opts: SummaryOptions): string {
  const files = [opts.files?.junit, opts.files?.json].filter(Boolean) as string[];
  return files.length
    ? `The complete results are in ${files.map(code).join(' and ')}.`
    : 'The complete results are in the JUnit and JSON reports.';
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`;
}

// ---------------------------------------------------------------------------------------------

const ICON = {
  passed: '✅',
  failed: '❌',
  error: '⛔',
  skipped: '⏭️',
  cancelled: '⏹️',
  flaky: '⚠️',
} as const;

function headline(r: RunResults): string {
  const [icon, verdict] = r.interrupted
    ? [
        ICON.cancelled,
        `interrupted (${r.interrupted === 'timeout' ? 'time limit reached' : r.interrupted})`,
      ]
    : [ICON[r.status], r.status];
  const services = r.topologies.flatMap((t) => t.services);
  const up = services.filter((s) => ['healthy', 'running', 'completed'].includes(s.status));
  const topoUp = r.topologies.filter((t) => t.status === 'passed').length;
  const counts = [
    `${topoUp}/${r.topologies.length} topologies up (${up.length}/${services.length} services)`,
    r.checks.length ? `checks: ${tally(r.checks.map((c) => c.status))}` : '',
    (r.scenarios ?? []).length ? `scenarios: ${tally(r.scenarios.map((s) => s.status))}` : '',
    formatDuration(r.durationMs),
  ].filter(Boolean);
  const flaky = r.checks.filter((c) => c.flaky).length;
  return [
    `## ${icon} stackcheck: ${inline(r.suite)} ${verdict}`,
    '',
    `**${counts.join(' · ')}** · run ${code(r.runId)}${r.label ? ` · ${inline(r.label)}` : ''}` +
      (flaky ? ` · ${ICON.flaky} ${flaky} flaky` : ''),
  ].join('\n');
}

function tally(statuses: string[]): string {
  const order = ['passed', 'failed', 'error', 'skipped'];
  return order
    .map((s) => [s, statuses.filter((x) => x === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
}

function clip(text: string, max: number): string {
  return text.length > max
    ? `${text.slice(0, max)}\n… (${text.length - max} more characters)`
    : text;
}

function failures(r: RunResults, d: Detail): string {
  const blocks: string[] = [];
  for (const t of r.topologies) {
    if (!t.failure) continue;
    const pos = t.failure.source ?? t.source;
    blocks.push(
      [
        `### ${ICON[t.status === 'error' ? 'error' : 'failed']} topology ${inline(t.name)}: ${inline(t.failure.message)}`,
        `${code(at(pos))} · ${t.failure.service ? `service ${code(t.failure.service)}` : 'before any service started'} on node ${code(t.node)}`,
        t.failure.details.length ? fenced(clip(t.failure.details.join('\n'), d.evidenceChars)) : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  }
  const bad = [
    ...r.checks.filter((c) => c.status === 'failed'),
    ...r.checks.filter((c) => c.status === 'error'),
  ];
  for (const c of bad) blocks.push(checkFailure(r, c, d));
  for (const s of r.scenarios ?? []) {
    if (s.status !== 'failed' && s.status !== 'error') continue;
    for (const step of s.steps.filter((x) => x.status === 'failed' || x.status === 'error')) {
      const ev = evidenceLines(step.evidence).join('\n');
      blocks.push(
        [
          `### ${ICON[step.status as 'failed' | 'error']} scenario ${inline(s.name)}, step ${step.index + 1}: ${inline(step.name)}`,
          `${code(at(step.source))} · ${code(step.action)}`,
          inline(step.message),
          ev ? fenced(clip(ev, d.evidenceChars)) : '',
        ]
          .filter(Boolean)
          .join('\n\n'),
      );
    }
  }
  return blocks.length ? [`## Failures`, ...blocks].join('\n\n') : '';
}

function checkFailure(r: RunResults, c: CheckResult, d: Detail): string {
  const ev = evidenceLines(c.evidence).join('\n');
  const logs = d.logLines
    ? c.targets.flatMap((target) => {
        const lines = r.logs?.[target + matrixLabel(c.matrix)] ?? r.logs?.[target];
        if (!lines?.length) return [];
        const last = lines.slice(-d.logLines);
        return [
          details(
            `Last ${last.length} log lines of <code>${html(target)}</code>`,
            fenced(clip(last.join('\n'), d.evidenceChars)),
          ),
        ];
      })
    : [];
  const meta = [
    code(at(c.source)),
    code(c.kind),
    formatDuration(c.durationMs),
    c.attempts > 1 ? `${c.attempts} attempts` : '',
    c.targets.length ? `on ${c.targets.map(code).join(', ')}` : '',
  ].filter(Boolean);
  return [
    `### ${ICON[c.status as 'failed' | 'error']} ${inline(c.name)}`,
    meta.join(' · '),
    inline(c.message),
    ev ? fenced(clip(ev, d.evidenceChars)) : '',
    ...logs,
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** When each thing happened, as a gantt; it goes with the diagrams when the summary is cut. */
function timelineSection(r: RunResults, d: Detail): string {
  const gantt = d.diagrams ? ganttOf(r) : undefined;
  if (!gantt) return '';
  return [
    '## Timeline',
    fenced(gantt.text, 'mermaid'),
    ...gantt.notes.map((n) => `_${inline(n)}._`),
  ]
    .filter(Boolean)
    .join('\n\n');
}

function html(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function topologies(r: RunResults, d: Detail): string {
  if (!r.topologies.length) return '';
  const diagram = d.diagrams ? suiteDiagram(r) : undefined;
  const listed = r.topologies.filter((t) => d.passingDetail || t.status !== 'passed');
  const unlisted = r.topologies.filter((t) => !listed.includes(t));
  const rows = listed.flatMap((t) =>
    t.services.map((s, i) => [
      // The topology and its node head its first row only: the rows below are its services.
      i ? '' : `${topologyIcon(t)} ${inline(t.name)}`,
      i ? '' : inline(t.node),
      `${inline(s.name)}${s.replicas > 1 ? ` ×${s.replicas}` : ''}`,
      s.withoutGpu ? `${inline(s.status)}, without its GPU` : inline(s.status),
      inline(s.health),
      s.startedMs === undefined ? '—' : formatDuration(s.startedMs),
      s.healthyMs === undefined || s.startedMs === undefined
        ? '—'
        : formatDuration(s.healthyMs - s.startedMs),
    ]),
  );
  const services = unlisted.flatMap((t) => t.services).length;
  return [
    '## Topologies',
    diagram
      ? fenced(diagram, 'mermaid')
      : d.diagrams && r.topologies.some((t) => t.services.length)
        ? `_No diagram: ${r.topologies.length} topologies are more than mermaid draws, even one box each._`
        : '',
    rows.length
      ? table(
          ['topology', 'node', 'service', 'state', 'health', 'started at', 'time to healthy'],
          rows,
          ['l', 'l', 'l', 'l', 'l', 'r', 'r'],
        )
      : '',
    unlisted.length ? `_${unlisted.length} topologies up (${services} services), not listed._` : '',
    ...r.topologies.flatMap(attachNotes),
  ]
    .filter(Boolean)
    .join('\n\n');
}

function topologyIcon(t: TopologyResult): string {
  return t.status === 'passed'
    ? ICON.passed
    : t.status === 'cancelled'
      ? ICON.cancelled
      : ICON[t.status];
}

/** What attach did not find as the compose files say: missing, unhealthy and extra services. */
function attachNotes(t: TopologyResult): string[] {
  if (!t.attached) return [];
  const notes = t.attached.services
    .filter((s) => s.state !== 'found')
    .map((s) => `- ${inline(s.name)}: **${s.state}**${s.message ? ` — ${inline(s.message)}` : ''}`);
  return [
    `${inline(t.name)} is attached to compose project ${code(t.attached.project)}` +
      (notes.length ? `:\n\n${notes.join('\n')}` : '.'),
  ];
}

const CHECK_ORDER = { failed: 0, error: 1, skipped: 3, passed: 4 } as const;

function checks(r: RunResults, d: Detail): string {
  if (!r.checks.length) return '';
  const sorted = [...r.checks].sort(
    (a, b) => (a.flaky ? 2 : CHECK_ORDER[a.status]) - (b.flaky ? 2 : CHECK_ORDER[b.status]),
  );
  const shown = d.passingChecks ? sorted : sorted.filter((c) => c.status !== 'passed' || c.flaky);
  // Checks come from the manifest: its path is named once, above the table, not on every row.
  const files = [...new Set(shown.map((c) => c.source.file))];
  const one = files.length === 1 ? files[0] : undefined;
  const rows = shown.map((c) => [
    c.flaky ? ICON.flaky : ICON[c.status],
    inline(c.name),
    codeCell(c.kind),
    inline(topologyOf(r, c)?.name ?? '—'),
    one === undefined ? codeCell(`${c.source.file}:${c.source.line}`) : String(c.source.line),
    formatDuration(c.durationMs),
    inline(c.flaky ? `${c.message} (flaky)` : c.message),
  ]);
  const hidden = sorted.length - shown.length;
  return [
    '## Checks',
    one === undefined ? '' : `Lines of ${code(one)}.`,
    rows.length
      ? table(
          ['', 'check', 'kind', 'topology', one === undefined ? 'where' : 'line', 'time', 'result'],
          rows,
          ['c', 'l', 'l', 'l', one === undefined ? 'l' : 'r', 'r', 'l'],
        )
      : '',
    hidden ? `_${hidden} passing checks not listed._` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

function reachMatrices(r: RunResults, d: Detail): string {
  const blocks = r.checks.flatMap((c) => {
    const m = reachMatrix(c.evidence);
    if (!m || (!d.passingDetail && c.status === 'passed')) return [];
    const want = reachExpected(c.evidence) ? 'reachable' : 'isolated';
    return [
      `### ${c.status === 'passed' ? ICON.passed : ICON.failed} ${inline(c.name)}\n\n` +
        `Expected: ${want}.\n\n${reachTable(m, want === 'reachable')}`,
    ];
  });
  return blocks.length ? ['## Reachability', ...blocks].join('\n\n') : '';
}

/**
 * One row per `from` service, one column per target; a cell is ✅ when every replica agrees
 * with what was expected, ❌ when none does, ⚠️ (with the count) when only some do.
 */
function reachTable(cells: ReachCell[], expected: boolean): string {
  const froms = [...new Set(cells.map((c) => c.from))];
  const tos = [...new Set(cells.map((c) => c.to))];
  // Across several nodes, each end is named with the node it is on.
  const onNode = (name: string, node?: string) => codeCell(name) + (node ? ` on ${node}` : '');
  const rows = froms.map((f) => [
    onNode(f, cells.find((c) => c.from === f)?.fromNode),
    ...tos.map((t) => {
      const all = cells.filter((x) => x.from === f && x.to === t);
      if (!all.length) return '—';
      const agree = all.filter((x) => x.reachable === expected).length;
      const icon = agree === all.length ? '✅' : agree === 0 ? '❌' : `⚠️ ${agree}/${all.length}`;
      const reached = all.filter((x) => x.reachable);
      const error = all.find((x) => !x.reachable && x.error)?.error;
      const what = reached.length
        ? `${Math.max(...reached.map((x) => x.ms ?? 0))} ms`
        : `unreachable${error ? `: ${inline(error)}` : ''}`;
      return `${icon} ${what}`;
    }),
  ]);
  const heads = tos.map((t) => onNode(t, cells.find((c) => c.to === t)?.toNode));
  return table(['from \\ to', ...heads], rows, ['l', ...tos.map(() => 'c' as const)]);
}

function scenarios(r: RunResults, d: Detail): string {
  const list = r.scenarios ?? [];
  if (!list.length) return '';
  const blocks = list.map((s) => scenarioBlock(s, d));
  return ['## Scenarios', ...blocks].join('\n\n');
}

function scenarioBlock(s: ScenarioResult, d: Detail): string {
  const head = `### ${ICON[s.status]} ${inline(s.name)} · ${formatDuration(s.durationMs)}`;
  if (!d.passingDetail && s.status === 'passed')
    return `${head}\n\n${s.steps.length} steps passed.`;
  const rows = s.steps.map((step) => [
    String(step.index + 1),
    ICON[step.status],
    inline(step.name),
    codeCell(step.action),
    formatDuration(step.startedMs),
    formatDuration(step.durationMs),
    inline(step.message),
  ]);
  const faults = s.faults.map(
    (f) =>
      `- ${code(f.kind)} via ${inline(f.mechanism)}: ${inline(f.description)}; healed: ${inline(f.reason)}` +
      (f.error ? ` — **not healed: ${inline(f.error)}**` : ''),
  );
  return [
    head,
    s.message ? inline(s.message) : '',
    rows.length === 0
      ? ''
      : table(['#', '', 'step', 'action', 'at', 'time', 'result'], rows, [
          'r',
          'c',
          'l',
          'l',
          'r',
          'r',
          'l',
        ]),
    faults.length ? `Faults:\n\n${faults.join('\n')}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

function footer(r: RunResults, opts: SummaryOptions): string {
  const lines: string[] = [];
  if (r.teardown.kept) {
    lines.push(
      `Kept running on purpose; remove it with ${code(`stackcheck down --run ${r.runId}`)}.`,
    );
  } else {
    lines.push(
      `Removed ${r.teardown.containers} containers, ${r.teardown.networks} networks, ${r.teardown.volumes} volumes.`,
    );
    if (r.teardown.errors.length) {
      lines.push(
        `**Teardown left something behind** (${code(`stackcheck down --run ${r.runId}`)} retries):`,
        '',
        ...r.teardown.errors.map((e) => `- ${inline(e)}`),
      );
    }
  }
  const files = [
    opts.files?.junit && `JUnit: ${code(opts.files.junit)}`,
    opts.files?.json && `results: ${code(opts.files.json)}`,
  ].filter(Boolean);
  if (files.length) lines.push('', `<sub>${files.join(' · ')}</sub>`);
  return `---\n\n${lines.join('\n')}`;
}
