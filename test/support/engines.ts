import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The engines of the test bed (scripts/engines.sh env): the machine's own (DOCKER20), the
 * second machine's Podman (PODMAN4), and those unpacked from Debian's packages, each in a
 * network namespace of its own (DOCKER26, DOCKER28, PODMAN5). Only engines that answer are
 * listed; `npm test` starts them (scripts/test.sh).
 */
export interface TestEngine {
  /** Lower case, as the script names them: docker20, docker26, docker28, podman4, podman5. */
  name: string;
  /** A DOCKER_HOST url (unix:// here: a socket reaches across namespaces). */
  dockerHost: string;
  /**
   * The network namespace the engine lives in, where it is the only engine: the ports it
   * publishes are bound there, so whatever probes them runs there (`ip netns exec NS ...`).
   * Undefined for the machine's own engine.
   */
  netns?: string;
  /** The namespace's own address (its veth to this host), where its published ports answer from outside. */
  address?: string;
}

const SCRIPT = fileURLToPath(new URL('../../scripts/engines.sh', import.meta.url));

let cached: TestEngine[] | undefined;

/**
 * The engines that answer now, the machine's first. STACKCHECK_ENGINE_* variables in the
 * environment (set by CI or by hand) are used as they are; otherwise the script is asked.
 */
export function testEngines(): TestEngine[] {
  cached ??= fromEnv(envLines());
  return cached;
}

/** One engine by name (`docker28`), or undefined where the test bed does not run it. */
export function testEngine(name: string): TestEngine | undefined {
  return testEngines().find((e) => e.name === name);
}

function envLines(): Record<string, string> {
  const given = Object.entries(process.env).filter(
    (kv): kv is [string, string] => kv[0].startsWith('STACKCHECK_ENGINE_') && kv[1] !== undefined,
  );
  if (given.length > 0) return Object.fromEntries(given);
  const out = execFileSync('bash', [SCRIPT, 'env'], { encoding: 'utf8', timeout: 30_000 });
  return Object.fromEntries(
    out
      .split('\n')
      .map((line) => /^(STACKCHECK_ENGINE_\w+)=(.*)$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => [m[1]!, m[2]!.replace(/^'(.*)'$/, '$1')]),
  );
}

/** The order engines are listed in: the machine's first, then by kind and version. */
const ORDER = ['DOCKER20', 'DOCKER26', 'DOCKER28', 'PODMAN4', 'PODMAN5'];

export function fromEnv(v: Record<string, string>): TestEngine[] {
  const names = Object.keys(v)
    .map((k) => /^STACKCHECK_ENGINE_([A-Z0-9]+)$/.exec(k)?.[1])
    .filter((n): n is string => n !== undefined && v[`STACKCHECK_ENGINE_${n}`] !== '');
  const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  return names
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((n) => {
      const netns = v[`STACKCHECK_ENGINE_${n}_NETNS`];
      const address = v[`STACKCHECK_ENGINE_${n}_ADDRESS`];
      return {
        name: n.toLowerCase(),
        dockerHost: v[`STACKCHECK_ENGINE_${n}`]!,
        ...(netns ? { netns } : {}),
        ...(address ? { address } : {}),
      };
    });
}

/**
 * `argv` run where `t` binds its published ports: `ip netns exec NS` for an engine in a
 * namespace; for the machine's own engine, the namespace this suite was started from, which is
 * not this process's when the suite itself runs inside another engine's namespace
 * (scripts/test.sh's engine passes).
 */
export function inEngineNetns(t: TestEngine, argv: string[]): string[] {
  if (t.netns) return ['ip', 'netns', 'exec', t.netns, ...argv];
  const outer = outerProcess();
  return outer ? ['nsenter', `--net=/proc/${outer}/ns/net`, ...argv] : argv;
}

/**
 * The nearest ancestor process in another network namespace, if any: the one that ran this
 * suite through `ip netns exec` (which also remounted /sys, hiding the cgroup mounts), whose
 * namespaces are the machine's own.
 */
export function outerProcess(): number | undefined {
  const own = netnsOf('self');
  for (let pid = process.ppid; own && pid > 1; pid = parentOf(pid)) {
    const ns = netnsOf(String(pid));
    if (ns === undefined) return undefined;
    if (ns !== own) return pid;
  }
  return undefined;
}

function netnsOf(pid: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number {
  try {
    // /proc/PID/stat: "PID (comm) STATE PPID ..."; comm may hold spaces, not ')'+' '.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}
