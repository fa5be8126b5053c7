/**
 * The shell that network faults run inside a helper container sharing a service's network
 * namespace. Everything here is text: the helper image needs only sh, iptables and tc, and
 * every script is idempotent where it heals. Nothing outside the fault's own chain (SC-…) and
 * its own qdisc handle is ever touched.
 */

/** Quotes one word for sh. */
export function q(word: string | number): string {
  const s = String(word);
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

const line = (args: (string | number)[]) => args.map(q).join(' ');

/**
 * Shell functions every script starts with. busybox's sh runs its own applets before PATH
 * (its `tc` is not iproute2's), so tc is looked up by path and recognised by `tc -V`.
 */
export const PRELUDE = String.raw`# ipt_find iptables|ip6tables: the first variant whose -L answers; else the first reason why not.
ipt_find() {
  why=""
  for c in "$1" "$1-nft" "$1-legacy"; do
    command -v "$c" >/dev/null 2>&1 || continue
    if e=$("$c" -w -n -L OUTPUT 2>&1 >/dev/null); then echo "$c"; return 0; fi
    [ -n "$why" ] || why="$c: $(echo "$e" | head -n 1)"
  done
  echo "${'$'}{why:-$1: not found}"
  return 1
}
tc_find() {
  for d in $(echo "$PATH" | tr : ' '); do
    if [ -x "$d/tc" ] && "$d/tc" -V 2>/dev/null | grep -q iproute2; then echo "$d/tc"; return 0; fi
  done
  echo "tc: not found (iproute2's tc is needed)"
  return 1
}
# Every interface of this network namespace but loopback.
ifaces() { awk -F: 'NR > 2 { gsub(/[ \t]/, "", $1); if ($1 != "lo") print $1 }' /proc/net/dev; }
`;

/** The qdisc handle (major, hex) scratch probes on `lo` use; removed at once. */
const PROBE_HANDLE = '5cff:';

export interface PreflightNeeds {
  iptables?: boolean;
  /** The nat table (the proxy redirects with it). */
  nat?: boolean;
  ip6tables?: boolean;
  tc?: boolean;
  /** Qdisc kinds to try on `lo` (added and deleted at once): kind -> its arguments. */
  qdiscs?: Record<string, string[]>;
}

/**
 * Finds out, changing nothing that outlives it, what the helper can do. Prints one
 * `key=value` line per thing asked: `iptables=BINARY` or `iptables.error=REASON`, `nat=ok` or
 * `nat.error=…`, `ip6tables=…`, `tc=…`, `qdisc.KIND=ok` or `qdisc.KIND=REASON`; the runner
 * decides what is required, so that a fallback can stand in for what is missing.
 */
export function preflightScript(needs: PreflightNeeds): string {
  const out = [PRELUDE];
  const find = (v: string, what: string, fn: string) =>
    `if ${v}=$(${fn}); then echo "${what}=$${v}"; else echo "${what}.error=$${v}"; ${v}=; fi`;
  if (needs.iptables || needs.nat) out.push(find('IPT', 'iptables', 'ipt_find iptables'));
  if (needs.nat) {
    out.push(
      'if [ -n "$IPT" ]; then',
      '  if e=$("$IPT" -w -t nat -n -L OUTPUT 2>&1 >/dev/null); then echo nat=ok',
      '  else echo "nat.error=$IPT: $(echo "$e" | head -n 1)"; fi',
      'fi',
    );
  }
  if (needs.ip6tables) out.push(find('IP6T', 'ip6tables', 'ipt_find ip6tables'));
  if (needs.tc || needs.qdiscs) out.push(find('TC', 'tc', 'tc_find'));
  for (const [kind, args] of Object.entries(needs.qdiscs ?? {})) {
    out.push(
      `if [ -z "$TC" ]; then :`,
      `elif e=$("$TC" qdisc add dev lo root handle ${PROBE_HANDLE} ${line([kind, ...args])} 2>&1); then`,
      `  "$TC" qdisc del dev lo root handle ${PROBE_HANDLE} 2>/dev/null; echo "qdisc.${kind}=ok"`,
      `else echo "qdisc.${kind}=$(echo "$e" | head -n 1)"; fi`,
    );
  }
  return out.join('\n') + '\n';
}

/** `key=value` lines into a map. */
export function parsePreflight(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of stdout.split('\n')) {
    const eq = l.indexOf('=');
    if (eq > 0) out[l.slice(0, eq).trim()] = l.slice(eq + 1).trim();
  }
  return out;
}

