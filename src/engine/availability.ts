import { performance } from 'node:perf_hooks';
import type { Engine } from './engine.js';
import { EngineError } from './errors.js';
import { timeoutSignal } from '../common/timeout.js';

/** When an engine stopped answering during a run, and what its last failure said. */
export interface EngineLoss {
  node: string;
  /** performance.now() of the first call that found it gone. */
  atMs: number;
  message: string;
}

/**
 * Watches one engine for the run: wraps it so the first call that finds it not answering
 * ('unavailable': its socket gone, the connection refused or cut, as while dockerd restarts)
 * is recorded, and can wait, bounded, for it to answer again before the run tears down.
 */
export class EngineAvailability {
  readonly engine: Engine;
  private loss?: EngineLoss;

  constructor(inner: Engine) {
    this.engine = new Proxy(inner, {
      get: (target, key) => {
        const v: unknown = Reflect.get(target, key, target);
        if (typeof v !== 'function' || typeof key !== 'string') return v;
        return (...args: unknown[]) => {
          const out = (v as (...a: unknown[]) => unknown).apply(target, args);
          if (out instanceof Promise) out.catch((e: unknown) => this.observe(inner.node, e));
          return out;
        };
      },
    });
  }

  /** The first loss seen since `sinceMs` (performance.now()), if any. */
  lost(sinceMs = 0): EngineLoss | undefined {
    return this.loss && this.loss.atMs >= sinceMs ? this.loss : undefined;
  }

  private observe(node: string, e: unknown): void {
    if (e instanceof EngineError && e.reason === 'unavailable' && !this.loss)
      this.loss = { node, atMs: performance.now(), message: e.json.message };
  }

  /**
   * Polls the engine (its /_ping-cheap version call) until it answers or `maxMs` passes;
   * true when it answers. A later loss is recorded afresh.
   */
  async waitBack(maxMs: number, signal?: AbortSignal, intervalMs = 250): Promise<boolean> {
    const until = performance.now() + maxMs;
    for (;;) {
      try {
        await this.engine.info(timeoutSignal(Math.min(5_000, maxMs)));
        this.loss = undefined;
        return true;
      } catch {
        if (performance.now() + intervalMs > until || signal?.aborted) return false;
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    }
  }
}
