import type { ChangeFeed, ContainerState, Engine } from '../engine/engine.js';
import { QUICK_CALL_MS } from '../common/deadline.js';
import { timeoutSignal } from '../common/timeout.js';

/** Engine calls after which a container may run differently: another start, other ports. */
const CHANGES = new Set<PropertyKey>([
  'startContainer',
  'stopContainer',
  'killContainer',
  'pauseContainer',
  'unpauseContainer',
  'removeContainer',
]);

/**
 * Running containers' states, read once per start of the container rather than once per
 * check attempt: what a container publishes changes only when it starts again. An entry is
 * forgotten when the container may have changed: a state-changing call through an engine that
 * `track` returned (a scenario's restart, stop, kill, pause; forgotten before the call and
 * again after it, so no read that overlapped it is kept), or any engine event for it other
 * than an exec (its restart policy, an OOM kill, a `docker restart` from outside). Without a
 * live feed of those events nothing is kept.
 */
export class StateCache {
  private readonly states = new Map<string, Promise<ContainerState>>();
  private readonly feeds = new WeakSet<ChangeFeed>();
  private readonly tracked = new WeakMap<Engine, Engine>();

  /** The container's state: the one read since its last change, when it was running. */
  read(
    engine: Engine,
    id: string,
    feed: ChangeFeed | undefined,
    signal?: AbortSignal,
  ): Promise<ContainerState> {
    if (!feed?.live) return engine.inspectContainer(id, signal);
    if (!this.feeds.has(feed)) {
      this.feeds.add(feed);
      feed.onChange((changed) => this.states.delete(changed));
    }
    let p = this.states.get(id);
    if (!p) {
      // Shared by every check that asks meanwhile: no one caller's signal may cut it short.
      p = engine.inspectContainer(id, timeoutSignal(QUICK_CALL_MS));
      this.states.set(id, p);
      const read = p;
      const drop = () => this.states.get(id) === read && this.states.delete(id);
      read.then((s) => s.status !== 'running' && drop(), drop);
    }
    return signal ? abortable(p, signal) : p;
  }

  /** The engine, telling this cache of every state-changing call made through it. */
  track(engine: Engine): Engine {
    let t = this.tracked.get(engine);
    if (!t) {
      t = new Proxy(engine, {
        get: (target, key) => {
          const v: unknown = Reflect.get(target, key, target);
          if (typeof v !== 'function') return v;
          if (!CHANGES.has(key)) return v.bind(target);
          return async (id: string, ...rest: unknown[]) => {
            this.states.delete(id);
            try {
              return await (v as (...a: unknown[]) => Promise<unknown>).call(target, id, ...rest);
            } finally {
              this.states.delete(id);
            }
          };
        },
      });
      this.tracked.set(engine, t);
    }
    return t;
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
