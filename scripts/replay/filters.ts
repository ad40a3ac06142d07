import type { ConsumerConfig } from '@nats-io/jetstream';

/** The subject filters of a consumer; empty means the whole stream. */
export function filtersOf(config: Partial<ConsumerConfig>): string[] {
  if (config.filter_subjects && config.filter_subjects.length > 0) return config.filter_subjects;
  return config.filter_subject ? [config.filter_subject] : [];
}

/** The consumer config fields for `filters`: servers before 2.10 take one filter subject only. */
export function filterConfig(filters: string[]): Partial<ConsumerConfig> {
  if (filters.length === 0) return {};
  return filters.length === 1 ? { filter_subject: filters[0] } : { filter_subjects: filters };
}

/**
 * Whether every subject `pattern` matches is also matched by `filter`, so narrowing a replay to
 * `pattern` never reaches events the group does not consume.
 */
export function covers(filter: string, pattern: string): boolean {
  const f = filter.split('.');
  const p = pattern.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return p.length > i;
    if (i >= p.length || p[i] === '>') return false;
    if (f[i] === '*') continue;
    if (p[i] === '*' || p[i] !== f[i]) return false;
  }
  return f.length === p.length;
}

/** The filters a range is read with: the `--subject` if given, else the group's own. */
export function rangeFilters(groupFilters: string[], subject: string | undefined): string[] {
  return subject === undefined ? groupFilters : [subject];
}

export function coveredByAny(filters: string[], pattern: string): boolean {
  return filters.length === 0 || filters.some((f) => covers(f, pattern));
}
