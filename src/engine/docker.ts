import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { on } from 'node:events';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { errorMessage, UserError } from '../common/errors.js';
import { containerCreateBody } from './container-spec.js';
import { SshDialAgent } from './ssh-agent.js';
import { parsePublicKey, type PublicKey } from '../common/ssh-keys.js';
import { defaultKnownHosts, HostKeyCheck } from './known-hosts.js';
import type {
  BuildRequest,
  ContainerConfig,
  ContainerEvent,
  ContainerState,
  CreateContainerRequest,
  CreateNetworkRequest,
  CreateVolumeRequest,
  Engine,
  EngineInfo,
  ExecRequest,
  ExecResult,
  LabelFilter,
  SidecarRequest,
  LogLine,
  ResourceRef,
} from './engine.js';
import { engineMessage } from './engine.js';
import { QUICK_CALL_MS } from '../orchestrator/deadline.js';

export interface DockerEngineOptions {
  node: string;
  /** unix://, tcp://, ssh://, npipe://; undefined: DOCKER_HOST or the default socket. */
  url?: string;
  /** Client certificate and key may be left out: an engine that asks for none is still verified. */
  tls?: { ca: string; cert?: string; key?: string };
  /** Private key file for ssh://; undefined: the agent and OpenSSH's default key files. */
  identity?: string;
  /** The environment variable that holds the identity's passphrase. */
  passphraseEnv?: string;
  /** A known_hosts file that replaces OpenSSH's own for this engine. */
  knownHosts?: string;
  /** Host keys (`TYPE BASE64`) that alone are trusted; they replace every known_hosts file. */
  hostKey?: string[];
  /** Accept (and record) a host key no known_hosts file lists; a changed key is still refused. */
  acceptNewHostKey?: boolean;
}

/** dockerode's constructor options for an engine URL, as `docker -H` reads it. */
export function dockerodeOptions(o: DockerEngineOptions): Docker.DockerOptions {
  const url = o.url ?? process.env.DOCKER_HOST;
  if (!url) return { socketPath: '/var/run/docker.sock' };
  const u = new URL(url);
  switch (u.protocol) {
    case 'unix:':
      return { socketPath: u.pathname };
    case 'npipe:':
      return { socketPath: `//./pipe${u.pathname.replace(/^\/+pipe/, '')}` };
    case 'ssh:': {
      const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = Number(u.port || 22);
      const connect = {
        host,
        port,
        // As ssh itself: the local user's name where the URL names none.
        username: decodeURIComponent(u.username) || userInfo().username,
        ...sshAuth(o),
      };
      const hostKeys = new HostKeyCheck({
        node: o.node,
        host,
        port,
        pinned: o.hostKey?.map((k) => pinnedKey(o.node, k)),
        files: o.knownHosts ? [o.knownHosts] : defaultKnownHosts(),
        acceptNew: o.acceptNewHostKey ?? false,
      });
      // Plain HTTP whose connections are dial-stdio channels on shared ssh connections
      // (docker-modem takes an `agent`; dockerode's types leave it out).
      return {
        protocol: 'http',
        host,
        port,
        agent: new SshDialAgent({ connect, hostKeys, keyError: (why) => keyError(o, why) }),
      } as Docker.DockerOptions;
    }
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tls = o.tls ?? tlsFromEnv();
      return {
        protocol: tls || u.protocol === 'https:' ? 'https' : 'http',
        host: u.hostname,
        port: Number(u.port || (tls ? 2376 : 2375)),
        ...(tls && {
          ca: tlsFile(o.node, 'ca', tls.ca),
          ...(tls.cert && { cert: tlsFile(o.node, 'cert', tls.cert) }),
          ...(tls.key && { key: tlsFile(o.node, 'key', tls.key) }),
        }),
      };
    }
    default:
      throw new UserError({
        message: `engine URL "${url}" has an unsupported scheme`,
        hint: 'Use unix://, tcp://, ssh:// or npipe://.',
      });
  }
}

