import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isStale, newRunIdentity, runLabels } from '../../src/orchestrator/identity.js';

describe('run identity and staleness', () => {
  const now = 1_000_000;
  it('a live run of this process is not stale; past its deadline it is', () => {
    const labels = runLabels(newRunIdentity('s', 60_000, { now }));
    expect(isStale(labels, now)).toBe(false);
    expect(isStale(labels, now + 60_001)).toBe(true);
  });

  it('a run whose owner process is gone is stale', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const labels = {
      ...runLabels(newRunIdentity('s', 60_000, { now })),
      'io.stackcheck.owner': `${hostname()}:${dead.stdout}:1`,
    };
    expect(isStale(labels, now)).toBe(true);
  });

  it('a reused pid (different start time) does not keep a dead run alive', () => {
    const labels = {
      ...runLabels(newRunIdentity('s', 60_000, { now })),
      'io.stackcheck.owner': `${hostname()}:1:999999999`,
    };
    expect(isStale(labels, now)).toBe(true);
  });

  it('runs of other hosts and kept runs wait for their deadline', () => {
    const other = {
      ...runLabels(newRunIdentity('s', 60_000, { now })),
      'io.stackcheck.owner': 'elsewhere:1:1',
    };
    expect(isStale(other, now)).toBe(false);
    expect(isStale(other, now + 60_001)).toBe(true);
    const kept = runLabels(newRunIdentity('s', 60_000, { now, keep: true }));
    expect(kept['io.stackcheck.owner']).toBe(`${hostname()}:kept:0`);
    expect(isStale(kept, now)).toBe(false);
  });
});
