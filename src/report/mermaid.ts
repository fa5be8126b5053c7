import { formatDuration } from '../common/duration.js';
import { baseName, matrixLabel } from './evidence.js';
import type { CheckResult, RunResults, ServiceResult, TopologyResult } from '../model/results.js';

/**
 * The whole suite as one mermaid flowchart: each node (machine) a box, each topology a box
 * inside it, its services inside that (coloured by how they came up, orange when a check on
 * them failed), depends_on as arrows labelled with the condition, and the connections the
 * checks exercise between services (a `from:` probe, a propagation) as arrows labelled with
 * the kind and port, green or red by the check's verdict. An arrow between machines is dotted.
 *
 * One diagram, not one per topology: a suite of twenty topologies drew twenty near-identical
 * pictures, none showing what connects them. A topology shows at most SERVICES_SHOWN services,
 * always including those that are down, failed a check or have an arrow, and folds the rest
 * into a "+k more" box. A suite that would show more than SERVICES_DRAWN services, or more
 * than mermaid renders (50,000 characters, 500 edges by default), is drawn one box per
 * topology, with the arrows between them: at seed 000's scale (19 topologies, 57 services,
 * two machines) the services drawn one by one rendered 2,244 px tall at 900 px wide, and
 * mermaid's layout pulled linked services out of their topology's box; one box per topology
 * was 1,475 px with every arrow legible. The services' table below the diagram has the rest.
 */

export const SERVICES_SHOWN = 6;
export const SERVICES_DRAWN = 30;
const MAX_CHARS = 40_000;
const MAX_EDGES = 400;

const CLASSES = [
  '  classDef up fill:#dafbe1,stroke:#1a7f37,color:#1f2328',
  '  classDef down fill:#ffebe9,stroke:#cf222e,color:#1f2328',
  '  classDef checkfailed fill:#fff1e5,stroke:#bc4c00,color:#1f2328',
  '  classDef notstarted fill:#f6f8fa,stroke:#8c959f,color:#57606a,stroke-dasharray:4 3',
];
const EDGE_COLOUR = { passed: '#1a7f37', failed: '#cf222e', skipped: '#8c959f' } as const;

type Verdict = keyof typeof EDGE_COLOUR;

interface Edge {
  from: string;
  to: string;
  labels: Set<string>;
  /** Across machines. */
  remote: boolean;
  /** Set for what checks exercised: the worst of their verdicts. */
  verdict?: Verdict;
}

/** The suite diagram, or undefined when even one box per topology is too large to render. */
export function suiteDiagram(r: RunResults): string | undefined {
  if (!r.topologies.some((t) => t.services.length)) return undefined;
  const plan = new Plan(r);
  for (const folded of [false, true]) {
    const { text, edges, services } = plan.draw(folded);
    if (text.length <= MAX_CHARS && edges <= MAX_EDGES && services <= SERVICES_DRAWN) return text;
  }
  return undefined;
}

/** A service as topology index and name: what edges join. */
type End = { group: number; service: string };

class Plan {
  /** Failing checks' services and the ends of every edge, as `group/service`. */
  private readonly failing = new Set<string>();
  private readonly linked = new Set<string>();
  private readonly deps: { from: End; to: End; condition: string }[] = [];
  private readonly links: { from: End; to: End; label: string; verdict: Verdict }[] = [];

