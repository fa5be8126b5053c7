/** Small pieces of the Docker wire format shared by the adapter's modules. */
import type { LabelFilter } from '../engine.js';

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

export function labelFilters(labels: LabelFilter): string[] {
  return Object.entries(labels).map(([k, v]) => (v === true ? k : `${k}=${v}`));
}

/** The engine reads `123.456` as 123 s and 456 ns: fractions must be written in nanoseconds. */
export function engineTime(epochMs: number): string {
  const sec = Math.floor(epochMs / 1000);
  const nanos = Math.round((epochMs - sec * 1000) * 1e6);
  return `${sec}.${String(nanos).padStart(9, '0')}`;
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

export function demux(buf: Buffer): string {
  return Buffer.concat(demuxFrames(buf).map((f) => f.data)).toString('utf8');
}
