/**
 * The job summary's suite diagram from a real run: the probes between two compose projects
 * become arrows between their services, coloured by the checks' verdicts.
 */
import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../src/report/summary.js';
import { leftovers, NOTHING } from '../support/engine.js';
import { checksByName, runFiles } from '../support/run.js';

const APP = 'stackcheck-fixture/app:1';
const HEALTH = `healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 30 }`;

describe('the suite diagram of a run', () => {
  it('draws the probes between topologies the checks made, green and red', async () => {
    const { results, suite } = await runFiles({
      'stackcheck.yml': `version: 1
name: {{SUITE}}
topologies:
  front:
    services:
      web: { image: ${APP}, ${HEALTH} }
  back:
    services:
      api: { image: ${APP}, ports: ["8080"], ${HEALTH} }
checks:
  - name: web reaches the api
    http: { from: front/web, service: back/api, port: 8080, path: /health }
    timeout: 30s
  - name: FAIL the api is a teapot to web
    http: { from: front/web, service: back/api, port: 8080, path: /health }
    expect: { status: 418 }
    timeout: 30s
  - name: the api from the runner
    http: { service: back/api, port: 8080, path: /health }
    timeout: 30s
`,
    });
    const checks = checksByName(results);
    expect(checks['web reaches the api']!.status).toBe('passed');
    expect(checks['FAIL the api is a teapot to web']!.status).toBe('failed');
    expect(checks['web reaches the api']!.links).toEqual([
      { from: 'front/web', to: 'back/api', port: 8080 },
    ]);
    expect(checks['the api from the runner']!.links).toBeUndefined();

    const md = renderSummary(results);
    const diagram = md.slice(
      md.indexOf('```mermaid'),
      md.indexOf('```', md.indexOf('```mermaid') + 3),
    );
    expect(diagram).toContain('subgraph g0["front"]');
    expect(diagram).toContain('g0s0["web<br/>healthy');
    expect(diagram).toContain('g1s0["api<br/>healthy');
    // Both checks over the same route are one arrow, red because one of them failed.
    expect(diagram).toContain('g0s0 -->|http :8080| g1s0');
    expect(diagram).toContain('linkStyle 0 stroke:#cf222e');
    expect(md.indexOf('## Checks')).toBeLessThan(md.indexOf('```mermaid'));
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
