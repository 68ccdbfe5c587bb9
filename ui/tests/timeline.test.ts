import { describe, expect, it } from 'vitest';
import { BUCKET_MS, DAY_MS, hourTicks, mergeTimeline, timelineBars, timelineSince } from '../src/lib/timeline';

const NOW = Date.parse('2026-01-02T00:00:00Z');
const at = (msAgo: number) => new Date(NOW - msAgo).toISOString();

describe('timeline', () => {
  it('places buckets on a 24 h track and scales hand-outs', () => {
    const bars = timelineBars(
      [
        { start: at(DAY_MS / 2), refreshes: 1, failures: 0, handouts: 10 },
        { start: at(BUCKET_MS), refreshes: 0, failures: 2, handouts: 5 },
      ],
      NOW,
      1440,
    );
    expect(bars).toHaveLength(2);
    expect(bars[0].x).toBeCloseTo(720);
    expect(bars[0].width).toBeCloseTo(10);
    expect(bars[0].handouts).toBe(1);
    expect(bars[1].handouts).toBe(0.5);
    expect(bars[1].failures).toBe(1);
    expect(bars[1].title).toContain('2 failures');
  });
  it('drops buckets older than a day or in the future', () => {
    expect(timelineBars([{ start: at(DAY_MS + BUCKET_MS), refreshes: 1, failures: 0, handouts: 0 }], NOW, 100)).toEqual([]);
    expect(timelineBars([{ start: at(-BUCKET_MS), refreshes: 1, failures: 0, handouts: 0 }], NOW, 100)).toEqual([]);
  });
  it('has a tick every six hours', () => {
    const t = hourTicks(NOW, 240);
    expect(t.length).toBeGreaterThanOrEqual(4);
    expect(t.every((x) => x.x >= 0 && x.x <= 240)).toBe(true);
  });
  it('applies a delta: the last bucket replaced, new ones added, day-old ones dropped', () => {
    const b = (ago: number, refreshes: number) => ({ start: at(ago), refreshes, failures: 0, handouts: 0 });
    const old = [b(DAY_MS + BUCKET_MS, 1), b(2 * BUCKET_MS, 1), b(BUCKET_MS, 1)];
    expect(timelineSince(old)).toBe(at(BUCKET_MS));
    expect(timelineSince([])).toBeUndefined();
    expect(mergeTimeline(old, [b(BUCKET_MS, 3), b(0, 1)], NOW)).toEqual([b(2 * BUCKET_MS, 1), b(BUCKET_MS, 3), b(0, 1)]);
    expect(mergeTimeline(undefined, [b(0, 1)], NOW)).toEqual([b(0, 1)]);
  });
});
