import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseSize } from '../../src/common/duration.js';

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
