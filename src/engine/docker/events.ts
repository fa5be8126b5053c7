import { on } from 'node:events';
import type { Readable } from 'node:stream';
import type { ContainerEvent, EventOps, LabelFilter } from '../engine.js';
import { toEngineError } from './call.js';
import type { DockerContext } from './context.js';
import { engineTime, labelFilters } from './wire.js';

/** The engine's container events, live or for a recorded window. */
export class DockerEvents implements EventOps {
  constructor(private readonly ctx: DockerContext) {}

  async *containerEvents(
    labels: LabelFilter,
    signal: AbortSignal,
    window?: { sinceMs: number; untilMs: number },
  ): AsyncIterable<ContainerEvent> {
    let stream: Readable;
    try {
      stream = (await this.ctx.docker.getEvents({
        filters: { type: ['container'], label: labelFilters(labels) },
        // The API takes "seconds.nanoseconds" strings; the typings only know whole numbers.
        ...(window &&
          ({ since: engineTime(window.sinceMs), until: engineTime(window.untilMs) } as unknown as {
            since: number;
            until: number;
          })),
        abortSignal: signal,
      })) as unknown as Readable;
    } catch (e) {
      throw toEngineError(e, this.ctx.node);
    }
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
          const e = parseEvent(line);
          if (e) yield e;
        }
      }
    } catch (e) {
      if (!signal.aborted) throw toEngineError(e, this.ctx.node);
    } finally {
      stream.destroy();
    }
  }
}

/**
 * One line of the event stream. Read by `Action` and `Actor.ID` only: API 1.52 (Docker 29)
 * no longer sends the top-level `status`, `id` and `from` that older engines still carried.
 */
export function parseEvent(line: string): ContainerEvent | undefined {
  const e = JSON.parse(line) as DockerEvent;
  const id = e.Actor?.ID;
  if (!id || !e.Action) return undefined;
  return {
    id,
    action: e.Action,
    labels: e.Actor?.Attributes ?? {},
    timeMs: e.timeNano !== undefined ? e.timeNano / 1e6 : (e.time ?? 0) * 1000,
  };
}

interface DockerEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}