/** A qdisc probe's answer: available, missing from the kernel (fall back), or another failure. */
export function qdiscVerdict(answer: string | undefined): 'ok' | 'missing' | 'error' {
  if (answer === 'ok') return 'ok';
  if (
    answer !== undefined &&
    /qdisc kind is unknown|not supported|No such file or directory|Unknown qdisc/i.test(answer)
  )
    return 'missing';
  return 'error';
}

/** One iptables rule: its table, IP family and arguments after `-A CHAIN`. */
export interface Rule {
  table: 'filter' | 'nat';
  family: 4 | 6;
  args: (string | number)[];
}

/** Where a chain is jumped to from, per table. */
export type Hooks = Partial<Record<'filter' | 'nat', ('INPUT' | 'OUTPUT')[]>>;

/**
 * Creates the chain in each table and family it has rules for, fills it, then jumps to it
 * first thing from the hooks: the jump comes last, so a half-made chain is never in use.
 * nat before filter: the proxy's redirect is in place before its reset of old connections.
 * `$IPT` / `$IP6T` come from the environment (the preflight's answer).
 */
export function chainApplyScript(chain: string, rules: Rule[], hooks: Hooks): string {
  const out = ['set -e'];
  for (const family of [4, 6] as const) {
    const bin = family === 4 ? '"$IPT"' : '"$IP6T"';
    for (const table of ['nat', 'filter'] as const) {
      const mine = rules.filter((r) => r.family === family && r.table === table);
      if (mine.length === 0) continue;
      out.push(`${bin} -w -t ${table} -N ${q(chain)}`);
      for (const r of mine) out.push(`${bin} -w -t ${table} -A ${q(chain)} ${line(r.args)}`);
      for (const hook of hooks[table] ?? [])
        out.push(`${bin} -w -t ${table} -I ${hook} 1 -j ${q(chain)}`);
    }
  }
  return out.join('\n') + '\n';
}

/**
 * Removes the chain's jumps and the chain, in both tables, with the iptables variant the
 * preflight chose (the same search finds it again; asking another variant would make it set
 * up its own empty tables). Harmless when nothing is there; touches nothing else.
 */
export function chainHealScript(chain: string, o: { v6?: boolean } = {}): string {
  const c = q(chain);
  return [
    `for fam in iptables${o.v6 ? ' ip6tables' : ''}; do`,
    '  b=$(ipt_find "$fam") || continue',
    '  for t in filter nat; do',
    `    for h in INPUT OUTPUT; do while "$b" -w -t "$t" -D "$h" -j ${c} 2>/dev/null; do :; done; done`,
    `    "$b" -w -t "$t" -F ${c} 2>/dev/null && "$b" -w -t "$t" -X ${c} 2>/dev/null`,
    '  done',
    'done',
    'true',
  ].join('\n');
}

/** Deletes the root qdisc of every interface where it is this fault's own (its handle). */
export function qdiscHealScript(handle: string): string {
  return [
    'if TC=$(tc_find); then',
    `  for i in $(ifaces); do "$TC" qdisc del dev "$i" root handle ${handle} 2>/dev/null; done`,
    'fi',
    'true',
  ].join('\n');
}

/** A traffic-control fault: what its qdisc does, and to which traffic. */
export interface QdiscPlan {
  /** Major handle, e.g. `5c03:`; the netem leaf under htb takes the next one. */
  handle: string;
  /** netem or tbf (every packet leaving an interface), or htb (only `dst` traffic). */
  leaf: { kind: 'netem'; args: string[] } | { kind: 'tbf'; rateBits: number };
  /** Only traffic to these: an htb class with u32 filters; absent means all traffic. */
  dst?: { ip: string; port?: number }[];
}

