import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatDuration } from '../common/duration.js';
import { at, evidenceLines, matrixLabel } from './evidence.js';
import type {
  CheckResult,
  RunResults,
  ScenarioResult,
  StepResult,
  TopologyResult,
} from '../model/results.js';
import { timeline, type Span, type Timeline } from './timeline.js';

/**
 * The run as one page that opens from disk: the failures first, then the timeline (an SVG
 * drawn here, zoomable, one lane per node and per scenario, each span a link to its details),
 * every check with its attempts and evidence, the scenarios step by step, the topologies.
 * Built from the results alone, so a merged or earlier run gives the same page. Nothing is
 * fetched: the styles and the script are inline, and the page's Content-Security-Policy
 * forbids any request, so text from the run cannot load anything either. Every string from
 * the results is escaped; secrets were masked before the results were made.
 */
export function renderHtml(r: RunResults): string {
  const verdict = r.interrupted ? `interrupted (${r.interrupted})` : r.status;
  const body = [
    header(r, verdict),
    failures(r),
    timelineSection(timeline(r)),
    checks(r),
    scenarios(r),
    topologies(r),
    logs(r),
    footer(r),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stackcheck: ${esc(r.suite)} ${esc(verdict)}</title>
<style>${STYLE}</style>
</head>
<body class="${esc(r.status)}">
${body}
<script>${SCRIPT}</script>
</body>
</html>
`;
}

export function writeHtml(r: RunResults, file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderHtml(r));
}

// ---------------------------------------------------------------------------------------------

/** Every character that could end an attribute or start markup, as an entity. */
function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const BAD = new Set(['failed', 'error', 'cancelled', 'pending']);

function badge(status: string): string {
  return `<span class="badge ${BAD.has(status) ? 'bad' : status === 'skipped' ? 'skip' : 'ok'}">${esc(status)}</span>`;
}

function header(r: RunResults, verdict: string): string {
  const services = r.topologies.flatMap((t) => t.services);
  const up = services.filter((s) => ['healthy', 'running', 'completed'].includes(s.status));
  const facts = [
    `${r.topologies.filter((t) => t.status === 'passed').length}/${r.topologies.length} topologies up (${up.length}/${services.length} services)`,
    r.checks.length
      ? `${r.checks.filter((c) => c.status === 'passed').length}/${r.checks.length} checks passed`
      : '',
    r.scenarios.length
      ? `${r.scenarios.filter((s) => s.status === 'passed').length}/${r.scenarios.length} scenarios passed`
      : '',
    formatDuration(r.durationMs),
    `run ${r.runId}`,
    `started ${r.startedAt}`,
    r.label ?? '',
  ].filter(Boolean);
  return `<header><h1>stackcheck: ${esc(r.suite)} ${badge(verdict)}</h1><p>${facts.map(esc).join(' · ')}</p></header>`;
}

/** Evidence as the other reports show it, in a block that keeps its lines. */
function evidence(ev: Record<string, unknown>): string {
  const lines = evidenceLines(ev);
  return lines.length ? `<pre>${esc(lines.join('\n'))}</pre>` : '';
}

function checkBody(r: RunResults, c: CheckResult): string {
  const meta = [
    at(c.source),
    c.kind,
    c.startedMs !== undefined ? `started +${formatDuration(c.startedMs)}` : '',
    `took ${formatDuration(c.durationMs)}`,
    `${c.attempts} attempt${c.attempts === 1 ? '' : 's'}${c.flaky ? ' (flaky)' : ''}`,
    c.targets.length ? `on ${c.targets.join(', ')}` : '',
  ].filter(Boolean);
  const logLines = BAD.has(c.status)
    ? c.targets.flatMap((t) => {
        const lines = r.logs?.[t + matrixLabel(c.matrix)] ?? r.logs?.[t];
        return lines?.length
          ? [
              `<p>Last ${lines.length} log lines of ${esc(t)}:</p><pre>${esc(lines.join('\n'))}</pre>`,
            ]
          : [];
      })
    : [];
  return `<p class="meta">${meta.map(esc).join(' · ')}</p><p>${esc(c.message)}</p>${evidence(c.evidence)}${logLines.join('')}`;
}

function checkItem(r: RunResults, c: CheckResult, id: string, open: boolean): string {
  return `<details id="${id}" class="item ${esc(c.status)}"${open ? ' open' : ''}><summary>${badge(c.status)} ${esc(c.name)}</summary>${checkBody(r, c)}</details>`;
}

function stepItem(sc: ScenarioResult, st: StepResult, id: string, open: boolean): string {
  const start = sc.startedMs === undefined ? undefined : sc.startedMs + st.startedMs;
  const meta = [
    at(st.source),
    st.action,
    start !== undefined ? `started +${formatDuration(start)}` : '',
    `took ${formatDuration(st.durationMs)}`,
  ].filter(Boolean);
  return `<details id="${id}" class="item ${esc(st.status)}"${open ? ' open' : ''}><summary>${badge(st.status)} ${esc(`${sc.name} › ${st.index + 1}. ${st.name}`)}</summary><p class="meta">${meta.map(esc).join(' · ')}</p><p>${esc(st.message)}</p>${evidence(st.evidence)}</details>`;
}

function topologyFailure(t: TopologyResult, ti: number): string {
  const f = t.failure!;
  return `<details id="failure-topology-${ti}" class="item failed" open><summary>${badge(t.status)} topology ${esc(t.name)} on ${esc(t.node)}: ${esc(f.message)}</summary>${f.source ? `<p class="meta">${esc(at(f.source))}${f.service ? ` · service ${esc(f.service)}` : ''}</p>` : ''}${f.details.length ? `<pre>${esc(f.details.join('\n'))}</pre>` : ''}</details>`;
}

function failures(r: RunResults): string {
  const items = [
    ...r.checks.flatMap((c, i) =>
      BAD.has(c.status) ? [checkItem(r, c, `failure-check-${i}`, true)] : [],
    ),
    ...r.scenarios.flatMap((sc, si) =>
      sc.steps.flatMap((st, i) =>
        BAD.has(st.status) ? [stepItem(sc, st, `failure-scenario-${si}-step-${i}`, true)] : [],
      ),
    ),
    ...r.topologies.flatMap((t, ti) => (t.failure ? [topologyFailure(t, ti)] : [])),
    ...r.scenarios.flatMap((sc) =>
      sc.faults.flatMap((f) =>
        f.error
          ? [
              `<p class="item failed">${badge('error')} healing ${esc(f.kind)} ${esc(f.description)} failed: ${esc(f.error)}</p>`,
            ]
          : [],
      ),
    ),
    ...(r.teardown.kept ? [] : r.teardown.errors).map(
      (e) => `<p class="item failed">${badge('error')} teardown: ${esc(e)}</p>`,
    ),
  ];
  return `<section id="failures"><h2>Failures</h2>${items.length ? items.join('\n') : '<p>None.</p>'}</section>`;
}

// ---------------------------------------------------------------------------------------------

const ROW = 18;
const AXIS = 22;
const LABELS_W = 300;
/** The plot's width at zoom 1; the script scales it. */
export const PLOT_W = 960;
const PAD = 8;

function timelineSection(t: Timeline): string {
  const rows: ({ lane: string } | { span: Span })[] = t.lanes.flatMap((l) => [
    { lane: l.title },
    ...l.spans.map((span) => ({ span })),
  ]);
  const height = AXIS + rows.length * ROW + 4;
  const k = PLOT_W / t.totalMs;
  const labels: string[] = [];
  const plot: string[] = [];
  rows.forEach((row, i) => {
    const y = AXIS + i * ROW;
    if ('lane' in row) {
      labels.push(
        `<text class="lane" x="4" y="${y + 13}">${esc(clipLabel(row.lane))}<title>${esc(row.lane)}</title></text>`,
      );
      plot.push(`<rect class="band" x="0" y="${y}" width="100%" height="${ROW}"/>`);
      return;
    }
    const s = row.span;
    const cls = `${s.kind}${s.failed ? ' failed' : ''}`;
    labels.push(
      `<a href="#${s.ref}"><text class="${cls}" x="12" y="${y + 13}">${esc(clipLabel(s.label))}<title>${esc(s.label)}</title></text></a>`,
    );
    const title = `<title>${esc(s.detail)}</title>`;
    const x = PAD + s.startMs * k;
    const bar = `<rect class="span ${cls}" data-s="${s.startMs}" data-e="${s.endMs}" x="${x.toFixed(1)}" y="${y + 4}" width="${Math.max(2, (s.endMs - s.startMs) * k).toFixed(1)}" height="${ROW - 8}"/>`;
    const mark = s.milestone
      ? `<path class="mark ${cls}" data-s="${s.startMs}" data-y="${y + ROW / 2}" transform="translate(${x.toFixed(1)},${y + ROW / 2})" d="M0,-6L6,0L0,6L-6,0Z"/>`
      : '';
    plot.push(`<a href="#${s.ref}" data-ref="${s.ref}">${bar}${mark}${title}</a>`);
  });
  const notes = [
    ...t.folded,
    ...(t.untimed.length ? [`not on the timeline: ${t.untimed.join(', ')}`] : []),
  ];
  return `<section id="timeline"><h2>Timeline</h2>
<p class="controls"><label>Zoom <input id="zoom" type="range" min="1" max="40" step="1" value="1"></label> <span id="zoomed">×1</span> · times from the run's start; hover for details, click for evidence</p>
<div class="tl"><svg class="labels" width="${LABELS_W}" height="${height}" role="img" aria-label="timeline rows">${labels.join('')}</svg><div class="scroll"><svg id="plot" data-total="${t.totalMs}" data-pad="${PAD}" data-plot-w="${PLOT_W}" width="${PLOT_W + 2 * PAD}" height="${height}" role="img" aria-label="timeline"><g id="ticks"></g>${plot.join('')}</svg></div></div>
${notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}</section>`;
}

function clipLabel(s: string): string {
  return s.length > 42 ? `${s.slice(0, 41)}…` : s;
}

// ---------------------------------------------------------------------------------------------

const ORDER: Record<string, number> = { failed: 0, error: 1, skipped: 3, passed: 4 };

function checks(r: RunResults): string {
  if (!r.checks.length) return '';
  const order = r.checks
    .map((c, i) => ({ c, i }))
    .sort((a, b) => (ORDER[a.c.status] ?? 2) - (ORDER[b.c.status] ?? 2) || a.i - b.i);
  return `<section id="checks"><h2>Checks</h2>${order.map(({ c, i }) => checkItem(r, c, `check-${i}`, false)).join('\n')}</section>`;
}

function scenarios(r: RunResults): string {
  if (!r.scenarios.length) return '';
  const blocks = r.scenarios.map((sc, si) => {
    const faults = sc.faults.map(
      (f, fi) =>
        `<li id="scenario-${si}-fault-${fi}">${esc(`${f.kind}: ${f.description} (${f.mechanism})`)}${f.appliedMs !== undefined ? esc(` from +${formatDuration(f.appliedMs)}`) : ''}${f.healedMs !== undefined ? esc(` to +${formatDuration(f.healedMs)}`) : ''}, healed by ${esc(f.reason)}${f.error ? ` <strong>healing failed: ${esc(f.error)}</strong>` : ''}</li>`,
    );
    return `<details class="scenario" open><summary>${badge(sc.status)} scenario ${esc(sc.name)} <span class="meta">${esc(`${at(sc.source)} · ${formatDuration(sc.durationMs)}`)}</span></summary>${sc.message ? `<p>${esc(sc.message)}</p>` : ''}${sc.steps.map((st, i) => stepItem(sc, st, `scenario-${si}-step-${i}`, false)).join('\n')}${faults.length ? `<p>Faults:</p><ul>${faults.join('')}</ul>` : ''}</details>`;
  });
  return `<section id="scenarios"><h2>Scenarios</h2>${blocks.join('\n')}</section>`;
}

function ms(v: number | undefined): string {
  return v === undefined ? '—' : `+${formatDuration(v)}`;
}

/** The topologies by node: each one's services, what they wait for and the networks they join. */
function topologies(r: RunResults): string {
  if (!r.topologies.length) return '';
  const nodes = [...new Set(r.topologies.map((t) => t.node))];
  const blocks = nodes.map((node) => {
    const tops = r.topologies
      .map((t, ti) => ({ t, ti }))
      .filter(({ t }) => t.node === node)
      .map(({ t, ti }) => {
        const rows = t.services.map(
          (s) =>
            `<tr class="${esc(s.status)}"><td>${esc(s.name)}${s.replicas > 1 ? ` ×${s.replicas}` : ''}</td><td>${badge(s.status)}</td><td>${esc(s.health)}</td><td>${ms(s.startingMs)}</td><td>${ms(s.startedMs)}</td><td>${ms(s.healthyMs)}</td><td>${esc((s.dependsOn ?? []).map((d) => `${d.service} (${d.condition})`).join(', '))}</td><td>${esc((s.networks ?? []).join(', '))}</td></tr>`,
        );
        return `<details id="topology-${ti}" class="topology"${t.status === 'passed' ? '' : ' open'}><summary>${badge(t.status)} ${esc(t.name)} <span class="meta">${esc(`${t.services.length} services · ${at(t.source)}`)}</span></summary><table><thead><tr><th>service</th><th>state</th><th>health</th><th>asked to start</th><th>started</th><th>healthy</th><th>depends on</th><th>networks</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
      });
    return `<h3>node ${esc(node)}</h3>${tops.join('\n')}`;
  });
  return `<section id="topologies"><h2>Topologies</h2>${blocks.join('\n')}</section>`;
}

