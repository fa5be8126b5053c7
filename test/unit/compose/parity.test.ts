import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUserError } from '../../../src/common/errors.js';
import { toComposeJson } from '../../../src/compose/to-compose.js';
import { loadSuite } from '../../../src/manifest/load.js';

/*
 * Compose parity: every file of test/fixtures/compose/parity is loaded by stackcheck and by
 * compose v2 (`docker compose config --format json`, run now: nothing recorded, so a newer
 * compose is noticed), and the fields that decide what runs must agree. Files under refused/
 * must be refused by both, stackcheck with a position in the file. compose v2 comes from
 * scripts/ensure-compose-v2.sh (Debian's package, fetched with a private apt); when it cannot
 * be had, the test fails rather than skips.
 *
 * A case is a folder: compose.yaml (and, listed in parity.json's "files", more files merged
 * after it, as `-f a -f b`), optional .env, and parity.json for profiles and variables.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CORPUS = join(ROOT, 'test/fixtures/compose/parity');

interface CaseOptions {
  files?: string[];
  profiles?: string[];
  env?: Record<string, string>;
}

interface Case {
  name: string;
  dir: string;
  files: string[];
  profiles: string[];
  env: Record<string, string>;
}

function cases(sub: string): Case[] {
  const base = join(CORPUS, sub);
  return readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'refused')
    .map((d) => {
      const dir = join(base, d.name);
      const optsFile = join(dir, 'parity.json');
      const opts: CaseOptions = existsSync(optsFile)
        ? (JSON.parse(readFileSync(optsFile, 'utf8')) as CaseOptions)
        : {};
      return {
        name: d.name,
        dir,
        files: opts.files ?? ['compose.yaml'],
        profiles: opts.profiles ?? [],
        env: opts.env ?? {},
      };
    });
}

/** The same variables for both: nothing from the machine but what running a binary needs. */
function baseEnv(c: Case): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...c.env };
}

let compose = '';
let work = '';

function composeConfig(c: Case): { ok: true; json: Json } | { ok: false; stderr: string } {
  const r = spawnSync(
    compose,
    [...c.files.flatMap((f) => ['-f', f]), 'config', '--format', 'json'],
    {
      cwd: c.dir,
      encoding: 'utf8',
      env: {
        ...baseEnv(c),
        ...(c.profiles.length ? { COMPOSE_PROFILES: c.profiles.join(',') } : {}),
      },
    },
  );
  if (r.status !== 0) return { ok: false, stderr: r.stderr };
  return { ok: true, json: JSON.parse(r.stdout) as Json };
}

function stackcheckConfig(c: Case): Json {
  const manifest = join(work, `${c.name}.yml`);
  writeFileSync(
    manifest,
    JSON.stringify({
      version: 1,
      name: 'parity',
      topologies: {
        t: {
          compose: c.files.map((f) => resolve(c.dir, f)),
          ...(c.profiles.length && { profiles: c.profiles }),
        },
      },
    }),
  );
  const suite = loadSuite(manifest, { env: baseEnv(c) });
  return toComposeJson(suite.topologies[0]!.project);
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});

/** Go duration text in ms ("1m30s", "500ms"), or undefined. */
function ms(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  let total = 0;
  for (const [, n, u] of v.matchAll(/([\d.]+)(ms|h|m|s|us|µs|ns)/g)) {
    const f = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 }[
      u as 'h'
    ];
    total += Number(n) * f;
  }
  return total;
}

/**
 * What decides what runs, in one form for both sides: image, command, entrypoint,
 * environment, ports, volumes, networks, depends_on, healthcheck, restart, user, namespaces,
 * replicas. Lists whose order does not matter are sorted.
 */
