import { formatDuration } from '../common/duration.js';
import type { ServiceResult, TopologyResult } from './results.js';

/**
 * A topology as a mermaid flowchart: services (coloured by how they came up, orange when a
 * check on them failed), their networks as hexagons joined by dotted lines, and depends_on
 * as arrows from a service to what it waits for, labelled with the condition.
 */
export function topologyDiagram(
  t: TopologyResult,
  failingServices: Set<string> = new Set(),
): string {
  const lines = [
    'flowchart LR',
    '  classDef up fill:#dafbe1,stroke:#1a7f37,color:#1f2328',
    '  classDef down fill:#ffebe9,stroke:#cf222e,color:#1f2328',
    '  classDef checkfailed fill:#fff1e5,stroke:#bc4c00,color:#1f2328',
    '  classDef notstarted fill:#f6f8fa,stroke:#8c959f,color:#57606a,stroke-dasharray:4 3',
    '  classDef network fill:#ddf4ff,stroke:#0969da,color:#1f2328',
  ];
  const ids = new Map(t.services.map((s, i) => [s.name, `s${i}`]));
  const nets = new Map<string, string>();
  for (const s of t.services) {
    lines.push(
      `  ${ids.get(s.name)}["${label(serviceLabel(s))}"]:::${serviceClass(s, failingServices)}`,
    );
  }
  for (const n of t.networks ?? []) {
    nets.set(n, `n${nets.size}`);
    lines.push(`  ${nets.get(n)}{{"${label(n)}"}}:::network`);
  }
  for (const s of t.services) {
    for (const d of s.dependsOn ?? []) {
      const to = ids.get(d.service);
      if (to) lines.push(`  ${ids.get(s.name)} -->|${label(shortCondition(d.condition))}| ${to}`);
    }
    for (const n of s.networks ?? []) {
      const net = nets.get(n);
      if (net) lines.push(`  ${ids.get(s.name)} -.- ${net}`);
    }
  }
  return lines.join('\n');
}

function serviceLabel(s: ServiceResult): string {
  const replicas = s.replicas > 1 ? ` ×${s.replicas}` : '';
  const ready =
    s.healthyMs !== undefined && s.startedMs !== undefined
      ? ` ${formatDuration(s.healthyMs - s.startedMs)}`
      : '';
  return `${s.name}${replicas}\n${s.status}${ready}`;
}

function serviceClass(s: ServiceResult, failing: Set<string>): string {
  if (s.status === 'failed') return 'down';
  if (s.status === 'cancelled' || s.status === 'pending') return 'notstarted';
  return failing.has(s.name) ? 'checkfailed' : 'up';
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
