import type { Engine } from './engine.js';

/** Engine calls by node, then by method of the Engine interface (`inspectContainer`, `exec`, ...). */
export type EngineCalls = Record<string, Record<string, number>>;

/**
 * The engine, counting each call made through it by method into `into`: what a run asks of
 * each node shows in its results, so that a node asked far more than its share is seen. A
 * call counts once whatever it costs the engine (an exec is one call here, three requests
 * there); an event subscription counts once however long it lasts.
 */
export function countingEngine(engine: Engine, into: Record<string, number>): Engine {
  return new Proxy(engine, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key, target);
      if (typeof v !== 'function' || typeof key !== 'string') return v;
      return (...args: unknown[]) => {
        if (key !== 'close') into[key] = (into[key] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** Several runs' counts (a matrix's combinations) as one: the sums by node and method. */
export function sumEngineCalls(all: (EngineCalls | undefined)[]): EngineCalls | undefined {
  const present = all.filter((c) => c !== undefined);
  if (!present.length) return undefined;
  const out: EngineCalls = {};
  for (const calls of present)
    for (const [node, kinds] of Object.entries(calls)) {
      const n = (out[node] ??= {});
      for (const [kind, count] of Object.entries(kinds)) n[kind] = (n[kind] ?? 0) + count;
    }
  return out;
}
