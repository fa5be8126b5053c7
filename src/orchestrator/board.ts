export type Readiness = 'healthy' | 'running' | 'completed';

interface Entry {
  started: Promise<void>;
  ready: Promise<Readiness>;
  /** Set once the service's topology has published it (or closed without doing so). */
  settled: boolean;
  follow: (started: Promise<void>, ready: Promise<Readiness>) => void;
}

/**
 * Every service of a run by `topology/service`, across topologies and nodes: how a service
 * waits for one of another topology (a topology's `depends_on`). Each topology's bring-up
 * publishes its services as it makes their tasks; a waiter may ask first and is answered when
 * they are published. A rejection's message says what became of the service ("failed: …").
 */
export class ServiceBoard {
  private readonly entries = new Map<string, Entry>();
  /** Topologies whose bring-up has ended, with what to tell a late waiter. */
  private readonly closed = new Map<string, string>();

  /** `topologies`: those this run brings up; a wait on any other fails at once. */
  constructor(private readonly topologies: ReadonlySet<string>) {}

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) {
      const started = follower<void>();
      const ready = follower<Readiness>();
      e = {
        started: started.promise,
        ready: ready.promise,
        settled: false,
        follow: (s, r) => {
          started.follow(s);
          ready.follow(r);
        },
      };
      this.entries.set(key, e);
      this.failUnsettled(key);
    }
    return e;
  }

  /** The service's start (`started`) and readiness (`ready`) as its topology's bring-up sees them. */
  publish(key: string, started: Promise<void>, ready: Promise<Readiness>): void {
    const e = this.entry(key);
    if (e.settled) return;
    e.settled = true;
    e.follow(started, ready);
  }

  /**
   * The topology's bring-up has ended: every wait on one of its services that no publish
   * answered, now or later, fails with `why`.
   */
  close(topology: string, why: string): void {
    this.closed.set(topology, why);
    for (const key of this.entries.keys())
      if (key.startsWith(`${topology}/`)) this.failUnsettled(key);
  }

  private failUnsettled(key: string): void {
    const why = this.closed.get(key.slice(0, key.indexOf('/')));
    if (why === undefined) return;
    const fail = Promise.reject(new Error(why));
    fail.catch(() => undefined);
    this.publish(key, fail, fail);
  }

  started(key: string): Promise<void> {
    return this.known(key) ?? this.entry(key).started;
  }

  ready(key: string): Promise<Readiness> {
    return this.known(key) ?? this.entry(key).ready;
  }

  private known(key: string): Promise<never> | undefined {
    const topology = key.slice(0, key.indexOf('/'));
    if (this.topologies.has(topology)) return undefined;
    return Promise.reject(new Error(`is not part of this run (topology "${topology}" is not)`));
  }
}

/** A promise that settles as the one it is later told to follow does. */
function follower<T>(): { promise: Promise<T>; follow: (p: Promise<T>) => void } {
  let follow!: (p: Promise<T>) => void;
  const promise = new Promise<T>((resolve, reject) => (follow = (p) => p.then(resolve, reject)));
  // A service nobody waits for must not surface as an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, follow };
}
