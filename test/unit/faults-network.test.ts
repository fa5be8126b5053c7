import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { faultImages } from '../../src/model/fault-images.js';
import { parseReady, PROXY_SOURCE, type ProxyConfig } from '../../src/faults/network/proxy.js';
import {
  destinationsOf,
  lossRules,
  partitionRules,
  proxyRules,
} from '../../src/faults/network/rules.js';
import {
  chainApplyScript,
  chainHealScript,
  closeConnectionsScript,
  parsePreflight,
  PRELUDE,
  preflightScript,
  q,
  qdiscApplyScript,
  qdiscHealScript,
  qdiscVerdict,
  selfHealingMain,
  tbfBurst,
} from '../../src/faults/network/scripts.js';
import { parseRate } from '../../src/common/duration.js';
import type { PeerAddress } from '../../src/faults/network/addresses.js';

const replica = (service: string) => ({
  topology: 't',
  service,
  node: 'local',
  containerId: `id-${service}`,
  containerName: `sc-1-t-${service}-1`,
  index: 1,
});
const local = (service: string, ...ips: string[]): PeerAddress => ({
  replica: replica(service),
  sameNode: true,
  ips,
  tcpPorts: [8080],
});
const remote = (service: string, ip: string, ...ports: number[]): PeerAddress => ({
  replica: { ...replica(service), node: 'pc2' },
  sameNode: false,
  ips: [ip],
  tcpPorts: ports,
});

describe('partition rules', () => {
  it('both ways: drops what same-engine peers send, on arrival, and cuts connections to published ports across engines', () => {
    const rules = partitionRules(
      { from: [local('b', '172.18.0.3', 'fd00::3')], to: [remote('q', '10.0.0.7', 18500, 18501)] },
      false,
    );
    expect(rules).toEqual([
      { table: 'filter', family: 4, args: ['-s', '172.18.0.3', '-j', 'DROP'] },
      { table: 'filter', family: 6, args: ['-s', 'fd00::3', '-j', 'DROP'] },
      {
        table: 'filter',
        family: 4,
        args: ['-d', '10.0.0.7', '-p', 'tcp', '--dport', 18500, '-j', 'DROP'],
      },
      {
        table: 'filter',
        family: 4,
        args: ['-d', '10.0.0.7', '-p', 'tcp', '--dport', 18501, '-j', 'DROP'],
      },
    ]);
  });

  it('one way: only packets of connections the peer opened (conntrack ORIGINAL)', () => {
    expect(partitionRules({ from: [local('a', '172.18.0.2')], to: [] }, true)).toEqual([
      {
        table: 'filter',
        family: 4,
        args: ['-s', '172.18.0.2', '-m', 'conntrack', '--ctdir', 'ORIGINAL', '-j', 'DROP'],
      },
    ]);
  });

  it('destinations: any port on the same engine, published ports elsewhere; TCP ports for the proxy', () => {
    const peers = [local('b', '172.18.0.3'), remote('q', '10.0.0.7', 18500)];
    expect(destinationsOf(peers)).toEqual([{ ip: '172.18.0.3' }, { ip: '10.0.0.7', port: 18500 }]);
    expect(destinationsOf(peers, true)).toEqual([
      { ip: '172.18.0.3', port: 8080 },
      { ip: '10.0.0.7', port: 18500 },
    ]);
  });
});

describe('loss and proxy rules', () => {
  it('loss drops a random share of what arrives, from everywhere or from the named peers', () => {
    expect(lossRules(30, undefined)).toEqual([
      {
        table: 'filter',
        family: 4,
        args: [
          '!',
          '-i',
          'lo',
          '-m',
          'statistic',
          '--mode',
          'random',
          '--probability',
          '0.3',
          '-j',
          'DROP',
        ],
      },
    ]);
    expect(lossRules(100, [{ ip: '10.0.0.7', port: 18500 }])[0]!.args).toEqual([
      '-s',
      '10.0.0.7',
      '-p',
      'tcp',
      '--sport',
      18500,
      '-m',
      'statistic',
      '--mode',
      'random',
      '--probability',
      '1',
      '-j',
      'DROP',
    ]);
    expect(lossRules(0.5, undefined, [4, 6]).map((r) => [r.family, r.args[8]])).toEqual([
      [4, '0.005'],
      [6, '0.005'],
    ]);
  });

  it('the proxy redirects new connections and resets old ones, never its own', () => {
    expect(proxyRules([{ ip: '172.18.0.3', port: 8080, local: 40001 }], 64932)).toEqual([
      {
        table: 'nat',
        family: 4,
        args: [
          '-d',
          '172.18.0.3',
          '-p',
          'tcp',
          '--dport',
          8080,
          '-m',
          'owner',
          '!',
          '--uid-owner',
          64932,
          '-j',
          'REDIRECT',
          '--to-ports',
          40001,
        ],
      },
      {
        table: 'filter',
        family: 4,
        args: [
          '-d',
          '172.18.0.3',
          '-p',
          'tcp',
          '--dport',
          8080,
          '-m',
          'owner',
          '!',
          '--uid-owner',
          64932,
          '-j',
          'REJECT',
          '--reject-with',
          'tcp-reset',
        ],
      },
    ]);
  });
});

