/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC,
 * with the classic (Vixie) rules: `*`, `a`, `a-b`, `*\/n`, `a-b/n`, `a/n` (from a to the end),
 * comma lists, month and weekday names (`jan`, `mon`), 0 or 7 for Sunday, and the macros
 * `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`. When both day fields are restricted
 * a day matches if either does, as cron has always done. Small enough to own and test here;
 * the worker needs nothing a library would add (no seconds, no time zones but UTC).
 */
export class CronError extends Error {
  constructor(expression: string, problem: string) {
    super(`"${expression}" is not a cron expression: ${problem}`);
    this.name = 'CronError';
  }
}

export interface CronSchedule {
  readonly expression: string;
  /** The first matching minute strictly after `after` (UTC). */
  next(after: Date): Date;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  // 7 is Sunday too; folded onto 0 after parsing.
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

// Far enough to find any valid expression's next run (Feb 29 on a Monday recurs within 28 years).
const SEARCH_YEARS = 30;

function parseValue(text: string, field: FieldSpec, expression: string): number {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  const value = named >= 0 ? named + (field.name === 'month' ? 1 : 0) : Number(text);
  if (!/^\d+$/.test(text) && named < 0)
    throw new CronError(expression, `${field.name} "${text}" is not a number`);
  if (value < field.min || value > field.max)
    throw new CronError(expression, `${field.name} ${value} is outside ${field.min}-${field.max}`);
  return value;
}

function parseField(text: string, field: FieldSpec, expression: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '')
      throw new CronError(expression, `${field.name} "${part}" is malformed`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1)
        throw new CronError(expression, `${field.name} step "${stepText}" must be 1 or more`);
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (range === '*') {
      low = field.min;
      high = field.max;
    } else if (range.includes('-')) {
      const [from, to, more] = range.split('-');
      if (from === undefined || to === undefined || more !== undefined)
        throw new CronError(expression, `${field.name} range "${range}" is malformed`);
      low = parseValue(from, field, expression);
      high = parseValue(to, field, expression);
      if (low > high)
        throw new CronError(expression, `${field.name} range "${range}" runs backwards`);
    } else {
      low = parseValue(range, field, expression);
      // `a/n` means from a to the end of the field, stepping n.
      high = stepText === undefined ? low : field.max;
    }
    for (let value = low; value <= high; value += step) values.add(value);
  }
  return values;
}

export function parseCron(input: string): CronSchedule {
  const expression = input.trim();
  const expanded = MACROS[expression.toLowerCase()] ?? expression;
  const texts = expanded.split(/\s+/);
  if (texts.length !== 5)
    throw new CronError(
      expression,
      `expected 5 fields (minute hour day-of-month month day-of-week), found ${texts.length}`,
    );
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = texts.map((text, i) =>
    parseField(text, FIELDS[i]!, expression),
  ) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  if (daysOfWeek.delete(7)) daysOfWeek.add(0);
  const domRestricted = !texts[2]!.startsWith('*');
  const dowRestricted = !texts[4]!.startsWith('*');

  const dayMatches = (t: Date): boolean => {
    const dom = daysOfMonth.has(t.getUTCDate());
    const dow = daysOfWeek.has(t.getUTCDay());
    if (domRestricted && dowRestricted) return dom || dow;
    return dom && dow;
  };

  const schedule: CronSchedule = {
    expression,
    next(after) {
      // Whole minutes, strictly after `after`.
      let t = Math.floor(after.getTime() / 60_000) * 60_000 + 60_000;
      const limit = t + SEARCH_YEARS * 366 * 24 * 60 * 60_000;
      while (t < limit) {
        const d = new Date(t);
        const [y, mo, day, h] = [
          d.getUTCFullYear(),
          d.getUTCMonth(),
          d.getUTCDate(),
          d.getUTCHours(),
        ];
        if (!months.has(mo + 1)) t = Date.UTC(y, mo + 1, 1);
        else if (!dayMatches(d)) t = Date.UTC(y, mo, day + 1);
        else if (!hours.has(h)) t = Date.UTC(y, mo, day, h + 1);
        else if (!minutes.has(d.getUTCMinutes())) t += 60_000;
        else return d;
      }
      throw new CronError(expression, `it never matches within ${SEARCH_YEARS} years`);
    },
  };
  // An expression that can never fire (e.g. 30 February) is refused when it is read.
  schedule.next(new Date(Date.UTC(2000, 0, 1)));
  return schedule;
}
