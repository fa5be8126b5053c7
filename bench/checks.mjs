// How long N http checks across S services take, at several concurrency limits.
// The same suite runs once without checks and once per concurrency with them; the check
// phase is the difference in total time (bring-up and teardown are the same work).
//
//   node bench/checks.mjs [--services 20] [--checks 1000] [--concurrency 16,64]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '20' },
    checks: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16,64' },
  },
});
const services = Number(values.services);
const total = Number(values.checks);
const limits = values.concurrency.split(',').map(Number);
const cli = join(process.cwd(), 'dist/cli.js');
const env = { ...process.env, STACKCHECK_PROBE_IMAGE: 'stackcheck-fixture/busybox:1' };

function suite(withChecks) {
  const names = Array.from({ length: services }, (_, i) => `s${i + 1}`);
  const svc = names
    .map(
      (n) =>
        `      ${n}: { image: stackcheck-fixture/app:1, init: true, ports: ["8080"], environment: { SERVICE_NAME: ${n} }, ` +
        `healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 500ms, retries: 60 } }`,
    )
    .join('\n');
  const checks = withChecks
    ? '\nchecks:\n' +
      Array.from({ length: total }, (_, i) => {
        const n = names[i % services];
        return `  - { name: "c${i}", http: { service: ${n}, port: 8080, path: /health }, expect: { json: { service: ${n} } } }`;
      }).join('\n')
    : '';
  return `version: 1\nname: bench-checks\ntopologies:\n  t:\n    publish: ephemeral\n    wait: { timeout: 5m }\n    services:\n${svc}${checks}\n`;
}

function runOnce(withChecks, concurrency) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-checks-'));
  try {
    writeFileSync(join(dir, 'stackcheck.yml'), suite(withChecks));
    const args = [
      'run',
      'stackcheck.yml',
      '--json',
      'r.json',
      ...(concurrency ? ['--concurrency', String(concurrency)] : []),
    ];
    const t0 = performance.now();
    try {
      execFileSync(process.execPath, [cli, ...args], { cwd: dir, env, stdio: 'pipe' });
    } catch (e) {
      throw new Error(`run failed:\n${e.stderr}`);
    }
    const wallMs = performance.now() - t0;
    const r = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    const passed = r.checks.filter((c) => c.status === 'passed').length;
    return { wallMs, passed, checks: r.checks.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const base = runOnce(false);
const rows = limits.map((c) => ({ concurrency: c, ...runOnce(true, c) }));
const out = [
  `${total} http checks across ${services} services (each: GET /health on the published port, JSON subset expectation)`,
  '',
  '| concurrency | checks passed | suite total (s) | check phase (s) | checks/s |',
  '| ---: | ---: | ---: | ---: | ---: |',
  `| no checks | - | ${(base.wallMs / 1000).toFixed(1)} | - | - |`,
  ...rows.map((r) => {
    const phase = (r.wallMs - base.wallMs) / 1000;
    return `| ${r.concurrency} | ${r.passed}/${r.checks} | ${(r.wallMs / 1000).toFixed(1)} | ${phase.toFixed(1)} | ${(total / phase).toFixed(0)} |`;
  }),
].join('\n');
console.log(out);
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/checks-${new Date().toISOString().slice(0, 10)}.md`, `${out}\n`);
