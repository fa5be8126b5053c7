import type {
  ContainerOps,
  ContainerState,
  CreateContainerRequest,
  ExecResult,
  LabelFilter,
  LogLine,
  ResourceRef,
  SidecarRequest,
} from '../engine.js';
import { EngineError } from '../errors.js';
import { DEFAULT_STOP_TIMEOUT_S, signalNumber, type FakeState } from './model.js';

/** Containers in the fake: their life, signals, logs and helpers. */
export class FakeContainers implements ContainerOps {
  constructor(private readonly s: FakeState) {}

  createContainer(req: CreateContainerRequest): Promise<string> {
    return this.s.call('createContainer', req.name, () => {
      if (!this.s.hasImage(req.image))
        throw new EngineError('not-found', `No such image: ${req.image}`);
      for (const n of req.networks)
        if (!this.s.findNetwork(n.name))
          throw new EngineError('not-found', `network ${n.name} not found`);
      const volumes = req.service.mounts.flatMap((m) =>
        m.type === 'volume' && m.source ? [req.volumeNames[m.source] ?? m.source] : [],
      );
      // The engine makes a named volume that does not exist yet, unlabelled, as Docker does.
      for (const v of volumes)
        if (!this.s.volumeMap.has(v)) this.s.volumeMap.set(v, { id: v, name: v, labels: {} });
      const c = this.s.newContainer(
        req.name,
        req.image,
        { ...req.service.labels, ...req.labels },
        {
          service: req.service,
          networks: req.networks.map((n) => n.name),
          volumes,
          mounts: req.service.mounts.map((m) => ({
            type: m.type,
            source:
              m.type === 'volume'
                ? `/var/lib/docker/volumes/${m.source ? (req.volumeNames[m.source] ?? m.source) : this.s.newId('anonymous')}/_data`
                : m.type === 'bind'
                  ? (m.source ?? '')
                  : '',
            target: m.target,
            readOnly: 'readOnly' in m ? (m.readOnly ?? false) : false,
          })),
          ports: req.service.ports.map((p) => ({
            target: p.target,
            protocol: p.protocol,
            hostIp: p.hostIp ?? '0.0.0.0',
            hostPort:
              req.ephemeralPorts || p.published === undefined ? this.s.nextPort++ : p.published,
          })),
        },
      );
      // Secrets and configs from content/environment are copied in at create, as the real one does.
      for (const f of req.service.injectedFiles ?? [])
        this.s.writeFile(c.id, f.target, f.content ?? '', f.mode);
      return c.id;
    });
  }

  runSidecar(req: SidecarRequest): Promise<string> {
    return this.s.call('runSidecar', req.name, () => {
      if (!this.s.hasImage(req.image))
        throw new EngineError('not-found', `No such image: ${req.image}`);
      if (req.networkOf) this.s.find(req.networkOf);
      const c = this.s.newContainer(req.name, req.image, req.labels, {});
      this.s.begin(c);
      return c.id;
    });
  }

  startContainer(id: string): Promise<void> {
    return this.s.call('startContainer', this.s.nameOf(id), () => {
      const c = this.s.find(id);
      if (c.status === 'running' || c.status === 'paused') return;
      const refusal = this.s.takeStartFault(c, (f) => 'error' in f);
      if (refusal && 'error' in refusal) {
        c.error = refusal.error;
        throw new EngineError(500, refusal.error);
      }
      const taken = c.ports.find((p) =>
        this.s
          .containers()
          .some(
            (o) =>
              o !== c &&
              (o.status === 'running' || o.status === 'paused') &&
              o.ports.some((q) => q.hostPort === p.hostPort && q.protocol === p.protocol),
          ),
      );
      if (taken) {
        c.error = `Bind for 0.0.0.0:${taken.hostPort} failed: port is already allocated`;
        throw new EngineError('port-in-use', c.error, { port: taken.hostPort });
      }
      const held = c.ports.find((p) => this.s.heldPorts.has(p.hostPort));
      if (held) {
        c.error = `failed to bind host port for 0.0.0.0:${held.hostPort}:${this.s.addresses(c)[0]?.ipv4 ?? ''}:${held.target}/${held.protocol}: address already in use`;
        throw new EngineError('port-in-use', c.error, { port: held.hostPort });
      }
      c.manuallyStopped = false;
      this.s.begin(c);
    });
  }

  inspectContainer(id: string): Promise<ContainerState> {
    return this.s.call('inspectContainer', this.s.nameOf(id), () => this.s.state(this.s.find(id)));
  }