describe('scripts', () => {
  it('quotes what sh would split or expand', () => {
    expect(q('172.18.0.3/32')).toBe('172.18.0.3/32');
    expect(q('!')).toBe("'!'");
    expect(q("it's")).toBe(`'it'\\''s'`);
    expect(q(8080)).toBe('8080');
  });

  it('fills a chain before jumping to it, per table and family', () => {
    const s = chainApplyScript(
      'SC-abcd1234-1',
      [
        { table: 'filter', family: 4, args: ['-s', '172.18.0.3', '-j', 'DROP'] },
        { table: 'filter', family: 6, args: ['-s', 'fd00::3', '-j', 'DROP'] },
      ],
      { filter: ['INPUT', 'OUTPUT'] },
    );
    expect(s.split('\n')).toEqual([
      'set -e',
      '"$IPT" -w -t filter -N SC-abcd1234-1',
      '"$IPT" -w -t filter -A SC-abcd1234-1 -s 172.18.0.3 -j DROP',
      '"$IPT" -w -t filter -I INPUT 1 -j SC-abcd1234-1',
      '"$IPT" -w -t filter -I OUTPUT 1 -j SC-abcd1234-1',
      '"$IP6T" -w -t filter -N SC-abcd1234-1',
      '"$IP6T" -w -t filter -A SC-abcd1234-1 -s fd00::3 -j DROP',
      '"$IP6T" -w -t filter -I INPUT 1 -j SC-abcd1234-1',
      '"$IP6T" -w -t filter -I OUTPUT 1 -j SC-abcd1234-1',
      '',
    ]);
  });

  it('heals only its own chain and qdisc handle', () => {
    const chain = chainHealScript('SC-abcd1234-1');
    expect(chain).toContain('b=$(ipt_find "$fam") || continue');
    expect(chain).toContain('-D "$h" -j SC-abcd1234-1');
    expect(chain).toContain('-X SC-abcd1234-1');
    expect(chain).not.toMatch(/ -F( |$)(?!SC-)/m);
    expect(chainHealScript('SC-x', { v6: true })).toContain('for fam in iptables ip6tables; do');
    expect(qdiscHealScript('5c03:')).toContain('qdisc del dev "$i" root handle 5c03:');
  });

  it('tc: a root qdisc on every interface, or an htb class with filters for `to:`', () => {
    expect(
      qdiscApplyScript({
        handle: '5c03:',
        leaf: { kind: 'netem', args: ['delay', '200ms', '20ms'] },
      }),
    ).toContain('"$TC" qdisc add dev "$i" root handle 5c03: netem delay 200ms 20ms');
    expect(qdiscApplyScript({ handle: '5c03:', leaf: { kind: 'tbf', rateBits: 1e6 } })).toContain(
      '"$TC" qdisc add dev "$i" root handle 5c03: tbf rate 1000000bit burst 16384 latency 1s',
    );
    const htb = qdiscApplyScript({
      handle: '5c0a:',
      leaf: { kind: 'netem', args: ['loss', '5%'] },
      dst: [{ ip: '172.18.0.3' }, { ip: '10.0.0.7', port: 18500 }, { ip: 'fd00::3' }],
    });
    expect(htb.split('\n').slice(2, 8)).toEqual([
      '  "$TC" qdisc add dev "$i" root handle 5c0a: htb',
      '  "$TC" class add dev "$i" parent 5c0a: classid 5c0a:1 htb rate 10gbit ceil 10gbit',
      '  "$TC" qdisc add dev "$i" parent 5c0a:1 handle 5c0b: netem loss 5%',
      '  "$TC" filter add dev "$i" parent 5c0a: protocol ip prio 1 u32 match ip dst 172.18.0.3/32 flowid 5c0a:1',
      '  "$TC" filter add dev "$i" parent 5c0a: protocol ip prio 1 u32 match ip dst 10.0.0.7/32 match ip dport 18500 0xffff flowid 5c0a:1',
      '  "$TC" filter add dev "$i" parent 5c0a: protocol ipv6 prio 2 u32 match ip6 dst fd00::3/128 flowid 5c0a:1',
    ]);
    expect(tbfBurst(1e6)).toBe(16384);
    expect(tbfBurst(1e9)).toBe(1_250_000);
  });

  it('closes connections already open to the proxied targets with ss -K, where there is ss', () => {
    expect(closeConnectionsScript([{ ip: '172.18.0.3', port: 8080 }])).toContain(
      'ss -K -tn dst 172.18.0.3 dport = 8080 >/dev/null 2>&1 || true',
    );
  });

  it('parses rates as tc writes them', () => {
    expect(parseRate('1mbit')).toBe(1_000_000);
    expect(parseRate('500kbit')).toBe(500_000);
    expect(parseRate('1.5Gbit')).toBe(1_500_000_000);
    expect(parseRate('1mbps')).toBe(8_000_000);
    expect(parseRate('1 mbit')).toBe(1_000_000);
    for (const bad of ['1', 'fast', '1mb', '-1mbit', '0bit'])
      expect(parseRate(bad), bad).toBeUndefined();
  });

  it('tells a qdisc the kernel lacks from other failures', () => {
    expect(qdiscVerdict('ok')).toBe('ok');
    expect(qdiscVerdict('Error: Specified qdisc kind is unknown.')).toBe('missing');
    expect(qdiscVerdict('RTNETLINK answers: No such file or directory')).toBe('missing');
    expect(qdiscVerdict('RTNETLINK answers: Operation not permitted')).toBe('error');
    expect(qdiscVerdict(undefined)).toBe('error');
    expect(parsePreflight('iptables=iptables\nqdisc.netem=Error: x=y\n')).toEqual({
      iptables: 'iptables',
      'qdisc.netem': 'Error: x=y',
    });
  });
});

