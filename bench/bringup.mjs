#!/usr/bin/env node
// Bring-up benchmark: stackcheck vs compose v2 vs plain `docker run` vs bare Engine API calls
// (and docker-compose 1.29 on request), side by side on the same generated compose file. See
// bench/README.md for what is measured and the caveats.
//
//   node bench/bringup.mjs [--n 5,20,50,100] [--n-chained 5,20,50] [--shapes independent,chained] [--reps 1]
//                          [--tools stackcheck,compose-v2,docker-run,engine-api,engine-bound] [--health-interval 1s]
//                          [--keep-tmp] [--out NAME]   (results to bench/results/NAME.{json,md}; default bringup-<date>)
//
// Plain Node ESM, no dependencies beyond the docker and docker-compose CLIs on PATH.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// --cli (or STACKCHECK_BENCH_CLI) times another build, e.g. one made with
// `node scripts/build.mjs /tmp/x` (/tmp/x/dist/cli.js), without touching the repository's dist/.
let CLI = process.env.STACKCHECK_BENCH_CLI ?? path.join(REPO, 'dist', 'cli.js');
/**
 * compose v2 (`docker compose`), what users run now: the binary named by STACKCHECK_COMPOSE_V2
 * (the standalone plugin binary runs as a command of its own), else the docker CLI's plugin.
 */
const COMPOSE_V2 = process.env.STACKCHECK_COMPOSE_V2
  ? { cmd: process.env.STACKCHECK_COMPOSE_V2, pre: [] }
  : { cmd: 'docker', pre: ['compose'] };