function pinnedKey(node: string, text: string): PublicKey {
  const key = parsePublicKey(text);
  if (typeof key === 'string')
    throw new UserError({ message: `the hostKey of node "${node}" is not a public key: ${key}` });
  return key;
}

/** The key files OpenSSH tries when it is given none, in its order. */
const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/**
 * ssh2 offers the key file before the agent's keys. A key the manifest names must be readable;
 * without one, the first of OpenSSH's default key files that exists is offered. A key with a
 * passphrase is opened with the one in the node's `passphraseEnv`, else left to the agent,
 * which holds it opened (`ssh-add`).
 */
function sshAuth(o: DockerEngineOptions): {
  agent?: string;
  privateKey?: Buffer;
  passphrase?: string;
} {
  const agent = process.env.SSH_AUTH_SOCK || undefined;
  const file =
    o.identity ?? DEFAULT_IDENTITIES.map((f) => join(homedir(), '.ssh', f)).find(existsSync);
  if (!file) return { agent };
  let privateKey: Buffer;
  try {
    privateKey = readFileSync(file);
  } catch (e) {
    throw new UserError({
      message: `the ssh key file of node "${o.node}" (${file}) cannot be read: ${errorMessage(e)}`,
      hint: "Point the node's `identity:` at a readable private key, or leave it out to use the ssh agent.",
    });
  }
  if (o.passphraseEnv) {
    const passphrase = process.env[o.passphraseEnv];
    if (!passphrase)
      throw new UserError({
        message: `the ssh key file of node "${o.node}" (${file}) is to be opened with the passphrase in $${o.passphraseEnv} (the node's passphraseEnv), and that variable is not set`,
        hint: `Set ${o.passphraseEnv} for stackcheck (in CI, from a secret), or leave passphraseEnv out to use the ssh agent.`,
      });
    return { agent, privateKey, passphrase };
  }
  if (!isEncryptedKey(privateKey.toString('latin1'))) return { agent, privateKey };
  if (agent) return { agent };
  throw new UserError({
    message: `the ssh key file of node "${o.node}" (${file}) has a passphrase, and nothing here can open it: no ssh agent (SSH_AUTH_SOCK is not set) and no passphraseEnv on the node`,
    hint: `Add the key to an agent (\`eval "$(ssh-agent)"; ssh-add ${file}\`) before stackcheck runs, or put the passphrase in an environment variable and name it in the node's \`passphraseEnv:\`.`,
  });
}

function keyError(o: DockerEngineOptions, why: string): UserError {
  const file = o.identity ?? 'its default key file';
  return new UserError({
    message: `the ssh key file of node "${o.node}" (${file}) cannot be opened${o.passphraseEnv ? ` with the passphrase in $${o.passphraseEnv}` : ''}: ${why}`,
    hint: o.passphraseEnv
      ? `Check that ${o.passphraseEnv} holds this key's passphrase (\`ssh-keygen -y -f ${file}\` asks for it).`
      : "Point the node's `identity:` at an OpenSSH private key (ssh-keygen writes one).",
  });
}

/**
 * Whether a private key file is encrypted: an OpenSSH key whose cipher is not "none", or a
 * PEM key marked ENCRYPTED. Read here, before ssh2 is loaded, so that such a key without its
 * passphrase goes to the agent instead of failing the connection.
 */
export function isEncryptedKey(text: string): boolean {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) return true;
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END/.exec(text);
  if (!m) return false;
  const raw = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (raw.toString('latin1', 0, magic.length) !== magic) return false;
  const n = raw.readUInt32BE(magic.length);
  return raw.toString('latin1', magic.length + 4, magic.length + 4 + n) !== 'none';
}

const TLS_FILES = { ca: 'CA certificate', cert: 'client certificate', key: 'client key' };

function tlsFile(node: string, which: keyof typeof TLS_FILES, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UserError({
      message: `the TLS ${TLS_FILES[which]} file of node "${node}" (tls.${which}: ${path}) cannot be read: ${errorMessage(e)}`,
      hint: `Point the node's \`tls.${which}\` at the file (paths are relative to the manifest), or set DOCKER_CERT_PATH to a folder with ca.pem, cert.pem and key.pem.`,
    });
  }
}

