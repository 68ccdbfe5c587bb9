// 24-hour timeline math: buckets (10 min each) → SVG bar geometry.
import type { TimelineBucket } from './generated/api';

export const DAY_MS = 24 * 3600 * 1000;
export const BUCKET_MS = 10 * 60 * 1000;

export interface Bar {
  x: number;
  width: number;
  /** Stacked heights, 0–1 of the track. */
  refreshes: number;
  failures: number;
  handouts: number;
  title: string;
}

/** Where a timeline delta starts: the page's last bucket (it may still grow). */
export function timelineSince(buckets: TimelineBucket[] | undefined): string | undefined {
  return buckets?.length ? buckets[buckets.length - 1].start : undefined;
}

/** Apply a delta from `timelineSince`: replace buckets from its first one on, drop those older than a day. */
export function mergeTimeline(old: TimelineBucket[] | undefined, delta: TimelineBucket[], now: number): TimelineBucket[] {
  const since = timelineSince(old);
  const kept = since === undefined ? [] : old!.filter((b) => Date.parse(b.start) < Date.parse(since));
  return [...kept, ...delta].filter((b) => Date.parse(b.start) + BUCKET_MS > now - DAY_MS);
}

/** Place each bucket on a `width`-wide track ending at `now`. */
export function timelineBars(buckets: TimelineBucket[], now: number, width: number): Bar[] {
  const start = now - DAY_MS;
  const maxHand = Math.max(1, ...buckets.map((b) => b.handouts));
  const w = Math.max(1, (BUCKET_MS / DAY_MS) * width);
  const out: Bar[] = [];
  for (const b of buckets) {
    const t = Date.parse(b.start);
    if (Number.isNaN(t) || t + BUCKET_MS <= start || t > now) continue;
    const x = ((Math.max(t, start) - start) / DAY_MS) * width;
    const time = new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
    out.push({
      x,
      width: w,
      refreshes: b.refreshes > 0 ? 1 : 0,
      failures: b.failures > 0 ? 1 : 0,
      handouts: b.handouts / maxHand,
      title: `${time}: ${b.refreshes} refresh${b.refreshes === 1 ? '' : 'es'}, ${b.failures} failure${b.failures === 1 ? '' : 's'}, ${b.handouts} hand-out${b.handouts === 1 ? '' : 's'}`,
    });
  }
  return out;
}

/** Hour ticks (every 6 h) for the axis: position and label. */
export function hourTicks(now: number, width: number): Array<{ x: number; label: string }> {
  const start = now - DAY_MS;
  const first = Math.ceil(start / (6 * 3600 * 1000)) * 6 * 3600 * 1000;
  const out = [];
  for (let t = first; t <= now; t += 6 * 3600 * 1000) {
    out.push({ x: ((t - start) / DAY_MS) * width, label: new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false }) });
  }
  return out;
}