function logs(r: RunResults): string {
  const entries = Object.entries(r.logs ?? {});
  if (!entries.length) return '';
  return `<section id="logs"><h2>Logs of the services failing checks target</h2>${entries.map(([svc, lines]) => `<details><summary>${esc(svc)} (${lines.length} lines)</summary><pre>${esc(lines.join('\n'))}</pre></details>`).join('\n')}</section>`;
}

function footer(r: RunResults): string {
  const t = r.teardown;
  const text = t.kept
    ? `Kept for inspection: remove it with stackcheck down --run ${r.runId}.`
    : `Teardown removed ${t.containers} containers, ${t.networks} networks, ${t.volumes} volumes.`;
  return `<footer><p>${esc(text)}</p></footer>`;
}

// ---------------------------------------------------------------------------------------------

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;padding:0 16px 40px;max-width:1400px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:16px 0 4px}h2{font-size:18px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:28px}h3{font-size:15px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;vertical-align:middle}
.badge.ok{background:#dafbe1;color:#116329}.badge.bad{background:#ffebe9;color:#a40e26}.badge.skip{background:#eaeef2;color:#57606a}
.item{border:1px solid #d0d7de;border-radius:6px;margin:6px 0;padding:4px 10px}.item.failed,.item.error{border-color:#ff8182}
summary{cursor:pointer}.meta{color:#57606a;font-size:12px}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:420px;white-space:pre-wrap;word-break:break-word}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #d0d7de;padding:2px 6px;text-align:left}
.tl{display:flex;border:1px solid #d0d7de}.labels{flex:none;background:#f6f8fa}.scroll{overflow-x:auto;flex:1}
.labels text{font-size:12px;fill:#1f2328}.labels text.lane{font-weight:700}.labels text.failed{fill:#a40e26;font-weight:600}
.band{fill:#eaeef2}.span{fill:#8c959f}.span.topology{fill:#54aeff}.span.service{fill:#9cd7ff}.span.check,.span.checks{fill:#4ac26b}
.span.step{fill:#bf8700}.span.fault{fill:#fb8f44;opacity:.45}.span.failed{fill:#cf222e}
.mark{fill:#1a7f37;stroke:#fff}.mark.failed{fill:#cf222e}
#ticks line{stroke:#d0d7de}#ticks text{font-size:11px;fill:#57606a}
.note{color:#57606a;font-size:12px}:target{outline:2px solid #0969da}
`;

/**
 * Zoom rescales every span from its times (data-s/data-e, ms) and redraws the axis; a click
 * on a span opens the details it links to.
 */
const SCRIPT = `
(function(){
var plot=document.getElementById('plot');if(!plot)return;
var total=+plot.dataset.total,pad=+plot.dataset.pad,w0=+plot.dataset.plotW,NS='http://www.w3.org/2000/svg';
var steps=[1,2,5,10,20,50,100,200,500,1e3,2e3,5e3,1e4,15e3,3e4,6e4,12e4,3e5,6e5,9e5,18e5,36e5];
function fmt(ms){return ms<1e3?ms+'ms':ms<6e4?(ms/1e3)+'s':Math.floor(ms/6e4)+'m'+(ms%6e4?Math.round(ms%6e4/1e3)+'s':'')}
function layout(z){var k=w0*z/total;plot.setAttribute('width',w0*z+2*pad);plot.dataset.k=k;
plot.querySelectorAll('[data-s]').forEach(function(el){var s=+el.dataset.s;
if(el.tagName==='path')el.setAttribute('transform','translate('+(pad+s*k).toFixed(1)+','+el.dataset.y+')');
else{el.setAttribute('x',(pad+s*k).toFixed(1));el.setAttribute('width',Math.max(2,(+el.dataset.e-s)*k).toFixed(1))}});
var step=steps.find(function(s){return s*k>=90})||36e5,g=document.getElementById('ticks'),h=plot.getAttribute('height');g.textContent='';
for(var t=0;t<=total;t+=step){var x=pad+t*k,l=document.createElementNS(NS,'line');l.setAttribute('x1',x);l.setAttribute('x2',x);l.setAttribute('y1',16);l.setAttribute('y2',h);g.appendChild(l);
if(x+48>w0*z+2*pad)continue;var tx=document.createElementNS(NS,'text');tx.setAttribute('x',x+2);tx.setAttribute('y',12);tx.textContent='+'+fmt(t);g.appendChild(tx)}
document.getElementById('zoomed').textContent='\\u00d7'+z}
var zoom=document.getElementById('zoom');zoom.addEventListener('input',function(){layout(+zoom.value)});
function reveal(){var id=decodeURIComponent(location.hash.slice(1)),el=id&&document.getElementById(id);
for(var p=el;p;p=p.parentElement)if(p.tagName==='DETAILS')p.open=true;if(el)el.scrollIntoView({block:'center'})}
window.addEventListener('hashchange',reveal);layout(1);reveal();
})();
`;