function tlsFromEnv(): DockerEngineOptions['tls'] {
  const dir = process.env.DOCKER_CERT_PATH;
  if (!dir || process.env.DOCKER_TLS_VERIFY !== '1') return undefined;
  return { ca: `${dir}/ca.pem`, cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
}

/** Stops waiting when `signal` aborts, for the dockerode calls that take no signal of their own. */
export function abortable<T>(signal: AbortSignal | undefined, p: Promise<T>): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function labelFilters(labels: LabelFilter): string[] {
  return Object.entries(labels).map(([k, v]) => (v === true ? k : `${k}=${v}`));
}

function statusCode(e: unknown): number | undefined {
  return (e as { statusCode?: number }).statusCode;
}

/** Runs `fn` ignoring answers that mean the thing is already as asked: gone (404), stopped, unpaused (409). */
async function idempotent(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const code = statusCode(e);
    if (code === 404 || code === 304) return;
    if (
      code === 409 &&
      /already in progress|is not running|is already stopped|is not paused/i.test(engineMessage(e))
    )
      return;
    throw e;
  }
}

export class DockerEngine implements Engine {
  readonly node: string;
  private readonly docker: Docker;
  /** Whether each container whose log was read has a terminal (hasTty). */
  private readonly ttys = new Map<string, Promise<boolean>>();

  constructor(o: DockerEngineOptions) {
    this.node = o.node;
    this.docker = new Docker(dockerodeOptions(o));
  }

  async info(signal?: AbortSignal): Promise<EngineInfo> {
    const v = await abortable(signal, this.docker.version());
    const info = (await abortable(signal, this.docker.info())) as {
      Runtimes?: Record<string, unknown>;
    };
    const agent = (this.docker.modem as { agent?: unknown }).agent;
    const notices = agent instanceof SshDialAgent ? agent.takeNotices() : [];
    return {
      version: v.Version,
      apiVersion: v.ApiVersion,
      os: v.Os,
      runtimes: Object.keys(info.Runtimes ?? {}),
      ...(notices.length && { notices }),
    };
  }