  stopContainer(id: string, graceMs: number | undefined, signal?: AbortSignal): Promise<void> {
    return this.s.call('stopContainer', this.s.nameOf(id), async () => {
      const c = this.s.find(id);
      if (c.status === 'restarting') {
        c.generation++;
        c.status = 'exited';
        c.manuallyStopped = true;
        return;
      }
      if (c.status !== 'running' && c.status !== 'paused') return;
      c.manuallyStopped = true;
      const sig = c.service?.stopSignal ?? 'SIGTERM';
      this.s.emit(c, 'kill', { signal: String(signalNumber(sig) ?? sig) });
      if (this.s.selected(c, this.s.sigtermIgnored)) {
        const gen = c.generation;
        const stopTimeoutS = c.service?.stopGracePeriodMs
          ? c.service.stopGracePeriodMs / 1000
          : DEFAULT_STOP_TIMEOUT_S;
        await this.s.clock.sleep(graceMs ?? stopTimeoutS * 1000, signal);
        if (c.generation !== gen) return;
        this.s.emit(c, 'kill', { signal: '9' });
        this.s.exit(c, 137, false);
      } else {
        this.s.exit(c, 0, false);
      }
      this.s.emit(c, 'stop');
    });
  }

  removeContainer(id: string): Promise<void> {
    return this.s.call('removeContainer', this.s.nameOf(id), () => {
      const c = this.s.containerMap.get(id) ?? this.s.byName(id);
      if (!c) return;
      if (c.status === 'running' || c.status === 'paused') {
        this.s.emit(c, 'kill', { signal: '9' });
        this.s.exit(c, 137, false);
      }
      c.generation++;
      this.s.emit(c, 'destroy');
      this.s.containerMap.delete(c.id);
    });
  }

  killContainer(id: string, sig: string): Promise<void> {
    return this.s.call('killContainer', this.s.nameOf(id), () => {
      const c = this.s.find(id);
      if (c.status !== 'running' && c.status !== 'paused') return;
      const n = signalNumber(sig);
      this.s.emit(c, 'kill', { signal: String(n ?? sig) });
      const dies =
        n === 9 || ((n === 15 || n === 2 || n === 3) && !this.s.selected(c, this.s.sigtermIgnored));
      if (!dies) return;
      c.manuallyStopped = true;
      this.s.exit(c, 128 + n!, false);
    });
  }

  pauseContainer(id: string): Promise<void> {
    return this.s.call('pauseContainer', this.s.nameOf(id), () => {
      const c = this.s.find(id);
      if (c.status === 'paused') return;
      if (c.status !== 'running')
        throw new EngineError('not-running', `container ${c.id} is not running`);
      c.status = 'paused';
      this.s.emit(c, 'pause');
    });
  }

  unpauseContainer(id: string): Promise<void> {
    return this.s.call('unpauseContainer', this.s.nameOf(id), () => {
      const c = this.s.find(id);
      if (c.status !== 'paused') return;
      c.status = 'running';
      this.s.emit(c, 'unpause');
    });
  }

  runTask(req: SidecarRequest): Promise<ExecResult> {
    return this.s.call('runTask', req.name, () => {
      if (!this.s.hasImage(req.image))
        throw new EngineError('not-found', `No such image: ${req.image}`);
      // The crash step's helper: SIGKILL to a container's main process from the host's pid namespace.
      const [cmd, flag, pid] = req.cmd;
      if (req.pidHost && cmd === 'kill' && flag === '-9' && pid) {
        const target = this.s.containers().find((c) => c.pid === Number(pid) && c.pid > 0);
        if (!target)
          return {
            exitCode: 1,
            stdout: '',
            stderr: `kill: can't kill pid ${pid}: No such process\n`,
          };
        this.s.exit(target, 137, true);
      }
      return { exitCode: 0, stdout: '', stderr: '' };
    });
  }

  containerLogs(id: string, tail: number): Promise<string> {
    return this.s.call('containerLogs', this.s.nameOf(id), () => {
      const lines = this.s.find(id).logs.slice(-tail);
      return lines.map((l) => `${l.text}\n`).join('');
    });
  }

  containerLogLines(id: string, opts: { sinceMs?: number }): Promise<LogLine[]> {
    return this.s.call('containerLogLines', this.s.nameOf(id), () =>
      this.s.find(id).logs.filter((l) => opts.sinceMs === undefined || l.timeMs >= opts.sinceMs),
    );
  }

  listContainers(labels: LabelFilter): Promise<ResourceRef[]> {
    return this.s.call('listContainers', '', () =>
      this.s.containers(labels).map((c) => ({ id: c.id, name: c.name, labels: { ...c.labels } })),
    );
  }
}