  constructor(private readonly r: RunResults) {
    r.topologies.forEach((t, group) => {
      for (const s of t.services) {
        for (const d of s.dependsOn ?? []) {
          // A service of another topology is named topology/service (the topology's depends_on).
          const to = d.service.includes('/')
            ? this.end(d.service, t.matrix)
            : { group, service: d.service };
          if (to) this.deps.push({ from: { group, service: s.name }, to, condition: d.condition });
        }
      }
    });
    for (const c of r.checks) {
      if (c.status === 'failed' || c.status === 'error') {
        for (const target of c.targets) {
          const end = this.end(target, c.matrix);
          if (end) this.failing.add(key(end));
        }
      }
      for (const l of c.links ?? []) {
        const from = this.end(l.from, c.matrix);
        const to = this.end(l.to, c.matrix);
        if (!from || !to) continue;
        const label = `${c.kind}${l.port === undefined ? '' : ` :${l.port}`}`;
        this.links.push({ from, to, label, verdict: verdictOf(c) });
      }
    }
    for (const e of [...this.deps.filter((d) => d.from.group !== d.to.group), ...this.links]) {
      this.linked.add(key(e.from)).add(key(e.to));
    }
  }

  /** The topology result a `topology/service` reference means, in the same matrix combination. */
  private end(ref: string, matrix: Record<string, string> | undefined): End | undefined {
    const slash = ref.indexOf('/');
    const name = ref.slice(0, slash);
    const group = this.r.topologies.findIndex(
      (t) => baseName(t.name, t.matrix) === name && matrixLabel(t.matrix) === matrixLabel(matrix),
    );
    return group < 0 ? undefined : { group, service: ref.slice(slash + 1) };
  }

  draw(folded: boolean): { text: string; edges: number; services: number } {
    const lines = ['flowchart LR', ...CLASSES];
    /** Mermaid id of each shown service, by `group/service`; folded: of each group. */
    const ids = new Map<string, string>();
    const idOf = (e: End) => (folded ? `g${e.group}` : ids.get(key(e)));
    const nodes = [...new Set(this.r.topologies.map((t) => t.node))];
    for (const [m, node] of nodes.entries()) {
      // One machine needs no box of its own: it would only repeat "local".
      const indent = nodes.length > 1 ? '    ' : '  ';
      if (nodes.length > 1) lines.push(`  subgraph m${m}["${label(`node ${node}`)}"]`);
      this.r.topologies.forEach((t, group) => {
        if (t.node !== node) return;
        // A topology with no services (its compose files did not load) is a box alone.
        if (folded || !t.services.length) {
          lines.push(
            `${indent}g${group}["${label(groupLabel(t))}"]:::${this.groupClass(t, group)}`,
          );
          return;
        }
        lines.push(`${indent}subgraph g${group}["${label(groupTitle(t))}"]`);
        const { shown, rest } = this.pick(t, group);
        shown.forEach((s) => {
          const id = `g${group}s${t.services.indexOf(s)}`;
          ids.set(key({ group, service: s.name }), id);
          lines.push(
            `${indent}  ${id}["${label(serviceLabel(s))}"]:::${this.serviceClass(s, group)}`,
          );
        });
        if (rest.length) {
          const cls = worstClass(rest.map((s) => this.serviceClass(s, group)));
          lines.push(`${indent}  g${group}more["${label(foldedLabel(rest))}"]:::${cls}`);
        }
        lines.push(`${indent}end`);
      });
      if (nodes.length > 1) lines.push('  end');
    }

    const edges = new Map<string, Edge>();
    const add = (from: End, to: End, text: string, verdict?: Verdict) => {
      const a = idOf(from);
      const b = idOf(to);
      if (!a || !b || a === b) return;
      const id = `${a}>${b}>${verdict ? 'check' : 'dep'}`;
      const e = edges.get(id) ?? {
        from: a,
        to: b,
        labels: new Set<string>(),
        remote: this.r.topologies[from.group]!.node !== this.r.topologies[to.group]!.node,
        ...(verdict && { verdict }),
      };
      e.labels.add(text);
      if (verdict && e.verdict) e.verdict = worse(e.verdict, verdict);
      edges.set(id, e);
    };
    for (const d of this.deps) add(d.from, d.to, shortCondition(d.condition));
    for (const l of this.links) add(l.from, l.to, l.label, l.verdict);

    const colours = new Map<Verdict, number[]>();
    [...edges.values()].forEach((e, i) => {
      const arrow = e.remote ? '-.->' : '-->';
      lines.push(`  ${e.from} ${arrow}|${label(edgeLabel(e.labels))}| ${e.to}`);
      if (e.verdict) colours.set(e.verdict, [...(colours.get(e.verdict) ?? []), i]);
    });
    for (const [verdict, at] of colours) {
      lines.push(`  linkStyle ${at.join(',')} stroke:${EDGE_COLOUR[verdict]},stroke-width:2px`);
    }
    return { text: lines.join('\n'), edges: edges.size, services: ids.size };
  }