  async imageExists(ref: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await abortable(signal, this.docker.getImage(ref).inspect());
      return true;
    } catch (e) {
      if (statusCode(e) === 404) return false;
      throw e;
    }
  }

  async pullImage(ref: string, signal?: AbortSignal): Promise<void> {
    const stream = (await this.docker.pull(ref, { abortSignal: signal })) as Readable;
    await this.follow(stream);
  }

  async buildImage(req: BuildRequest, signal?: AbortSignal): Promise<void> {
    const b = req.build;
    const stream = await this.docker.buildImage(
      { context: b.context, src: readdirSync(b.context) },
      {
        t: req.tag,
        dockerfile: b.dockerfile,
        buildargs: b.args,
        target: b.target ?? '',
        labels: { ...b.labels, ...req.labels },
        rm: true,
        forcerm: true,
        abortSignal: signal,
      },
    );
    await this.follow(stream, req.onProgress);
  }

  saveImage(ref: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
    return abortable(signal, this.docker.getImage(ref).get());
  }

  async loadImage(tarball: NodeJS.ReadableStream, signal?: AbortSignal): Promise<void> {
    const stream = (await this.docker.loadImage(tarball, { abortSignal: signal })) as Readable;
    await this.follow(stream);
  }

  /** Reads a JSON-lines progress stream; the daemon reports build and pull failures inside it. */
  private follow(
    stream: NodeJS.ReadableStream,
    onProgress?: (line: string) => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null, output: { error?: string; errorDetail?: { message?: string } }[]) => {
          const failed = output?.find((o) => o.error || o.errorDetail);
          if (err) reject(err);
          else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
          else resolve();
        },
        (event: { stream?: string; status?: string }) => {
          const line = (event.stream ?? event.status ?? '').trim();
          if (line && onProgress) onProgress(line);
        },
      );
    });
  }

  async createNetwork(req: CreateNetworkRequest, signal?: AbortSignal): Promise<string> {
    const s = req.spec;
    const net = await this.docker.createNetwork({
      Name: req.name,
      Driver: s.driver ?? 'bridge',
      Options: s.driverOpts,
      Internal: s.internal,
      Attachable: s.attachable,
      EnableIPv6: s.enableIpv6,
      CheckDuplicate: true,
      Labels: { ...s.labels, ...req.labels },
      IPAM: s.ipam && {
        Driver: s.ipam.driver ?? 'default',
        Config: s.ipam.config.map((c) => ({
          Subnet: c.subnet,
          Gateway: c.gateway,
          IPRange: c.ipRange,
        })),
      },
      abortSignal: signal,
    } as Docker.NetworkCreateOptions);
    return net.id;
  }

  async networkExists(name: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await abortable(signal, this.docker.getNetwork(name).inspect());
      return true;
    } catch (e) {
      if (statusCode(e) === 404) return false;
      throw e;
    }
  }

  removeNetwork(id: string, signal?: AbortSignal): Promise<void> {
    return idempotent(() => this.docker.getNetwork(id).remove({ abortSignal: signal }));
  }

  async createVolume(req: CreateVolumeRequest, signal?: AbortSignal): Promise<string> {
    await this.docker.createVolume({
      Name: req.name,
      Driver: req.spec.driver ?? 'local',
      DriverOpts: req.spec.driverOpts,
      Labels: { ...req.spec.labels, ...req.labels },
      abortSignal: signal,
    });
    return req.name;
  }

  removeVolume(name: string, signal?: AbortSignal): Promise<void> {
    return idempotent(() => this.docker.getVolume(name).remove({ abortSignal: signal }));
  }

  async createContainer(req: CreateContainerRequest, signal?: AbortSignal): Promise<string> {
    const c = await this.docker.createContainer({
      ...containerCreateBody(req),
      abortSignal: signal,
    });
    // API 1.41 joins one network at create; the others are connected before start.
    for (const n of req.networks.slice(1)) {
      await abortable(
        signal,
        this.docker.getNetwork(n.name).connect({
          Container: c.id,
          EndpointConfig: {
            Aliases: n.aliases,
            ...(n.ipv4Address || n.ipv6Address
              ? { IPAMConfig: { IPv4Address: n.ipv4Address, IPv6Address: n.ipv6Address } }
              : {}),
          },
        }),
      );
    }
    return c.id;
  }

  async runSidecar(req: SidecarRequest, signal?: AbortSignal): Promise<string> {
    const c = await this.createHelper(req, signal);
    try {
      await c.start({ abortSignal: signal });
    } catch (e) {
      // A sidecar that could not start (its service stopped meanwhile) is not left behind.
      await c.remove({ force: true }).catch(() => undefined);
      throw e;
    }
    return c.id;
  }

  private createHelper(req: SidecarRequest, signal?: AbortSignal): Promise<Docker.Container> {
    return this.docker.createContainer({
      name: req.name,
      Image: req.image,
      Cmd: req.cmd,
      Labels: req.labels,
      HostConfig: {
        NetworkMode: req.networkOf ? `container:${req.networkOf}` : undefined,
        PidMode: req.pidHost ? 'host' : undefined,
        CapAdd: req.capAdd,
        Init: true,
      },
      abortSignal: signal,
    });
  }

  async runTask(req: SidecarRequest, signal?: AbortSignal): Promise<ExecResult> {
    const c = await this.createHelper(req, signal);
    try {
      await c.start({ abortSignal: signal });
      const { StatusCode } = (await abortable(signal, c.wait())) as { StatusCode: number };
      const raw = await c.logs({ stdout: true, stderr: true, follow: false, abortSignal: signal });
      const frames = demuxFrames(raw);
      const text = (which: 'stdout' | 'stderr') =>
        Buffer.concat(frames.filter((f) => f.stream === which).map((f) => f.data)).toString('utf8');
      return { exitCode: StatusCode, stdout: text('stdout'), stderr: text('stderr') };
    } finally {
      await idempotent(() => c.remove({ force: true }));
    }
  }

  killContainer(id: string, sig: string, signal?: AbortSignal): Promise<void> {
    return idempotent(() =>
      this.docker.getContainer(id).kill({ signal: sig, abortSignal: signal }),
    );
  }

  async pauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.docker.getContainer(id).pause({ abortSignal: signal });
    } catch (e) {
      // Pausing what is paused is done; pausing what is not running (or not there) is not.
      if (statusCode(e) === 409 && /is already paused/i.test(engineMessage(e))) return;
      throw e;
    }
  }

  unpauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    return idempotent(() => this.docker.getContainer(id).unpause({ abortSignal: signal }));
  }

  async startContainer(id: string, signal?: AbortSignal): Promise<void> {
    await idempotent(() => this.docker.getContainer(id).start({ abortSignal: signal }));
  }

  async inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerState> {
    const c = await this.docker.getContainer(id).inspect({ abortSignal: signal });
    const st = c.State as Docker.ContainerInspectInfo['State'] & { Health?: DockerHealth };
    const ports = Object.entries(c.NetworkSettings.Ports ?? {}).flatMap(([key, binds]) => {
      const [target, protocol] = key.split('/');
      return (binds ?? []).map((b) => ({
        target: Number(target),
        protocol: protocol ?? 'tcp',
        hostIp: b.HostIp,
        hostPort: Number(b.HostPort),
      }));
    });
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      status: st.Status as ContainerState['status'],
      running: st.Running,
      exitCode: st.ExitCode,
      oomKilled: st.OOMKilled,
      restartCount: c.RestartCount,
      pid: st.Pid,
      error: st.Error || undefined,
      startedAt: st.StartedAt,
      finishedAt: st.FinishedAt,
      // Podman reports a Health with an empty Status for a container without a healthcheck.
      health: st.Health?.Status
        ? {
            status: st.Health.Status as 'starting' | 'healthy' | 'unhealthy',
            failingStreak: st.Health.FailingStreak,
            log: (st.Health.Log ?? []).map((l) => ({ exitCode: l.ExitCode, output: l.Output })),
          }
        : undefined,
      ports,
      networks: Object.entries(c.NetworkSettings.Networks ?? {}).map(([name, n]) => ({
        name,
        ipv4: n.IPAddress || undefined,
        ipv6: n.GlobalIPv6Address || undefined,
        gateway: n.Gateway || n.IPv6Gateway || undefined,
      })),
      exposedPorts: [
        ...new Set([
          ...Object.keys(c.Config.ExposedPorts ?? {}),
          ...Object.keys(c.NetworkSettings.Ports ?? {}),
        ]),
      ].map((key) => {
        const [port, protocol] = key.split('/');
        return { port: Number(port), protocol: protocol ?? 'tcp' };
      }),
      labels: c.Config.Labels ?? {},
      image: c.Config.Image,
      imageId: c.Image,
      config: containerConfig(c),
      stopSignal: (c.Config as { StopSignal?: string }).StopSignal || undefined,
      stopTimeoutSec: (c.Config as { StopTimeout?: number }).StopTimeout ?? undefined,
      deviceRequests: (c.HostConfig.DeviceRequests ?? []).map((d) => ({
        driver: d.Driver || undefined,
        count: d.Count,
        deviceIds: d.DeviceIDs ?? undefined,
        capabilities: d.Capabilities ?? [],
      })),
    };
  }

  stopContainer(id: string, graceMs: number | undefined, signal?: AbortSignal): Promise<void> {
    const t = graceMs === undefined ? {} : { t: Math.ceil(graceMs / 1000) };
    return idempotent(() => this.docker.getContainer(id).stop({ ...t, abortSignal: signal }));
  }

  removeContainer(id: string, signal?: AbortSignal): Promise<void> {
    return idempotent(() =>
      this.docker.getContainer(id).remove({ force: true, v: true, abortSignal: signal }),
    );
  }

  async containerLogs(id: string, tail: number, signal?: AbortSignal): Promise<string> {
    const c = this.docker.getContainer(id);
    const [raw, tty] = await Promise.all([
      c.logs({ stdout: true, stderr: true, tail, follow: false, abortSignal: signal }),
      this.hasTty(id, signal),
    ]);
    return tty ? raw.toString('utf8') : demux(raw);
  }

  /**
   * Whether the container has a terminal (its log is then one raw stream, not framed): fixed
   * for its life, so read once, not on every poll of a log (a propagation's, a logs check's).
   */
  private hasTty(id: string, signal?: AbortSignal): Promise<boolean> {
    let tty = this.ttys.get(id);
    if (!tty) {
      // Shared by every read meanwhile: no one caller's signal may cut it short.
      tty = this.docker
        .getContainer(id)
        .inspect({ abortSignal: AbortSignal.timeout(QUICK_CALL_MS) })
        .then((info) => info.Config.Tty);
      this.ttys.set(id, tty);
      tty.catch(() => this.ttys.delete(id));
    }
    return abortable(signal, tty);
  }

  async containerLogLines(
    id: string,
    opts: { sinceMs?: number },
    signal?: AbortSignal,
  ): Promise<LogLine[]> {
    const c = this.docker.getContainer(id);
    const [raw, tty] = await Promise.all([
      c.logs({
        stdout: true,
        stderr: true,
        follow: false,
        timestamps: true,
        since: opts.sinceMs === undefined ? 0 : Math.floor(opts.sinceMs / 1000),
        abortSignal: signal,
      }),
      this.hasTty(id, signal),
    ]);
    const frames = tty ? [{ stream: 'stdout' as const, data: raw }] : demuxFrames(raw);
    return frames.flatMap(({ stream, data }) =>
      data
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const space = line.indexOf(' ');
          return { timeMs: Date.parse(line.slice(0, space)), stream, text: line.slice(space + 1) };
        })
        .filter((l) => opts.sinceMs === undefined || l.timeMs >= opts.sinceMs),
    );
  }

  async exec(id: string, req: ExecRequest, signal?: AbortSignal): Promise<ExecResult> {
    const exec = await abortable(
      signal,
      this.docker.getContainer(id).exec({
        Cmd: req.cmd,
        User: req.user,
        Env: req.env && Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
        WorkingDir: req.workingDir,
        AttachStdout: true,
        AttachStderr: true,
      }),
    );
    const stream = await abortable(signal, exec.start({ hijack: true, stdin: false }));
    const chunks: Buffer[] = [];
    stream.on('data', (d: Buffer) => chunks.push(d));
    try {
      await abortable(
        signal,
        new Promise<void>((resolve, reject) => stream.on('end', resolve).on('error', reject)),
      );
    } finally {
      stream.destroy();
    }
    const frames = demuxFrames(Buffer.concat(chunks));
    const text = (which: 'stdout' | 'stderr') =>
      Buffer.concat(frames.filter((f) => f.stream === which).map((f) => f.data)).toString('utf8');
    const info = await abortable(signal, exec.inspect());
    return { exitCode: info.ExitCode ?? -1, stdout: text('stdout'), stderr: text('stderr') };
  }

  readArchive(id: string, path: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
    return abortable(signal, this.docker.getContainer(id).getArchive({ path }));
  }

  async listContainers(labels: LabelFilter, signal?: AbortSignal): Promise<ResourceRef[]> {
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: labelFilters(labels) },
      abortSignal: signal,
    });
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
      labels: c.Labels,
    }));
  }

  async listNetworks(labels: LabelFilter, signal?: AbortSignal): Promise<ResourceRef[]> {
    const list = await this.docker.listNetworks({
      filters: { label: labelFilters(labels) },
      abortSignal: signal,
    });
    return list.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
  }

  async listVolumes(labels: LabelFilter, signal?: AbortSignal): Promise<ResourceRef[]> {
    const res = await this.docker.listVolumes({
      filters: { label: labelFilters(labels) },
      abortSignal: signal,
    });
    return (res.Volumes ?? []).map((v) => ({ id: v.Name, name: v.Name, labels: v.Labels ?? {} }));
  }

  async *containerEvents(
    labels: LabelFilter,
    signal: AbortSignal,
    window?: { sinceMs: number; untilMs: number },
  ): AsyncIterable<ContainerEvent> {
    const stream = (await this.docker.getEvents({
      filters: { type: ['container'], label: labelFilters(labels) },
      // The API takes "seconds.nanoseconds" strings; the typings only know whole numbers.
      ...(window &&
        ({ since: engineTime(window.sinceMs), until: engineTime(window.untilMs) } as unknown as {
          since: number;
          until: number;
        })),
      abortSignal: signal,
    })) as unknown as Readable;
    let pending = '';
    try {
      // events.on ends with an AbortError when `signal` aborts (readline would not), and at the end of a window.
      for await (const [chunk] of on(stream, 'data', {
        signal,
        close: ['end', 'close'],
      }) as AsyncIterable<[Buffer]>) {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          if (!line.trim()) continue;
          const e = JSON.parse(line) as DockerEvent;
          yield {
            id: e.id,
            action: e.Action,
            labels: e.Actor?.Attributes ?? {},
            timeMs: (e.timeNano ?? 0) / 1e6,
          };
        }
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    } finally {
      stream.destroy();
    }
  }

  async close(): Promise<void> {
    // ssh connections hold the process open; the others are per-request.
    (this.docker.modem as { agent?: { destroy?: () => void } }).agent?.destroy?.();
  }
}

