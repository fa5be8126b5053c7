import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { outerProcess } from './engines.js';
import { once } from 'node:events';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';

/**
 * A throwaway dockerd of the machine's own release, in a network namespace of its own, with its
 * own socket, data and exec roots, and the containerd it starts for itself there: a test may
 * restart it (as `systemctl restart docker` would) without touching the
 * machine's engine or the test bed's. vfs storage and no iptables keep it independent of the
 * host's kernel setup; its networks come from a pool no other engine here uses.
 */
export class PrivateDockerd {
  readonly id: string;
  readonly netns: string;
  readonly dir: string;
  readonly socket: string;
  private daemon?: ChildProcess;

  constructor(id = `scr${process.pid % 10_000}`) {
    this.id = id;
    this.netns = `sc-${id}`;
    this.dir = `/run/stackcheck-${id}`;
    this.socket = `${this.dir}/docker.sock`;
  }

  get url(): string {
    return `unix://${this.socket}`;
  }

  async start(): Promise<void> {
    if (!this.exists()) {
      execFileSync('ip', ['netns', 'add', this.netns]);
      execFileSync('ip', ['-n', this.netns, 'link', 'set', 'lo', 'up']);
    }
    mkdirSync(`${this.dir}/exec`, { recursive: true });
    mkdirSync(`/var/lib/stackcheck-${this.id}`, { recursive: true });
    // Its own (empty) configuration: /etc/docker/daemon.json belongs to the machine's engine.
    writeFileSync(`${this.dir}/daemon.json`, '{}\n');
    // nsenter joins only the network namespace (`ip netns exec` would remount /sys, and
    // dockerd would not find the cgroups); where this suite itself runs under `ip netns exec`,
    // it takes the machine's mounts back from the process that started the suite.
    const outer = outerProcess();
    this.daemon = spawn(
      'nsenter',
      [
        ...(outer ? [`--mount=/proc/${outer}/ns/mnt`] : []),
        `--net=/var/run/netns/${this.netns}`,
        'dockerd',
        `--config-file=${this.dir}/daemon.json`,
        `--host=${this.url}`,
        `--data-root=/var/lib/stackcheck-${this.id}`,
        `--exec-root=${this.dir}/exec`,
        `--pidfile=${this.dir}/docker.pid`,
        '--storage-driver=vfs',
        '--iptables=false',
        '--ip-masq=false',
        '--bridge=none',
        '--default-address-pool=base=10.251.0.0/16,size=24',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    this.daemon.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
    const until = Date.now() + 30_000;
    while (!(await this.answers())) {
      if (Date.now() > until || this.daemon.exitCode !== null)
        throw new Error(`private dockerd did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops the daemon as systemd would (SIGTERM, then its exit). */
  async stop(): Promise<void> {
    const d = this.daemon;
    if (!d || d.exitCode !== null) return;
    d.kill('SIGTERM');
    await once(d, 'exit');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops it and removes its namespace and folders. */
  async remove(): Promise<void> {
    await this.stop();
    if (this.exists()) execFileSync('ip', ['netns', 'delete', this.netns]);
    try {
      execFileSync('umount', ['-R', '-l', `${this.dir}/exec`], { stdio: 'ignore' });
    } catch {
      // nothing mounted there
    }
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(`/var/lib/stackcheck-${this.id}`, { recursive: true, force: true });
  }

  private exists(): boolean {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .some((l) => l.split(' ')[0] === this.netns);
  }

  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request({ socketPath: this.socket, path: '/_ping', timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  }
}
