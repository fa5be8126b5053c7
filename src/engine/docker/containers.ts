import type Docker from 'dockerode';
import type {
  ContainerConfig,
  ContainerOps,
  ContainerState,
  CreateContainerRequest,
  ExecResult,
  LabelFilter,
  LogLine,
  ResourceRef,
  SidecarRequest,
} from '../engine.js';
import { apiAtLeast } from '../api-version.js';
import { containerCreateBody } from '../container-spec.js';
import { injectedArchive } from '../inject-files.js';
import { QUICK_CALL_MS } from '../../common/deadline.js';
import { found, idempotent, sealed } from './call.js';
import type { DockerContext } from './context.js';
import { EngineError } from '../errors.js';
import { abortable, demux, demuxFrames, labelFilters } from './wire.js';
import { setTimeout } from 'node:timers/promises';
import { timeoutSignal } from '../../common/timeout.js';

/** Containers: create, start, stop, signal, inspect, logs, list, and stackcheck's own helpers. */
export class DockerContainers implements ContainerOps {
  /** Whether each container whose log was read has a terminal (hasTty). */
  private readonly ttys = new Map<string, Promise<boolean>>();

  constructor(private readonly ctx: DockerContext) {}

  private get docker(): Docker {
    return this.ctx.docker;
  }

  createContainer(req: CreateContainerRequest, signal?: AbortSignal): Promise<string> {
    return sealed(this.ctx.node, async () => {
      const c = await this.docker.createContainer({
        ...forApi(containerCreateBody(req), this.ctx.api),
        abortSignal: signal,
      });
      // One network is joined at create (all API versions); the others are connected before start.
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
      const files = req.service.injectedFiles ?? [];
      if (files.length > 0) {
        const { tar, keepOwners } = await injectedArchive(files);
        await abortable(
          signal,
          c.putArchive(tar, { path: '/', ...(keepOwners && { copyUIDGID: 'true' }) }),
        );
      }
      return c.id;
    });
  }