  /** The services a topology shows: those that matter, then the first others up to the limit. */
  private pick(
    t: TopologyResult,
    group: number,
  ): { shown: ServiceResult[]; rest: ServiceResult[] } {
    const matters = (s: ServiceResult) =>
      this.serviceClass(s, group) !== 'up' || this.linked.has(key({ group, service: s.name }));
    let room = SERVICES_SHOWN - t.services.filter(matters).length;
    // Folding one service into "+1 more" saves nothing.
    if (t.services.length === SERVICES_SHOWN + 1) room++;
    const shown = t.services.filter((s) => matters(s) || room-- > 0);
    return { shown, rest: t.services.filter((s) => !shown.includes(s)) };
  }

  private serviceClass(s: ServiceResult, group: number): string {
    if (s.status === 'failed') return 'down';
    if (s.status === 'cancelled' || s.status === 'pending') return 'notstarted';
    return this.failing.has(key({ group, service: s.name })) ? 'checkfailed' : 'up';
  }

  private groupClass(t: TopologyResult, group: number): string {
    if (t.status === 'failed' || t.status === 'error') return 'down';
    return worstClass(t.services.map((s) => this.serviceClass(s, group)));
  }
}

const key = (e: End) => `${e.group}/${e.service}`;

const CLASS_ORDER = ['down', 'checkfailed', 'notstarted', 'up'];

function worstClass(classes: string[]): string {
  return CLASS_ORDER.find((c) => classes.includes(c)) ?? 'notstarted';
}

function verdictOf(c: CheckResult): Verdict {
  return c.status === 'passed' ? 'passed' : c.status === 'skipped' ? 'skipped' : 'failed';
}

function worse(a: Verdict, b: Verdict): Verdict {
  const order: Verdict[] = ['failed', 'skipped', 'passed'];
  return order.find((v) => v === a || v === b)!;
}

function edgeLabel(labels: Set<string>): string {
  const all = [...labels];
  return all.length > 3 ? `${all.slice(0, 3).join(', ')} +${all.length - 3}` : all.join(', ');
}

function groupTitle(t: TopologyResult): string {
  return t.status === 'passed' ? t.name : `${t.name} (${t.status})`;
}

function groupLabel(t: TopologyResult): string {
  const up = t.services.filter((s) => ['healthy', 'running', 'completed'].includes(s.status));
  return `${groupTitle(t)}\n${up.length}/${t.services.length} services up`;
}

function foldedLabel(rest: ServiceResult[]): string {
  const byStatus = new Map<string, number>();
  for (const s of rest) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);
  const counts = [...byStatus].map(([status, n]) => `${n} ${status}`).join(', ');
  return `+${rest.length} more\n${counts}`;
}

function serviceLabel(s: ServiceResult): string {
  const replicas = s.replicas > 1 ? ` ×${s.replicas}` : '';
  const ready =
    s.healthyMs !== undefined && s.startedMs !== undefined
      ? ` ${formatDuration(s.healthyMs - s.startedMs)}`
      : '';
  return `${s.name}${replicas}\n${s.status}${ready}`;
}

function shortCondition(c: string): string {
  return c.replace(/^service_/, '').replace('completed_successfully', 'completed');
}

/** Mermaid label text: quotes and angle brackets as entity codes, line breaks as <br/>. */
function label(s: string): string {
  return s
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/\|/g, '#124;')
    .replace(/\n/g, '<br/>');
}