/** The engine reads `123.456` as 123 s and 456 ns: fractions must be written in nanoseconds. */
export function engineTime(epochMs: number): string {
  const sec = Math.floor(epochMs / 1000);
  const nanos = Math.round((epochMs - sec * 1000) * 1e6);
  return `${sec}.${String(nanos).padStart(9, '0')}`;
}

interface DockerEvent {
  id: string;
  Action: string;
  Actor?: { Attributes?: Record<string, string> };
  timeNano?: number;
}

interface DockerHealth {
  Status: string;
  FailingStreak: number;
  Log?: { ExitCode: number; Output: string }[];
}

/** Docker multiplexes stdout and stderr in 8-byte framed chunks when there is no TTY. */
export function demuxFrames(buf: Buffer): { stream: 'stdout' | 'stderr'; data: Buffer }[] {
  const out: { stream: 'stdout' | 'stderr'; data: Buffer }[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    out.push({
      stream: buf[i] === 2 ? 'stderr' : 'stdout',
      data: buf.subarray(i + 8, i + 8 + len),
    });
    i += 8 + len;
  }
  return out;
}

function demux(buf: Buffer): string {
  return Buffer.concat(demuxFrames(buf).map((f) => f.data)).toString('utf8');
}

/** The security-relevant configuration from an inspect answer. */
function containerConfig(c: Docker.ContainerInspectInfo): ContainerConfig {
  const h = c.HostConfig;
  return {
    user: c.Config.User ?? '',
    env: Object.fromEntries(
      (c.Config.Env ?? []).map((e) => {
        const eq = e.indexOf('=');
        return eq < 0 ? [e, ''] : [e.slice(0, eq), e.slice(eq + 1)];
      }),
    ),
    privileged: h.Privileged ?? false,
    readonlyRootfs: h.ReadonlyRootfs ?? false,
    capAdd: h.CapAdd ?? [],
    memoryBytes: h.Memory ?? 0,
    nanoCpus: h.NanoCpus ?? 0,
    cpuQuota: h.CpuQuota ?? 0,
    cpuPeriod: h.CpuPeriod ?? 0,
    mounts: (c.Mounts ?? []).map((m) => ({
      type: m.Type,
      source: m.Source,
      target: m.Destination,
      readOnly: !m.RW,
    })),
  };
}