describe('the shell, run by sh with stand-in tools', () => {
  /** A folder of executable stubs, first on PATH, and sh running a script with it. */
  function shWith(stubs: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), 'sc-fault-sh-'));
    for (const [name, body] of Object.entries(stubs)) {
      writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, name), 0o755);
    }
    return (script: string) =>
      execFileSync('sh', ['-c', script], {
        encoding: 'utf8',
        env: { PATH: `${dir}:/usr/bin:/bin`, LOG: join(dir, 'log') },
      });
  }

  it('the preflight reports what works and why the rest does not, and changes nothing', () => {
    const sh = shWith({
      iptables:
        'echo "iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)" >&2; exit 4',
      'iptables-legacy': 'echo "iptables-legacy $*" >> "$LOG"; exit 0',
      tc: 'case "$1" in -V) echo "tc utility, iproute2-6.1.0";; *) echo "tc $*" >> "$LOG"; echo "Error: Specified qdisc kind is unknown." >&2; exit 2;; esac',
    });
    const out = parsePreflight(
      sh(
        preflightScript({
          iptables: true,
          nat: true,
          tc: true,
          qdiscs: { netem: ['delay', '1ms'] },
        }),
      ),
    );
    expect(out.iptables).toBe('iptables-legacy');
    expect(out.nat).toBe('ok');
    expect(out.tc).toMatch(/\/tc$/);
    expect(out['qdisc.netem']).toBe('Error: Specified qdisc kind is unknown.');
  });

  it('names the first reason when no iptables works', () => {
    const sh = shWith({
      iptables: 'echo "iptables: Permission denied (you must be root)" >&2; exit 4',
    });
    expect(parsePreflight(sh(preflightScript({ iptables: true, tc: true })))).toEqual({
      'iptables.error': 'iptables: iptables: Permission denied (you must be root)',
      'tc.error': "tc: not found (iproute2's tc is needed)",
    });
  });

  it('heal removes the jumps until none is left, then the chain, with the variant that answers', () => {
    const sh = shWith({
      // Two jumps from INPUT exist: -D succeeds twice, then fails.
      iptables: `echo "$*" >> "$LOG"
case "$*" in
  *"-D INPUT"*) n=$(grep -c -- "-D INPUT" "$LOG"); [ "$n" -le 2 ] || exit 1;;
  *"-D OUTPUT"*) exit 1;;
esac
exit 0`,
    });
    const log = sh(`${PRELUDE}\n${chainHealScript('SC-t-1')}\ncat "$LOG"`);
    const calls = log.trim().split('\n');
    expect(calls.filter((c) => c.includes('-t filter -D INPUT -j SC-t-1'))).toHaveLength(3);
    expect(calls).toContain('-w -t filter -F SC-t-1');
    expect(calls).toContain('-w -t filter -X SC-t-1');
    expect(calls).toContain('-w -t nat -X SC-t-1');
  });

  it('the helper heals on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sc-fault-main-'));
    const marker = join(dir, 'healed');
    const [sh, c, script] = selfHealingMain(`echo healed > ${marker}`, 60);
    const child = spawn(sh!, [c!, script!], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(execFileSync('cat', [marker], { encoding: 'utf8' })).toBe('healed\n');
  });
});