/** Adds the fault's qdisc as the root of every interface (fails if one already has a custom root). */
export function qdiscApplyScript(p: QdiscPlan): string {
  const major = p.handle.replace(/:$/, '');
  const out = ['set -e', 'for i in $(ifaces); do'];
  const tbf = (rateBits: number) => [
    'tbf',
    'rate',
    `${rateBits}bit`,
    'burst',
    tbfBurst(rateBits),
    'latency',
    '1s',
  ];
  if (!p.dst) {
    const leaf = p.leaf.kind === 'netem' ? ['netem', ...p.leaf.args] : tbf(p.leaf.rateBits);
    out.push(`  "$TC" qdisc add dev "$i" root handle ${p.handle} ${line(leaf)}`);
  } else {
    const cls = `${major}:1`;
    const rate = p.leaf.kind === 'tbf' ? `${p.leaf.rateBits}bit` : '10gbit';
    out.push(`  "$TC" qdisc add dev "$i" root handle ${p.handle} htb`);
    out.push(
      `  "$TC" class add dev "$i" parent ${p.handle} classid ${cls} htb rate ${rate} ceil ${rate}`,
    );
    if (p.leaf.kind === 'netem') {
      const leafHandle = `${(parseInt(major, 16) + 1).toString(16)}:`;
      out.push(
        `  "$TC" qdisc add dev "$i" parent ${cls} handle ${leafHandle} ${line(['netem', ...p.leaf.args])}`,
      );
    }
    for (const d of p.dst) {
      const v6 = d.ip.includes(':');
      const match = v6
        ? [
            'match',
            'ip6',
            'dst',
            `${d.ip}/128`,
            ...(d.port ? ['match', 'ip6', 'dport', d.port, '0xffff'] : []),
          ]
        : [
            'match',
            'ip',
            'dst',
            `${d.ip}/32`,
            ...(d.port ? ['match', 'ip', 'dport', d.port, '0xffff'] : []),
          ];
      out.push(
        `  "$TC" filter add dev "$i" parent ${p.handle} protocol ${v6 ? 'ipv6' : 'ip'} prio ${v6 ? 2 : 1} u32 ${line(match)} flowid ${cls}`,
      );
    }
  }
  out.push('done');
  return out.join('\n') + '\n';
}

/** tbf's bucket: 10 ms at the rate, at least 16 KiB (a few full-size packets). */
export function tbfBurst(rateBits: number): number {
  return Math.max(16 * 1024, Math.ceil(rateBits / 8 / 100));
}

/**
 * The helper container's main process: sleeps until the fault's deadline, and heals when it
 * comes, or when the container is stopped (SIGTERM: `stackcheck down`, the teardown after a
 * crashed run), so a fault whose runner died does not outlive its time limit.
 */
export function selfHealingMain(heal: string, deadlineS: number): string[] {
  const script = [
    PRELUDE,
    'heal() {',
    heal,
    '}',
    "trap 'heal; exit 0' TERM INT",
    `sleep ${Math.max(1, Math.ceil(deadlineS))} & wait $!`,
    'heal',
  ].join('\n');
  return ['sh', '-c', script];
}

/**
 * Closes the connections already open to these targets (iproute2's `ss -K`, where the kernel
 * has SOCK_DESTROY), so clients reconnect through the proxy now rather than on their next
 * send (which the proxy's REJECT rule would reset). Best effort: absent tools are skipped.
 */
export function closeConnectionsScript(targets: { ip: string; port: number }[]): string {
  return [
    'if command -v ss >/dev/null 2>&1; then',
    ...targets.map((t) => `  ss -K -tn dst ${q(t.ip)} dport = ${t.port} >/dev/null 2>&1 || true`),
    'fi',
    '',
  ].join('\n');
}