  runSidecar(req: SidecarRequest, signal?: AbortSignal): Promise<string> {
    return sealed(this.ctx.node, async () => {
      const c = await this.createHelper(req, signal);
      try {
        await c.start({ abortSignal: signal });
      } catch (e) {
        // A sidecar that could not start (its service stopped meanwhile) is not left behind.
        await c.remove({ force: true }).catch(() => undefined);
        throw e;
      }
      return c.id;
    });
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
        // An init reaps and forwards signals only as PID 1; in the host's PID namespace it
        // cannot be, and Podman refuses the pair ("cannot add init binary as PID 1").
        Init: !req.pidHost,
      },
      abortSignal: signal,
    });
  }

  runTask(req: SidecarRequest, signal?: AbortSignal): Promise<ExecResult> {
    return sealed(this.ctx.node, async () => {
      const c = await this.createHelper(req, signal);
      try {
        await c.start({ abortSignal: signal });
        const { StatusCode } = (await abortable(signal, c.wait())) as { StatusCode: number };
        const raw = await c.logs({
          stdout: true,
          stderr: true,
          follow: false,
          abortSignal: signal,
        });
        const frames = demuxFrames(raw);
        const text = (which: 'stdout' | 'stderr') =>
          Buffer.concat(frames.filter((f) => f.stream === which).map((f) => f.data)).toString(
            'utf8',
          );
        return { exitCode: StatusCode, stdout: text('stdout'), stderr: text('stderr') };
      } finally {
        await idempotent(this.ctx.node, () => c.remove({ force: true }));
      }
    });
  }

  killContainer(id: string, sig: string, signal?: AbortSignal): Promise<void> {
    return idempotent(this.ctx.node, () =>
      this.docker.getContainer(id).kill({ signal: sig, abortSignal: signal }),
    );
  }

  async pauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await sealed(this.ctx.node, () =>
        this.docker.getContainer(id).pause({ abortSignal: signal }),
      );
    } catch (e) {
      // Pausing what is paused is done; pausing what is not running (or not there) is not.
      if (e instanceof EngineError && e.reason === 'already') return;
      throw e;
    }
  }

  unpauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    return idempotent(this.ctx.node, () =>
      this.docker.getContainer(id).unpause({ abortSignal: signal }),
    );
  }

  startContainer(id: string, signal?: AbortSignal): Promise<void> {
    return idempotent(this.ctx.node, () =>
      this.docker.getContainer(id).start({ abortSignal: signal }),
    );
  }

  inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerState> {
    return sealed(this.ctx.node, async () =>
      containerState(await this.docker.getContainer(id).inspect({ abortSignal: signal })),
    );
  }

  stopContainer(id: string, graceMs: number | undefined, signal?: AbortSignal): Promise<void> {
    const t = graceMs === undefined ? {} : { t: Math.ceil(graceMs / 1000) };
    return idempotent(this.ctx.node, () =>
      this.docker.getContainer(id).stop({ ...t, abortSignal: signal }),
    );
  }

  async removeContainer(id: string, signal?: AbortSignal): Promise<void> {
    const c = this.docker.getContainer(id);
    try {
      await sealed(this.ctx.node, () => c.remove({ force: true, v: true, abortSignal: signal }));
    } catch (e) {
      if (e instanceof EngineError && e.reason === 'not-found') return;
      if (!(e instanceof EngineError && e.reason === 'already')) throw e;
      // Another client's removal is under way (two sweeps of one dead run): done once it is,
      // not before, or the network it still joins cannot be removed next.
      const deadline = signal ?? timeoutSignal(QUICK_CALL_MS);
      while (await found(this.ctx.node, () => c.inspect({ abortSignal: deadline })))
        await setTimeout(50, undefined, { signal: deadline });
    }
  }

  containerLogs(id: string, tail: number, signal?: AbortSignal): Promise<string> {
    return sealed(this.ctx.node, async () => {
      const c = this.docker.getContainer(id);
      const [raw, tty] = await Promise.all([
        c.logs({ stdout: true, stderr: true, tail, follow: false, abortSignal: signal }),
        this.hasTty(id, signal),
      ]);
      return tty ? raw.toString('utf8') : demux(raw);
    });
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
        .inspect({ abortSignal: timeoutSignal(QUICK_CALL_MS) })
        .then((info) => info.Config.Tty);
      this.ttys.set(id, tty);
      tty.catch(() => this.ttys.delete(id));
    }
    return abortable(signal, tty);
  }

  containerLogLines(
    id: string,
    opts: { sinceMs?: number },
    signal?: AbortSignal,
  ): Promise<LogLine[]> {
    return sealed(this.ctx.node, async () => {
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
            return {
              timeMs: Date.parse(line.slice(0, space)),
              stream,
              text: line.slice(space + 1),
            };
          })
          .filter((l) => opts.sinceMs === undefined || l.timeMs >= opts.sinceMs),
      );
    });
  }

  listContainers(labels: LabelFilter, signal?: AbortSignal): Promise<ResourceRef[]> {
    return sealed(this.ctx.node, async () => {
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
    });
  }
}

/**
 * The create body as the negotiated API version takes it: from 1.44 the MAC address belongs to
 * the first network's endpoint (Config.MacAddress is deprecated there) and StartInterval is
 * known; before, StartInterval is left out. An unnegotiated client sends the body as built.
 */
export function forApi(body: Docker.ContainerCreateOptions, api: string | undefined) {
  if (api === undefined) return body;
  const out = { ...body };
  if (apiAtLeast(api, '1.44')) {
    const mac = out.MacAddress;
    const endpoints = out.NetworkingConfig?.EndpointsConfig;
    const first = endpoints && Object.keys(endpoints)[0];
    if (mac && first) {
      delete out.MacAddress;
      out.NetworkingConfig = {
        EndpointsConfig: { ...endpoints, [first]: { ...endpoints[first], MacAddress: mac } },
      };
    }
  } else if (out.Healthcheck && 'StartInterval' in out.Healthcheck) {
    const hc = { ...out.Healthcheck } as { StartInterval?: number };
    delete hc.StartInterval;
    out.Healthcheck = hc;
  }
  return out;
}

/** What stackcheck reads of an inspect answer (fields as every API version from 1.41 gives them). */
export function containerState(c: Docker.ContainerInspectInfo): ContainerState {
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
    // Addresses only from NetworkSettings.Networks: the top-level IPAddress and Gateway are
    // deprecated from API 1.44 and gone in later engines.
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

interface DockerHealth {
  Status: string;
  FailingStreak: number;
  Log?: { ExitCode: number; Output: string }[];
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
