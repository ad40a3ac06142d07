import { AnalyticsErrors } from '../errors.ts';

export type Interval = 'hour' | 'day';

export const INTERVAL_MS: Record<Interval, number> = { hour: 3_600_000, day: 86_400_000 };

export interface TimeRange {
  /** Inclusive, on an interval boundary (UTC). */
  from: Date;
  /** Exclusive, on an interval boundary (UTC). */
  to: Date;
}

export interface RangeLimits {
  maxHourlyPoints: number;
  maxDailyPoints: number;
}

/** Without `from`: the last 24 hours of an hourly series, the last 30 days otherwise. */
const DEFAULT_SPAN_MS: Record<Interval | 'summary', number> = {
  hour: 24 * 3_600_000,
  day: 30 * 86_400_000,
  summary: 30 * 86_400_000,
};

/**
 * The range a query covers: `from` rounded down and `to` rounded up to whole intervals, since
 * the read models keep hours (UTC days for `day`). Without `to`, up to the current interval;
 * without `from`, the 24 hours or 30 days before `to`. Bounded so one request stays cheap.
 */
export function resolveRange(
  query: { from?: string; to?: string },
  interval: Interval,
  limits: RangeLimits,
  now: Date,
  defaultSpan: Interval | 'summary' = interval,
): TimeRange {
  const step = INTERVAL_MS[interval];
  const to = query.to ? ceil(parse('to', query.to), step) : floor(now.getTime(), step) + step;
  const from = query.from
    ? floor(parse('from', query.from), step)
    : to - DEFAULT_SPAN_MS[defaultSpan];
  if (from >= to) {
    throw AnalyticsErrors.invalidRange(`from (${query.from}) must be before to (${query.to})`);
  }
  const points = (to - from) / step;
  const max = interval === 'hour' ? limits.maxHourlyPoints : limits.maxDailyPoints;
  if (points > max) {
    throw AnalyticsErrors.rangeTooLong(
      defaultSpan === 'summary'
        ? `${points / 24} days asked; a summary covers at most ${max / 24} days`
        : `${points} ${interval}s asked; at most ${max} ${interval}s per request${interval === 'hour' ? ' (use interval=day for longer ranges)' : ''}`,
    );
  }
  return { from: new Date(from), to: new Date(to) };
}

function parse(name: string, text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw AnalyticsErrors.invalidRange(`${name} ${text} is not a timestamp`);
  return ms;
}

const floor = (ms: number, step: number) => Math.floor(ms / step) * step;
const ceil = (ms: number, step: number) => Math.ceil(ms / step) * step;