describe('the delay proxy', () => {
  const children: ReturnType<typeof spawn>[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
  });

  async function startProxy(config: Omit<ProxyConfig, 'uid'>) {
    const child = spawn(process.execPath, [
      '-e',
      PROXY_SOURCE,
      JSON.stringify({ ...config, uid: null }),
    ]);
    children.push(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    for (let i = 0; i < 100 && !parseReady(out); i++) await new Promise((r) => setTimeout(r, 20));
    const ports = parseReady(out);
    if (!ports) throw new Error(`the proxy printed no ports: ${out}`);
    return ports;
  }

  async function server(): Promise<number> {
    const s = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => res.end(`echo:${body}`));
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as net.AddressInfo).port;
    children.push({ kill: () => s.close() } as never);
    return port;
  }

  const time = async (port: number, body: string) => {
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      body,
      headers: { connection: 'close' },
    });
    const text = await res.text();
    return { ms: performance.now() - t0, text };
  };

  it('adds the delay to each exchange and forwards the bytes unchanged', async () => {
    const port = await server();
    await time(port, 'warm-up'); // the first fetch in a process sets its client up
    const ports = await startProxy({
      routes: [{ host: '127.0.0.1', port }],
      delayMs: 150,
      jitterMs: 0,
      resetPercent: 0,
    });
    const via = ports[`127.0.0.1:${port}`]!;
    // Noise (a busy machine) only adds time: the fastest of three samples is compared.
    const fastest = async (p: number) => {
      const ms: number[] = [];
      for (let i = 0; i < 3; i++) ms.push((await time(p, 'x')).ms);
      return Math.min(...ms);
    };
    const rise = (await fastest(via)) - (await fastest(port));
    expect(rise).toBeGreaterThanOrEqual(145);
    expect(rise).toBeLessThan(400);
    const big = 'y'.repeat(200_000);
    expect((await time(via, big)).text).toBe(`echo:${big}`);
  });

  it('keeps the order of chunks under jitter', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const port = (echo.address() as net.AddressInfo).port;
    children.push({ kill: () => echo.close() } as never);
    const ports = await startProxy({
      routes: [{ host: '127.0.0.1', port }],
      delayMs: 30,
      jitterMs: 25,
      resetPercent: 0,
    });
    const sock = net.connect(ports[`127.0.0.1:${port}`]!, '127.0.0.1');
    let got = '';
    sock.on('data', (d) => (got += d));
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) {
      sent.push(`<${i}>`);
      sock.write(`<${i}>`);
      await new Promise((r) => setTimeout(r, 2));
    }
    for (let i = 0; i < 100 && got.length < sent.join('').length; i++)
      await new Promise((r) => setTimeout(r, 20));
    sock.destroy();
    expect(got).toBe(sent.join(''));
  });

  it('resets every new connection at 100%', async () => {
    const port = await server();
    const ports = await startProxy({
      routes: [{ host: '127.0.0.1', port }],
      delayMs: 0,
      jitterMs: 0,
      resetPercent: 100,
    });
    await expect(time(ports[`127.0.0.1:${port}`]!, 'x')).rejects.toThrow();
  });
});

describe('fault images', () => {
  it('the environment wins; an image named for the tools serves the proxy too', () => {
    expect(faultImages(undefined, {})).toEqual({
      tools: 'nicolaka/netshoot:v0.13',
      proxy: 'node:20-alpine',
    });
    expect(faultImages({ image: 'mine:1' }, {})).toEqual({ tools: 'mine:1', proxy: 'mine:1' });
    expect(faultImages({ image: 'mine:1', proxyImage: 'node:22' }, {})).toEqual({
      tools: 'mine:1',
      proxy: 'node:22',
    });
    expect(faultImages({ image: 'mine:1' }, { STACKCHECK_FAULT_IMAGE: 'env:1' })).toEqual({
      tools: 'env:1',
      proxy: 'env:1',
    });
    expect(faultImages(undefined, { STACKCHECK_FAULT_PROXY_IMAGE: 'node:22' })).toEqual({
      tools: 'nicolaka/netshoot:v0.13',
      proxy: 'node:22',
    });
  });
});