const RESULTS_DIR = path.join(REPO, 'bench', 'results');
const IMAGE = 'stackcheck-fixture/busybox:1';
const HEALTH_CMD = 'wget -q -O /dev/null http://localhost:8080/passwd';
const HEALTH = { interval: '1s', timeout: '2s', retries: 30 };
const POLL_MS = 100;
const HEALTH_DEADLINE_MS = 5 * 60_000;
const CMD_TIMEOUT_MS = 8 * 60_000;
const BENCH_LABEL = 'io.stackcheck.bench';
const BENCH_RUN_LABEL = 'io.stackcheck.bench.run';
const ALL_TOOLS = [
  'stackcheck',
  'stackcheck-baseline',
  'compose-v2',
  'docker-compose',
  'docker-run',
  'engine-api',
  'engine-bound',
];
/** --baseline DIR: another build's DIR/cli.js, run as the tool `stackcheck-baseline`. */
let BASELINE_CLI;

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const opts = {
    n: [5, 20, 50, 100],
    // A chain of 100 takes minutes with every tool; its cost per link is what 50 shows.
    nChained: [5, 20, 50],
    shapes: ['independent', 'chained'],
    reps: 1,
    // docker-compose 1.29 (Python, 2021) only on request: users run compose v2.
    tools: ALL_TOOLS.filter((t) => t !== 'docker-compose' && t !== 'stackcheck-baseline'),
    keepTmp: false,
    out: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const list = (v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    if (a === '--n') opts.n = list(value()).map(Number);
    else if (a === '--n-chained') opts.nChained = list(value()).map(Number);
    else if (a === '--shapes') opts.shapes = list(value());
    else if (a === '--reps') opts.reps = Number(value());
    else if (a === '--tools') opts.tools = list(value());
    else if (a === '--keep-tmp') opts.keepTmp = true;
    else if (a === '--out') opts.out = value();
    else if (a === '--cli') CLI = path.resolve(value());
    else if (a === '--baseline') BASELINE_CLI = path.resolve(value(), 'cli.js');
    else if (a === '--health-interval') HEALTH.interval = value();
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  if ([...opts.n, ...opts.nChained].some((n) => !Number.isInteger(n) || n < 1))
    usage('--n and --n-chained take positive integers');
  if (opts.shapes.some((s) => !['independent', 'chained'].includes(s)))
    usage('--shapes takes independent and/or chained');
  if (!Number.isInteger(opts.reps) || opts.reps < 1) usage('--reps takes a positive integer');
  if (opts.out !== undefined && !/^[\w.-]+$/.test(opts.out))
    usage('--out takes a file name without a directory or extension');
  // At 1 s, 100 services' healthchecks are 100 execs a second: more than two CPUs can run,
  // and some services go unhealthy with every tool. Seconds only, as `docker run` takes them.
  if (!/^\d+(\.\d+)?s$/.test(HEALTH.interval))
    usage('--health-interval takes seconds, like 1s or 2.5s');
  if (opts.tools.some((t) => !ALL_TOOLS.includes(t)))
    usage(`--tools takes some of ${ALL_TOOLS.join(',')}`);
  if (BASELINE_CLI && !opts.tools.includes('stackcheck-baseline'))
    opts.tools.splice(1, 0, 'stackcheck-baseline');
  if (!BASELINE_CLI && opts.tools.includes('stackcheck-baseline'))
    usage('the tool stackcheck-baseline needs --baseline DIR (a build whose DIR/cli.js it runs)');
  return opts;
}

function usage(problem) {
  const text =
    'usage: node bench/bringup.mjs [--n 5,20,50,100] [--n-chained 5,20,50] [--shapes independent,chained] [--reps 1]\n' +
    '                              [--tools stackcheck,compose-v2,docker-run,engine-api,engine-bound,docker-compose] [--health-interval 1s] [--keep-tmp] [--out NAME] [--cli DIST/cli.js] [--baseline DIR]';
  if (problem) {
    process.stderr.write(`bringup: ${problem}\n${text}\n`);
    process.exit(2);
  }
  process.stdout.write(`${text}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Processes

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (s) => process.stderr.write(`${s}\n`);

class BenchError extends Error {}

/**
 * Runs a command to completion. Resolves with its exit code, output, wall time and the
 * stderr lines each stamped with the time (performance.now()) at which they arrived.
 */
function exec(cmd, args, { cwd = REPO, timeoutMs = CMD_TIMEOUT_MS, env } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(cmd, args, {
      cwd,
      env: env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const lines = [];
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => {
      const t = now();
      stderr += d;
      const parts = (partial + d).split('\n');
      partial = parts.pop();
      for (const line of parts) lines.push({ t, line });
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const t1 = now();
      if (partial) lines.push({ t: t1, line: partial });
      resolve({ code, signal, stdout, stderr, lines, t0, t1, ms: t1 - t0 });
    });
  });
}

/** exec, failing loudly on a non-zero exit. */
async function must(cmd, args, opts) {
  const r = await exec(cmd, args, opts);
  if (r.code !== 0) {
    throw new BenchError(
      `${cmd} ${args.join(' ')} exited ${r.code ?? r.signal}\n${r.stderr.trim()}\n${r.stdout.trim()}`,
    );
  }
  return r;
}

const idsOf = (out) =>
  out
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);

// ---------------------------------------------------------------------------------------------
// Generated inputs

function composeYaml(shape, n) {
  const lines = ['services:'];
  for (let i = 1; i <= n; i++) {
    lines.push(
      `  s${i}:`,
      `    image: ${IMAGE}`,
      '    command: [httpd, -f, -p, "8080", -h, /etc]',
      '    init: true',
      '    healthcheck:',
      `      test: [CMD-SHELL, "${HEALTH_CMD}"]`,
      `      interval: ${HEALTH.interval}`,
      `      timeout: ${HEALTH.timeout}`,
      `      retries: ${HEALTH.retries}`,
    );
    if (shape === 'chained' && i > 1) {
      lines.push('    depends_on:', `      s${i - 1}:`, '        condition: service_healthy');
    }
  }
  return `${lines.join('\n')}\n`;
}

function manifestYaml(shape, n) {
  return (
    `version: 1\nname: bench-${shape}-${n}\ntopologies:\n  bench:\n` +
    `    compose: compose.yml\n    wait: { timeout: 5m }\n`
  );
}

// ---------------------------------------------------------------------------------------------
// Health polling (docker-compose and docker-run columns)

const INSPECT_FORMAT =
  '{{.Id}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}';

/**
 * Polls `docker inspect` of the given containers every POLL_MS until all are healthy; returns
 * the time (performance.now()) at which the poll that saw them all healthy returned. Fails
 * loudly on an unhealthy or exited container, or after HEALTH_DEADLINE_MS.
 */
async function pollHealthy(ids, what) {
  const deadline = now() + HEALTH_DEADLINE_MS;
  let polls = 0;
  for (;;) {
    const r = await must('docker', ['inspect', '--format', INSPECT_FORMAT, ...ids]);
    polls++;
    const t = now();
    const states = idsOf(r.stdout).map((l) => l.split(' '));
    const bad = states.find(([, status, health]) => status !== 'running' || health === 'unhealthy');
    if (bad)
      throw new BenchError(`${what}: container ${bad[0].slice(0, 12)} is ${bad[1]}/${bad[2]}`);
    if (states.length === ids.length && states.every(([, , health]) => health === 'healthy'))
      return { t, polls };
    if (t > deadline)
      throw new BenchError(`${what}: not all healthy after ${HEALTH_DEADLINE_MS} ms`);
    await sleep(POLL_MS);
  }
}

// ---------------------------------------------------------------------------------------------
// Engine-side times: the engine's own `start` and `health_status: healthy` events for the tool's
// containers, the same for every tool, so a tool's detection latency can be told apart from
// the time the engine took.

function watchEngineEvents(labelFilter) {
  // --since replays what happened between the spawn and the subscription; nothing is missed.
  const since = ((performance.timeOrigin + now()) / 1000 - 0.05).toFixed(3);
  const child = spawn(
    'docker',
    [
      'events',
      '--since',
      since,
      '--format',
      '{{json .}}',
      '--filter',
      'type=container',
      '--filter',
      'event=start',
      '--filter',
      'event=health_status',
      '--filter',
      `label=${labelFilter}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let buf = '';
  const events = [];
  child.stdout.setEncoding('utf8').on('data', (d) => {
    const parts = (buf + d).split('\n');
    buf = parts.pop();
    for (const l of parts) {
      try {
        const e = JSON.parse(l);
        events.push({
          id: e.id,
          action: e.Action ?? e.status,
          epochMs: Number(BigInt(e.timeNano) / 1000n) / 1000,
        });
      } catch {
        // not an event line (docker events prints nothing else with --format)
      }
    }
  });
  const closed = new Promise((r) => child.on('close', r));
  return {
    /** Engine times in ms from the tool's t0 (a performance.now() value). */
    async stop(t0, n) {
      await sleep(300); // let the stream deliver what the engine already sent
      child.kill('SIGTERM');
      await closed;
      const t0Epoch = performance.timeOrigin + t0;
      const first = (action) => {
        const m = new Map();
        for (const e of events)
          if (e.action === action && !m.has(e.id)) m.set(e.id, e.epochMs - t0Epoch);
        return m;
      };
      const started = first('start');
      const healthy = first('health_status: healthy');
      const max = (m) => (m.size === n ? Math.round(Math.max(...m.values())) : undefined);
      return {
        engineStartedMs: max(started),
        engineHealthyMs: max(healthy),
        engineEvents: { started: started.size, healthy: healthy.size },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Leftover checks

async function leftovers(filters) {
  const args = filters.flatMap((f) => ['--filter', `label=${f}`]);
  const [c, n, v] = await Promise.all([
    must('docker', ['ps', '-aq', ...args]),
    must('docker', ['network', 'ls', '-q', ...args]),
    must('docker', ['volume', 'ls', '-q', ...args]),
  ]);
  return { containers: idsOf(c.stdout), networks: idsOf(n.stdout), volumes: idsOf(v.stdout) };
}

async function assertClean(filters, what) {
  const left = await leftovers(filters);
  const count = left.containers.length + left.networks.length + left.volumes.length;
  if (count > 0) {
    throw new BenchError(
      `${what} left resources behind (label ${filters.join(', ')}): ` +
        `${left.containers.length} containers, ${left.networks.length} networks, ${left.volumes.length} volumes`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The tools. Each returns times in ms from its own t0 (the moment its first command was
// spawned): startedMs (created+started), healthyMs (all healthy), downMs (a duration), totalMs.

const SERVICE_LINE = /^\s*(\d+ms|\d+\.\d+s|\d+m\d+s)\s+(\S+)\/(\S+)\s+(\w+)/;

function parseAt(text) {
  let m;
  if ((m = /^(\d+)ms$/.exec(text))) return Number(m[1]);
  if ((m = /^(\d+\.\d+)s$/.exec(text))) return Number(m[1]) * 1000;
  if ((m = /^(\d+)m(\d+)s$/.exec(text))) return Number(m[1]) * 60_000 + Number(m[2]) * 1000;
  return undefined;
}

async function runStackcheck(c, cli = CLI) {
  const json = path.join(c.dir, 'stackcheck-results.json');
  const r = await exec('node', [cli, 'run', path.join(c.dir, 'stackcheck.yml'), '--json', json], {
    cwd: c.dir,
  });
  writeFileSync(path.join(c.dir, 'stackcheck.stderr'), r.stderr);
  if (!existsSync(json))
    throw new BenchError(`stackcheck wrote no results JSON (exit ${r.code})\n${r.stderr}`);
  const res = JSON.parse(readFileSync(json, 'utf8'));
  if (r.code !== 0 || res.status !== 'passed') {
    throw new BenchError(`stackcheck run ${res.status} (exit ${r.code})\n${r.stderr.trim()}`);
  }
  const services = res.topologies.flatMap((t) => t.services);
  if (services.length !== c.n)
    throw new BenchError(`stackcheck reported ${services.length} services, expected ${c.n}`);
  if (res.teardown.kept || res.teardown.errors.length)
    throw new BenchError(`stackcheck teardown: ${JSON.stringify(res.teardown)}`);
  const maxStarted = Math.max(...services.map((s) => s.startedMs));
  const maxHealthy = Math.max(...services.map((s) => s.healthyMs));

  // The JSON counts from the run's start inside the process (after node has loaded the CLI and
  // the manifest). Its stderr lines carry the same clock; the ones under 1 s have ms resolution,
  // so (arrival time - printed time) of those bounds the process-start → run-start offset.
  const progress = [];
  let offset = Infinity;
  let removedAt;
  for (const { t, line } of r.lines) {
    const m = SERVICE_LINE.exec(line);
    if (m) {
      const at = parseAt(m[1]);
      progress.push({ arrivedMs: Math.round(t - r.t0), atMs: at, service: m[3], phase: m[4] });
      if (at !== undefined && at < 1000) offset = Math.min(offset, t - r.t0 - at);
    } else if (/^removed \d+ containers/.test(line)) removedAt = t - r.t0;
  }
  const offsetSource = Number.isFinite(offset) ? 'stderr' : 'wall-minus-duration';
  if (!Number.isFinite(offset)) offset = r.ms - res.durationMs;
  offset = Math.max(0, offset);

  const startedMs = offset + maxStarted;
  const healthyMs = offset + maxHealthy;
  return {
    t0: r.t0,
    startedMs,
    healthyMs,
    downMs: r.ms - healthyMs,
    totalMs: r.ms,
    detail: {
      runId: res.runId,
      wallMs: Math.round(r.ms),
      durationMs: res.durationMs,
      json: { maxStartedMs: maxStarted, maxHealthyMs: maxHealthy },
      processStartToRunStartMs: Math.round(offset),
      offsetSource,
      // Arrival of "removed N containers…": teardown done; what follows is reporting and exit.
      teardownDoneMs: removedAt === undefined ? undefined : Math.round(removedAt),
      teardownMs: removedAt === undefined ? undefined : Math.round(removedAt - healthyMs),
      afterTeardownMs: removedAt === undefined ? undefined : Math.round(r.ms - removedAt),
      teardown: res.teardown,
      // Each service's own readiness: from the engine being asked to start it to its
      // healthcheck passing, as stackcheck saw it. What a chain adds beyond their sum is the
      // wait between one link being healthy and the next being asked to start.
      sumReadinessMs: services.reduce((a, s) => a + (s.healthyMs - s.startingMs), 0),
      // Of which the engine's start calls (asked → started).
      sumEngineStartMs: services.reduce((a, s) => a + (s.startedMs - s.startingMs), 0),
      healthSources: services.reduce(
        (a, s) => ({ ...a, [s.healthSource ?? 'none']: (a[s.healthSource ?? 'none'] ?? 0) + 1 }),
        {},
      ),
      services: services.map((s) => ({
        name: s.name,
        startingMs: s.startingMs,
        startedMs: s.startedMs,
        healthyMs: s.healthyMs,
        healthSource: s.healthSource,
      })),
      firstProgress: progress.slice(0, 3),
    },
    verify: () => assertClean([`io.stackcheck.run=${res.runId}`], `stackcheck run ${res.runId}`),
    cleanup: () => exec('node', [cli, 'down', '--run', res.runId], { cwd: c.dir }),
  };
}

async function runCompose(c) {
  const project = c.tag;
  const base = ['-p', project, '-f', path.join(c.dir, 'compose.yml')];
  const cleanup = () =>
    exec('docker-compose', [...base, 'down', '-v', '--timeout', '10'], { cwd: c.dir });
  const detail = { project };
  const result = {
    verify: () =>
      assertClean([`com.docker.compose.project=${project}`], `docker-compose project ${project}`),
    cleanup,
    detail,
  };
  try {
    const up = await must('docker-compose', [...base, 'up', '-d'], { cwd: c.dir });
    const t0 = up.t0;
    result.t0 = t0;
    result.startedMs = up.t1 - t0;
    detail.upMs = Math.round(up.ms);
    const ps = await must('docker', [
      'ps',
      '-q',
      '--no-trunc',
      '--filter',
      `label=com.docker.compose.project=${project}`,
    ]);
    const ids = idsOf(ps.stdout);
    if (ids.length !== c.n)
      throw new BenchError(`docker-compose: ${ids.length} containers running, expected ${c.n}`);
    const healthy = await pollHealthy(ids, `docker-compose ${project}`);
    result.healthyMs = healthy.t - t0;
    detail.polls = healthy.polls;
    const down = await must('docker-compose', [...base, 'down', '-v'], { cwd: c.dir });
    result.downMs = down.ms;
    result.totalMs = down.t1 - t0;
    return result;
  } catch (e) {
    e.cleanup = cleanup;
    throw e;
  }
}

/**
 * compose v2 as users run it: `up -d --wait` (returns once every service is running and healthy,
 * polling the engine itself), then `down -v`. It reports no "created+started" of its own: the
 * engine's last `start` event stands for it.
 */
async function runComposeV2(c) {
  const project = c.tag;
  const base = [...COMPOSE_V2.pre, '-p', project, '-f', path.join(c.dir, 'compose.yml')];
  const cleanup = () =>
    exec(COMPOSE_V2.cmd, [...base, 'down', '-v', '--timeout', '10'], { cwd: c.dir });
  const detail = { project };
  const result = {
    verify: () =>
      assertClean([`com.docker.compose.project=${project}`], `compose v2 project ${project}`),
    cleanup,
    detail,
  };
  try {
    const up = await must(COMPOSE_V2.cmd, [...base, 'up', '-d', '--wait'], { cwd: c.dir });
    const t0 = up.t0;
    result.t0 = t0;
    result.healthyMs = up.t1 - t0;
    detail.upMs = Math.round(up.ms);
    const down = await must(COMPOSE_V2.cmd, [...base, 'down', '-v'], { cwd: c.dir });
    result.downMs = down.ms;
    result.totalMs = down.t1 - t0;
    return result;
  } catch (e) {
    e.cleanup = cleanup;
    throw e;
  }
}

/** Removes what a docker-run or engine-api run left, by its run label. */
async function removeBenchRun(tag) {
  const left = await leftovers([`${BENCH_RUN_LABEL}=${tag}`]);
  if (left.containers.length) await exec('docker', ['rm', '-f', ...left.containers]);
  for (const n of left.networks) await exec('docker', ['network', 'rm', n]);
}

async function runDockerRun(c) {
  const tag = c.tag;
  const labels = ['--label', `${BENCH_LABEL}=1`, '--label', `${BENCH_RUN_LABEL}=${tag}`];
  const cleanup = () => removeBenchRun(tag);
  const detail = { tag };
  const result = {
    verify: async () => {
      await assertClean([`${BENCH_RUN_LABEL}=${tag}`], `docker run ${tag}`);
      await assertClean([`${BENCH_LABEL}=1`], 'docker run (any bench run)');
    },
    cleanup,
    detail,
  };
  const runArgs = (i) => [
    'run',
    '-d',
    '--init',
    '--name',
    `${tag}-s${i}`,
    '--network',
    tag,
    '--network-alias',
    `s${i}`,
    ...labels,
    '--health-cmd',
    HEALTH_CMD,
    '--health-interval',
    HEALTH.interval,
    '--health-timeout',
    HEALTH.timeout,
    '--health-retries',
    String(HEALTH.retries),
    IMAGE,
    'httpd',
    '-f',
    '-p',
    '8080',
    '-h',
    '/etc',
  ];
  try {
    const net = await must('docker', ['network', 'create', ...labels, tag]);
    const t0 = net.t0;
    result.t0 = t0;
    const ids = [];
    if (c.shape === 'independent') {
      const runs = await Promise.all(
        Array.from({ length: c.n }, (_, k) => must('docker', runArgs(k + 1))),
      );
      result.startedMs = Math.max(...runs.map((r) => r.t1)) - t0;
      ids.push(...runs.map((r) => r.stdout.trim()));
      const healthy = await pollHealthy(ids, `docker run ${tag}`);
      result.healthyMs = healthy.t - t0;
      detail.polls = healthy.polls;
    } else {
      let polls = 0;
      let last;
      for (let i = 1; i <= c.n; i++) {
        const r = await must('docker', runArgs(i));
        result.startedMs = r.t1 - t0;
        ids.push(r.stdout.trim());
        last = await pollHealthy([ids.at(-1)], `docker run ${tag} s${i}`);
        polls += last.polls;
      }
      result.healthyMs = last.t - t0;
      detail.polls = polls;
    }
    const rm = await must('docker', ['rm', '-f', ...ids]);
    const netRm = await must('docker', ['network', 'rm', tag]);
    result.downMs = netRm.t1 - rm.t0;
    result.totalMs = netRm.t1 - t0;
    return result;
  } catch (e) {
    e.cleanup = cleanup;
    throw e;
  }
}

/** One Engine API call over the local socket: what every client's requests come down to. */
function engineCall(method, path, body) {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (!host.startsWith('unix://'))
    throw new BenchError(`engine-api talks to a local socket only; DOCKER_HOST is ${host}`);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: host.slice('unix://'.length),
        method,
        path,
        agent: ENGINE_AGENT,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d) => (text += d));
        res.on('end', () =>
          res.statusCode >= 300
            ? reject(new BenchError(`${method} ${path}: ${res.statusCode} ${text.trim()}`))
            : resolve(text ? JSON.parse(text) : undefined),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
const ENGINE_AGENT = new http.Agent({ keepAlive: true, maxSockets: 256 });

/**
 * The floor under every client: the same containers (as `docker run` makes them) through bare
 * Engine API calls on kept-alive connections, all creates at once, then all starts at once
 * (one after another's health for `chained`), the same 100 ms polling, then forced removal.
 */
async function runEngineApi(c, { waitHealthy = true } = {}) {
  const tag = c.tag;
  const Labels = { [BENCH_LABEL]: '1', [BENCH_RUN_LABEL]: tag };
  const cleanup = () => removeBenchRun(tag);
  const detail = { tag };
  const result = {
    verify: () => assertClean([`${BENCH_RUN_LABEL}=${tag}`], `engine api ${tag}`),
    cleanup,
    detail,
  };
  const nanos = (d) => Number(d.replace('s', '')) * 1e9;
  const spec = (i) => ({
    Image: IMAGE,
    Cmd: ['httpd', '-f', '-p', '8080', '-h', '/etc'],
    Labels,
    Healthcheck: {
      Test: ['CMD-SHELL', HEALTH_CMD],
      Interval: nanos(HEALTH.interval),
      Timeout: nanos(HEALTH.timeout),
      Retries: HEALTH.retries,
    },
    HostConfig: { Init: true, NetworkMode: tag },
    NetworkingConfig: { EndpointsConfig: { [tag]: { Aliases: [`s${i}`] } } },
  });
  const healthy = async (ids) => {
    const deadline = now() + HEALTH_DEADLINE_MS;
    for (let polls = 1; ; polls++) {
      const states = await Promise.all(
        ids.map((id) => engineCall('GET', `/containers/${id}/json`)),
      );
      const t = now();
      const bad = states.find((s) => !s.State.Running || s.State.Health?.Status === 'unhealthy');
      if (bad) throw new BenchError(`engine api ${tag}: ${bad.Name} is ${bad.State.Status}`);
      if (states.every((s) => s.State.Health?.Status === 'healthy')) return { t, polls };
      if (t > deadline) throw new BenchError(`engine api ${tag}: not all healthy in time`);
      await sleep(POLL_MS);
    }
  };
  try {
    const t0 = now();
    result.t0 = t0;
    await engineCall('POST', '/networks/create', { Name: tag, Labels });
    const ids = await Promise.all(
      Array.from({ length: c.n }, (_, k) =>
        engineCall('POST', `/containers/create?name=${tag}-s${k + 1}`, spec(k + 1)).then(
          (r) => r.Id,
        ),
      ),
    );
    let last;
    if (c.shape === 'independent') {
      await Promise.all(ids.map((id) => engineCall('POST', `/containers/${id}/start`)));
      result.startedMs = now() - t0;
      last = waitHealthy ? await healthy(ids) : { t: now(), polls: 0 };
      detail.polls = last.polls;
    } else {
      detail.polls = 0;
      for (const id of ids) {
        await engineCall('POST', `/containers/${id}/start`);
        result.startedMs = now() - t0;
        last = await healthy([id]);
        detail.polls += last.polls;
      }
    }
    if (waitHealthy) result.healthyMs = last.t - t0;
    await Promise.all(ids.map((id) => engineCall('DELETE', `/containers/${id}?force=true`)));
    await engineCall('DELETE', `/networks/${tag}`);
    result.downMs = now() - last.t;
    result.totalMs = now() - t0;
    return result;
  } catch (e) {
    e.cleanup = cleanup;
    throw e;
  }
}

const RUNNERS = {
  stackcheck: (c) => runStackcheck(c),
  'stackcheck-baseline': (c) => runStackcheck(c, BASELINE_CLI),
  'compose-v2': runComposeV2,
  'docker-compose': runCompose,
  'docker-run': runDockerRun,
  'engine-api': (c) => runEngineApi(c),
  // What no tool can beat: the engine's own creates, starts and removals, nothing waited for.
  'engine-bound': (c) => runEngineApi(c, { waitHealthy: false }),
};

// ---------------------------------------------------------------------------------------------
// Report

const sec = (ms) => (ms === undefined || ms === null ? '–' : (ms / 1000).toFixed(2));
const ratio = (a, b) => (a === undefined || b === undefined || b <= 0 ? '–' : (a / b).toFixed(2));

function median(xs) {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  if (!s.length) return undefined;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function markdown(runs, meta) {
  // One row per (shape, N, tool): the median over reps (a single run when --reps 1).
  const keys = [];
  const groups = new Map();
  for (const r of runs) {
    const k = `${r.shape}|${r.n}|${r.tool}`;
    if (!groups.has(k)) {
      groups.set(k, []);
      keys.push(k);
    }
    groups.get(k).push(r);
  }
  const med = (k, f) => median((groups.get(k) ?? []).map((r) => r[f]));
  const order = (a, b) => {
    const [sa, na, ta] = a.split('|');
    const [sb, nb, tb] = b.split('|');
    return (
      meta.shapes.indexOf(sa) - meta.shapes.indexOf(sb) ||
      Number(na) - Number(nb) ||
      ALL_TOOLS.indexOf(ta) - ALL_TOOLS.indexOf(tb)
    );
  };
  const sorted = [...keys].sort(order);
  const out = [];
  const repsNote = meta.reps > 1 ? ` (median of ${meta.reps} reps)` : '';
  out.push(`## Bring-up times${repsNote}`, '');
  out.push(
    'Times in seconds. "created+started" and "all healthy" count from the moment the tool was',
  );
  out.push(
    'launched; "down" is the teardown duration after the last service became healthy; "total" is',
  );
  out.push('launch to fully removed.', '');
  out.push(
    '| shape | N | tool | created+started (s) | all healthy (s) | down (s) | total (s) | load before |',
  );
  out.push('|---|---:|---|---:|---:|---:|---:|---:|');
  for (const k of sorted) {
    const [shape, n, tool] = k.split('|');
    out.push(
      `| ${shape} | ${n} | ${tool} | ${sec(med(k, 'startedMs'))} | ${sec(med(k, 'healthyMs'))} | ${sec(med(k, 'downMs'))} | ${sec(med(k, 'totalMs'))} | ${med(k, 'loadavg1Before')?.toFixed(1) ?? '–'} |`,
    );
  }
  // compose v2 is what users run; 1.29 only where it is the one measured.
  const composeOf = (cse) =>
    groups.has(`${cse}|compose-v2`)
      ? 'compose-v2'
      : groups.has(`${cse}|docker-compose`)
        ? 'docker-compose'
        : undefined;
  const cases = [...new Set(sorted.map((k) => k.split('|').slice(0, 2).join('|')))];
  for (const [title, other] of [
    ['compose (v2 where measured, else docker-compose 1.29)', composeOf],
    ['the bare Engine API (the floor)', () => 'engine-api'],
  ]) {
    out.push('', `## Ratio stackcheck / ${title} (below 1: stackcheck faster)`, '');
    out.push('| shape | N | against | created+started | all healthy | down | total |');
    out.push('|---|---:|---|---:|---:|---:|---:|');
    for (const cse of cases) {
      const sc = `${cse}|stackcheck`;
      const tool = other(cse);
      const dc = `${cse}|${tool}`;
      if (!tool || !groups.has(sc) || !groups.has(dc)) continue;
      const [shape, n] = cse.split('|');
      const cells = ['startedMs', 'healthyMs', 'downMs', 'totalMs'].map((f) =>
        ratio(med(sc, f), med(dc, f)),
      );
      out.push(`| ${shape} | ${n} | ${tool} | ${cells.join(' | ')} |`);
    }
  }
  out.push('', '## Engine-side times and detection latency', '');
  out.push(
    "From the engine's own `start` and `health_status: healthy` events for the tool's containers",
  );
  out.push(
    '(`docker events`), on the same clock: "engine all healthy" is when the engine marked the last',
  );
  out.push(
    'container healthy; "noticed after" is how much later the tool (or, for docker-compose and',
  );
  out.push("docker-run, the bench's 100 ms `docker inspect` polling) reported it.", '');
  out.push(
    '| shape | N | tool | engine last start (s) | engine all healthy (s) | noticed after (s) |',
  );
  out.push('|---|---:|---|---:|---:|---:|');
  for (const k of sorted) {
    const [shape, n, tool] = k.split('|');
    const eh = med(k, 'engineHealthyMs');
    const h = med(k, 'healthyMs');
    const lag = eh === undefined || h === undefined ? undefined : h - eh;
    out.push(
      `| ${shape} | ${n} | ${tool} | ${sec(med(k, 'engineStartedMs'))} | ${sec(eh)} | ${sec(lag)} |`,
    );
  }
  out.push('', '## Against the targets (issue #23 on the current engine; chains from #11)', '');
  out.push('| target | case | measured | met |');
  out.push('|---|---|---:|:---:|');
  const target = (what, cse, value, ok) =>
    value !== undefined && out.push(`| ${what} | ${cse} | ${value} | ${ok ? 'yes' : 'no'} |`);
  for (const cse of cases) {
    const [shape, n] = cse.split('|');
    const total = med(`${cse}|stackcheck`, 'totalMs');
    const started = med(`${cse}|stackcheck`, 'startedMs');
    const v2 = med(`${cse}|compose-v2`, 'totalMs');
    const v1 = med(`${cse}|docker-compose`, 'totalMs');
    const vsApi = med(`${cse}|engine-api`, 'totalMs');
    const apiStarted = med(`${cse}|engine-api`, 'startedMs');
    if (total === undefined) continue;
    if (v2 !== undefined)
      target('total ÷ compose v2 ≤ 0.6', cse, ratio(total, v2), total <= v2 * 0.6);
    const bound = med(`${cse}|engine-bound`, 'totalMs');
    if (v2 !== undefined && bound !== undefined)
      target(
        'reachable at all: the engine alone (engine-bound) ÷ compose v2 ≤ 0.6',
        cse,
        ratio(bound, v2),
        bound <= v2 * 0.6,
      );
    if (v1 !== undefined)
      target('total ÷ docker-compose 1.29 ≤ 0.5', cse, ratio(total, v1), total <= v1 / 2);
    if (vsApi !== undefined)
      target('total ÷ engine API ≤ 1.1', cse, ratio(total, vsApi), total <= vsApi * 1.1);
    if (apiStarted !== undefined && started !== undefined && shape === 'independent')
      target(
        'created+started ÷ engine API ≤ 1.1',
        cse,
        ratio(started, apiStarted),
        started <= apiStarted * 1.1,
      );
    if (shape === 'independent' && Number(n) === 100)
      target('100 services < 30 s', cse, `${sec(total)} s`, total < 30_000);
    if (shape === 'chained') {
      const rows = groups.get(`${cse}|stackcheck`);
      const chain = median(
        rows.map((r) => r.detail.json.maxHealthyMs - r.detail.services[0].startingMs),
      );
      const own = median(rows.map((r) => r.detail.sumReadinessMs));
      target(
        'chain (first asked to start → last healthy) ÷ Σ own readiness ≤ 1.1',
        cse,
        ratio(chain, own),
        chain <= own * 1.1,
      );
    }
  }
  const sc = runs.filter((r) => r.tool.startsWith('stackcheck'));
  if (sc.length) {
    out.push('', '## stackcheck detail', '');
    out.push(
      '| shape | N | tool | process start → run start (s) | teardown (s) | after teardown (s) | JSON durationMs (s) | Σ own readiness (s) | of which engine starts (s) | healthy by |',
    );
    out.push('|---|---:|---|---:|---:|---:|---:|---:|---:|---|');
    for (const r of sc) {
      const d = r.detail;
      out.push(
        `| ${r.shape} | ${r.n} | ${r.tool} | ${sec(d.processStartToRunStartMs)} | ${sec(d.teardownMs)} | ${sec(d.afterTeardownMs)} | ${sec(d.durationMs)} | ${sec(d.sumReadinessMs)} | ${sec(d.sumEngineStartMs)} | ${Object.entries(
          d.healthSources ?? {},
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')} |`,
      );
    }
  }
  out.push('', '## Environment', '');
  for (const [k, v] of Object.entries(meta.env)) out.push(`- ${k}: ${v}`);
  out.push(`- bench wall time: ${(meta.benchMs / 1000).toFixed(1)} s`);
  if (meta.error) out.push('', `**The run failed:** ${meta.error}`);
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Main

function cmdOut(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0
    ? r.stdout.trim()
    : `unavailable (${(r.stderr || r.error?.message || '').trim().split('\n')[0]})`;
}

function environment() {
  let cliHash = 'missing';
  try {
    // The entries load chunks beside them: the hash covers all of dist/.
    const hash = createHash('sha256');
    for (const f of readdirSync(path.dirname(CLI)).sort())
      hash.update(f).update(readFileSync(path.join(path.dirname(CLI), f)));
    cliHash = hash.digest('hex').slice(0, 16);
  } catch {
    // reported as missing
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    docker: cmdOut('docker', [
      'version',
      '--format',
      '{{.Server.Version}} (engine), {{.Client.Version}} (cli)',
    ]),
    'docker-compose': cmdOut('docker-compose', ['version', '--short']),
    'compose v2': cmdOut(COMPOSE_V2.cmd, [...COMPOSE_V2.pre, 'version', '--short']),
    'engine API': cmdOut('docker', ['version', '--format', '{{.Server.APIVersion}}']),
    DOCKER_HOST: process.env.DOCKER_HOST ?? '(unset: the local socket)',
    stackcheck: `${cmdOut('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'])} (working tree may differ), dist/ sha256 ${cliHash}`,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    'health check': `${HEALTH_CMD}; interval ${HEALTH.interval}, timeout ${HEALTH.timeout}, retries ${HEALTH.retries}`,
    'poll interval (compose, docker run)': `${POLL_MS} ms`,
  };
}

async function preflight(opts) {
  if (!existsSync(CLI))
    throw new BenchError(`${CLI} is missing: run \`node scripts/build.mjs\` first`);
  await must('docker', ['version', '--format', '{{.Server.Version}}']);
  const img = await exec('docker', ['image', 'inspect', '--format', '{{.Id}}', IMAGE]);
  if (img.code !== 0)
    throw new BenchError(`image ${IMAGE} is missing: run scripts/build-fixture-images.sh`);
  if (opts.tools.includes('docker-compose')) await must('docker-compose', ['version', '--short']);
  if (opts.tools.includes('compose-v2')) {
    const v = await exec(COMPOSE_V2.cmd, [...COMPOSE_V2.pre, 'version', '--short']).catch((e) => ({
      code: 1,
      stderr: e.message,
    }));
    if (v.code !== 0)
      throw new BenchError(
        `compose v2 is missing (${COMPOSE_V2.cmd} ${[...COMPOSE_V2.pre, 'version'].join(' ')}: ${v.stderr.trim().split('\n')[0]}). ` +
          'Set STACKCHECK_COMPOSE_V2 to its binary (scripts/second-engine.sh unpacks one from the distribution), ' +
          'install the docker compose plugin, or leave it out with --tools.',
      );
  }
  // A leftover from an earlier, interrupted bench would be counted as this run's.
  await assertClean([`${BENCH_LABEL}=1`], 'an earlier bench run');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const benchStart = now();
  await preflight(opts);
  const env = environment();
  const stamp = env.date.slice(0, 10);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const base = opts.out ?? `bringup-${stamp}`;
  const jsonFile = path.join(RESULTS_DIR, `${base}.json`);
  const mdFile = path.join(RESULTS_DIR, `${base}.md`);

  const runs = [];
  const meta = {
    shapes: opts.shapes,
    ns: opts.n,
    nsChained: opts.nChained,
    reps: opts.reps,
    tools: opts.tools,
    env,
  };
  const save = () => {
    meta.benchMs = now() - benchStart;
    writeFileSync(jsonFile, `${JSON.stringify({ meta, runs }, null, 2)}\n`);
    const md = markdown(runs, meta);
    writeFileSync(mdFile, md);
    return md;
  };

  let k = 0;
  const tmpDirs = [];
  try {
    for (let rep = 1; rep <= opts.reps; rep++) {
      for (const shape of opts.shapes) {
        for (const n of shape === 'chained' ? opts.nChained : opts.n) {
          const dir = mkdtempSync(path.join(os.tmpdir(), `stackcheck-bench-${shape}-${n}-`));
          tmpDirs.push(dir);
          writeFileSync(path.join(dir, 'compose.yml'), composeYaml(shape, n));
          writeFileSync(path.join(dir, 'stackcheck.yml'), manifestYaml(shape, n));
          // Interleave: rotate the tools' order from one case to the next.
          const tools = opts.tools.map((_, i) => opts.tools[(i + k) % opts.tools.length]);
          k++;
          for (const tool of tools) {
            // Without waiting for health, a chain is just N independent starts.
            if (tool === 'engine-bound' && shape === 'chained') continue;
            const others = idsOf((await must('docker', ['ps', '-q'])).stdout).length;
            const loadBefore = os.loadavg()[0];
            log(
              `[${((now() - benchStart) / 1000).toFixed(0).padStart(4)}s] ${shape} N=${n} rep ${rep}: ${tool}…`,
            );
            const tag = `scbench-${shape.slice(0, 3)}-${n}-${randomBytes(3).toString('hex')}`;
            const c = { shape, n, dir, rep, tag };
            const watch = watchEngineEvents(
              tool.startsWith('stackcheck')
                ? `io.stackcheck.suite=bench-${shape}-${n}`
                : tool === 'docker-compose' || tool === 'compose-v2'
                  ? `com.docker.compose.project=${tag}`
                  : `${BENCH_RUN_LABEL}=${tag}`,
            );
            let r;
            let engine;
            try {
              r = await RUNNERS[tool](c);
              engine = await watch.stop(r.t0, n);
              await r.verify();
            } catch (e) {
              if (!engine) await watch.stop(now(), n).catch(() => undefined);
              if (e.cleanup) await e.cleanup().catch(() => undefined);
              else if (r?.cleanup) await r.cleanup().catch(() => undefined);
              throw e;
            }
            const row = {
              shape,
              n,
              rep,
              tool,
              // compose v2's `up --wait` has no "started" moment of its own: the engine's.
              startedMs: Math.round(r.startedMs ?? engine.engineStartedMs),
              healthyMs: r.healthyMs === undefined ? undefined : Math.round(r.healthyMs),
              downMs: Math.round(r.downMs),
              totalMs: Math.round(r.totalMs),
              ...engine,
              containersRunningBefore: others,
              loadavg1Before: Number(loadBefore.toFixed(2)),
              // The machine is shared: what else ran then is part of the result.
              uptimeBefore: cmdOut('uptime', []),
              detail: r.detail,
            };
            runs.push(row);
            log(
              `         started ${sec(row.startedMs)}s, healthy ${sec(row.healthyMs)}s, down ${sec(row.downMs)}s, total ${sec(row.totalMs)}s` +
                `  (engine: started ${sec(row.engineStartedMs)}s, healthy ${sec(row.engineHealthyMs)}s)` +
                (others ? `  (${others} other containers were running)` : '') +
                `  [load ${loadBefore.toFixed(1)}]`,
            );
            save();
          }
        }
      }
    }
  } catch (e) {
    meta.error = e instanceof BenchError ? e.message.split('\n')[0] : String(e?.stack ?? e);
    save();
    log(`\nbringup: FAILED: ${e instanceof BenchError ? e.message : (e?.stack ?? e)}`);
    log(`partial results: ${jsonFile}`);
    log(`inputs kept in: ${tmpDirs.at(-1) ?? '(none)'}`);
    process.exitCode = 1;
    return;
  }
  if (!opts.keepTmp) for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
  else log(`inputs kept in: ${tmpDirs.join(' ')}`);
  const md = save();
  process.stdout.write(md);
  log(
    `\nwrote ${path.relative(REPO, jsonFile)} and ${path.relative(REPO, mdFile)} (bench took ${(meta.benchMs / 1000).toFixed(1)} s)`,
  );
}

await main();