function runs(project: Json, reference: Json = project): Json {
  const out: Json = {};
  // A provider service is run by a compose plugin, not as a container.
  const containers = Object.fromEntries(
    Object.entries(obj(unescape(project.services))).filter(([, v]) => !('provider' in obj(v))),
  );
  for (const [name, raw] of Object.entries(containers)) {
    const s = obj(raw);
    // stackcheck mounts secrets and configs as files at their targets; compose lists them.
    const ref = obj(obj(reference.services)[name]);
    const secretTargets = [
      ...((ref.secrets as unknown[] | undefined) ?? []).map((r) => {
        const t = obj(r).target as string | undefined;
        const src = obj(r).source as string;
        return t?.startsWith('/') ? t : `/run/secrets/${t ?? src}`;
      }),
      ...((ref.configs as unknown[] | undefined) ?? []).map(
        (r) => (obj(r).target as string | undefined) ?? `/${obj(r).source as string}`,
      ),
    ];
    const mounts = ((s.volumes as unknown[] | undefined) ?? []).map((v) => {
      const m = obj(v);
      const target = m.target as string;
      if (secretTargets.includes(target)) return `secret:${target}`;
      // compose keeps an absolute path as written ("/var/lib/docker/"); the engine does not care.
      const source =
        m.type === 'tmpfs' ? '' : ((m.source as string | undefined) ?? '').replace(/(.)\/+$/, '$1');
      const prop = (obj(m.bind).propagation as string | undefined) ?? '';
      return `${m.type as string}:${source}:${target}:${m.read_only ? 'ro' : 'rw'}:${prop}`;
    });
    for (const t of (s.tmpfs as string[] | undefined) ?? [])
      mounts.push(`tmpfs::${t.split(':')[0]!}:rw:`);
    for (const t of secretTargets) if (!mounts.includes(`secret:${t}`)) mounts.push(`secret:${t}`);
    const hc = s.healthcheck === undefined ? undefined : obj(s.healthcheck);
    const deploy = obj(s.deploy);
    out[name] = {
      image: s.image ?? null,
      command: s.command ?? null,
      entrypoint: s.entrypoint ?? null,
      // A bare `KEY` whose variable is unset: compose writes null and the container gets nothing.
      environment: Object.fromEntries(
        Object.entries(obj(s.environment)).filter(([, v]) => v !== null),
      ),
      ports: ((s.ports as unknown[] | undefined) ?? [])
        .map((p) => {
          const q = obj(p);
          return `${(q.host_ip as string | undefined) ?? ''}:${(q.published as string | undefined) ?? ''}->${String(q.target)}/${(q.protocol as string | undefined) ?? 'tcp'}`;
        })
        .sort(),
      volumes: mounts.sort(),
      networks:
        s.network_mode !== undefined
          ? `mode:${s.network_mode as string}`
          : Object.entries(obj(s.networks))
              .map(([n, v]) =>
                [n, ...(((obj(v).aliases as string[] | undefined) ?? []) as string[]).sort()].join(
                  '+',
                ),
              )
              .sort(),
      // compose lists an optional dependency on a disabled service, which does not run.
      depends_on: Object.fromEntries(
        Object.entries(obj(s.depends_on))
          .filter(([d]) => d in containers)
          .map(([d, v]) => [
            d,
            `${obj(v).condition as string}${obj(v).required === false ? ' optional' : ''}`,
          ]),
      ),
      // test: ["NONE"] is how the engine spells a disabled healthcheck.
      healthcheck: hc && {
        test: (hc.test as string[] | undefined)?.[0] === 'NONE' ? null : (hc.test ?? null),
        disable: hc.disable === true || (hc.test as string[] | undefined)?.[0] === 'NONE',
        interval: ms(hc.interval),
        timeout: ms(hc.timeout),
        retries: hc.retries,
        start_period: ms(hc.start_period),
        start_interval: ms(hc.start_interval),
      },
      restart: restartPolicy(s),
      user: s.user ?? null,
      ipc: s.ipc ?? null,
      pid: s.pid ?? null,
      uts: s.uts ?? null,
      replicas: deploy.replicas ?? s.scale ?? 1,
    };
  }
  return out;
}

/** `$$` in compose's output is a literal `$` once the file is read again: what the container gets. */
function unescape(v: unknown): unknown {
  if (typeof v === 'string') return v.replaceAll('$$', '$');
  if (Array.isArray(v)) return v.map(unescape);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unescape(x)]));
  return v;
}

/** The engine's restart policy as compose v2 sets it: deploy.restart_policy wins over restart. */
function restartPolicy(s: Json): string {
  const p = obj(obj(s.deploy).restart_policy);
  if (p.condition === undefined && Object.keys(p).length === 0)
    return (s.restart as string | undefined) ?? 'no';
  const name =
    p.condition === 'none' ? 'no' : p.condition === 'on-failure' ? 'on-failure' : 'always';
  return name === 'on-failure' && p.max_attempts ? `on-failure:${String(p.max_attempts)}` : name;
}

/** The ignored keys stackcheck reported, by name: "deploy.placement". */
const ignored = new Map<string, number>();
const tally = { files: 0, agreeing: 0, refusedByBoth: 0 };

beforeAll(() => {
  compose = execFileSync('bash', [join(ROOT, 'scripts/ensure-compose-v2.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n')
    .at(-1)!;
  work = mkdtempSync(join(tmpdir(), 'stackcheck-parity-'));
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  const names = [...ignored.entries()].map(([k, n]) => `${k} (${n})`).join(', ');
  process.stdout.write(
    `compose parity: ${tally.files} files, ${tally.agreeing} agreeing, ` +
      `${tally.refusedByBoth} refused by both; ignored keys: ${names || 'none'}\n`,
  );
});

describe('compose parity: files compose v2 accepts', () => {
  for (const c of cases('.')) {
    it(c.name, () => {
      tally.files++;
      const theirs = composeConfig(c);
      if (!theirs.ok) throw new Error(`compose v2 refuses ${c.name}: ${theirs.stderr}`);
      let ours: Json;
      try {
        ours = stackcheckConfig(c);
      } catch (e) {
        if (isUserError(e)) throw new Error(`stackcheck refuses ${c.name}: ${e.message}`);
        throw e;
      }
      const suite = loadSuite(join(work, `${c.name}.yml`), { env: baseEnv(c) });
      for (const w of suite.warnings) {
        const m = /^services\.[^.]+\.(.+): ignored on a single engine/.exec(w.message);
        const key = m?.[1]?.replace(/\[\d+\]/g, '');
        if (key) ignored.set(key, (ignored.get(key) ?? 0) + 1);
      }
      expect(runs(ours, theirs.json)).toEqual(runs(theirs.json));
      tally.agreeing++;
    });
  }
});

describe('compose parity: files compose v2 refuses', () => {
  for (const c of cases('refused')) {
    it(c.name, () => {
      tally.files++;
      const theirs = composeConfig(c);
      expect(theirs.ok, `compose v2 accepts refused/${c.name}`).toBe(false);
      let error: unknown;
      try {
        stackcheckConfig(c);
      } catch (e) {
        error = e;
      }
      expect(isUserError(error), `stackcheck accepts refused/${c.name}`).toBe(true);
      // Every refusal points at the file and line that hold the problem.
      const problems = isUserError(error) ? error.problems : [];
      expect(problems.some((p) => p.pos && p.pos.line > 0)).toBe(true);
      tally.refusedByBoth++;
    });
  }
});
