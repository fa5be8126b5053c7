import { describe, expect, it } from 'vitest';
import {
  Duration,
  durationsAsText,
  formatDuration,
  parseDuration,
  parseSize,
} from '../../src/common/duration.js';
import { duration } from '../../src/model/schema-parts.js';

describe('durations and sizes', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['10', 10_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['soon', '5 minutes', '1x', '', 's'])('%s is not a duration', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it.each([
    ['256MiB', 256 * 2 ** 20],
    ['512m', 512 * 2 ** 20],
    ['1g', 2 ** 30],
    ['1024', 1024],
  ])('%s is %d bytes', (text, n) => expect(parseSize(text)).toBe(n));

  it('formats for people', () => {
    expect([formatDuration(250), formatDuration(1500), formatDuration(125_000)]).toEqual([
      '250ms',
      '1.5s',
      '2m5s',
    ]);
  });
});

describe('durations in the manifest', () => {
  it('are milliseconds once loaded, and read as the manifest wrote them', () => {
    const d = duration().parse('1m30s');
    expect(d).toBeInstanceOf(Duration);
    expect(d.ms).toBe(90_000);
    expect(`within ${d}`).toBe('within 1m30s');
    expect(JSON.stringify({ within: d })).toBe('{"within":"1m30s"}');
    expect(duration().safeParse('90').success).toBe(false);
  });

  it('are written as text wherever evidence carries them, nothing else changed', () => {
    const at = new Date(0);
    expect(
      durationsAsText({ expected: { within: new Duration('2s', 2000), events: 3 }, at, l: [1] }),
    ).toEqual({ expected: { within: '2s', events: 3 }, at, l: [1] });
  });
});
