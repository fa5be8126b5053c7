import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { timeoutSignal, withTimeout } from '../../src/common/timeout.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('time limits as signals', () => {
  // With AbortSignal.any([parent, AbortSignal.timeout(100)]) in place of withTimeout, this
  // machine's Node 20 fired 4 of 20 (nodejs/node#57736): the others' timeouts were collected.
  it('fire after garbage collection, when only the combined signal is listened to', async () => {
    const parent = new AbortController();
    const limits = Array.from({ length: 20 }, () => withTimeout(parent.signal, 100));
    const reasons: unknown[] = [];
    for (const s of limits) s.addEventListener('abort', () => reasons.push(s.reason));
    await collectGarbage();
    await new Promise((r) => setTimeout(r, 300));
    expect(reasons).toHaveLength(20);
    expect(reasons.every((r) => (r as Error).name === 'TimeoutError')).toBe(true);
  });

  it('abort with the parent first, with its reason', () => {
    const parent = new AbortController();
    const s = withTimeout(parent.signal, 60_000);
    parent.abort('SIGTERM');
    expect(s.aborted).toBe(true);
    expect(s.reason).toBe('SIGTERM');
  });

  it('abort with a TimeoutError once the time is up', async () => {
    const s = timeoutSignal(50);
    expect(s.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 120));
    expect((s.reason as Error).name).toBe('TimeoutError');
  });
});
