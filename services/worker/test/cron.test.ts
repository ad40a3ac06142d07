import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CronError, parseCron } from '../src/scheduler/cron.ts';

const at = (iso: string) => new Date(iso);
const nextOf = (expression: string, after: string) =>
  parseCron(expression).next(at(after)).toISOString();

describe('cron next run (UTC)', () => {
  test('every minute: the next whole minute, strictly after', () => {
    assert.equal(nextOf('* * * * *', '2026-03-10T10:15:00.000Z'), '2026-03-10T10:16:00.000Z');
    assert.equal(nextOf('* * * * *', '2026-03-10T10:15:59.999Z'), '2026-03-10T10:16:00.000Z');
    assert.equal(nextOf('* * * * *', '2026-12-31T23:59:30.000Z'), '2027-01-01T00:00:00.000Z');
  });

  test('steps, ranges and lists', () => {
    assert.equal(nextOf('*/15 * * * *', '2026-03-10T10:16:00Z'), '2026-03-10T10:30:00.000Z');
    assert.equal(nextOf('*/15 * * * *', '2026-03-10T10:45:00Z'), '2026-03-10T11:00:00.000Z');
    assert.equal(nextOf('5/20 * * * *', '2026-03-10T10:26:00Z'), '2026-03-10T10:45:00.000Z');
    assert.equal(nextOf('0 9-17/4 * * *', '2026-03-10T13:00:00Z'), '2026-03-10T17:00:00.000Z');
    assert.equal(nextOf('0 9-17/4 * * *', '2026-03-10T17:00:00Z'), '2026-03-11T09:00:00.000Z');
    assert.equal(nextOf('10,40 3 * * *', '2026-03-10T03:10:00Z'), '2026-03-10T03:40:00.000Z');
  });

  test('hourly and daily jobs, with macros', () => {
    assert.equal(nextOf('0 * * * *', '2026-03-10T10:00:00Z'), '2026-03-10T11:00:00.000Z');
    assert.equal(nextOf('@hourly', '2026-03-10T10:59:59Z'), '2026-03-10T11:00:00.000Z');
    assert.equal(nextOf('30 3 * * *', '2026-03-10T03:30:00Z'), '2026-03-11T03:30:00.000Z');
    assert.equal(nextOf('@daily', '2026-02-28T12:00:00Z'), '2026-03-01T00:00:00.000Z');
    assert.equal(nextOf('@yearly', '2026-03-10T00:00:00Z'), '2027-01-01T00:00:00.000Z');
  });

  test('months and weekdays by name; 7 is Sunday; both day fields restricted means either', () => {
    // 2026-03-10 is a Tuesday.
    assert.equal(nextOf('0 8 * * mon-fri', '2026-03-13T09:00:00Z'), '2026-03-16T08:00:00.000Z');
    assert.equal(nextOf('0 0 * * 7', '2026-03-10T00:00:00Z'), '2026-03-15T00:00:00.000Z');
    assert.equal(nextOf('0 0 * * SUN', '2026-03-10T00:00:00Z'), '2026-03-15T00:00:00.000Z');
    assert.equal(nextOf('0 0 1 jun *', '2026-03-10T00:00:00Z'), '2026-06-01T00:00:00.000Z');
    // The 20th, or any Wednesday: Wednesday the 11th comes first.
    assert.equal(nextOf('0 0 20 * wed', '2026-03-10T00:00:00Z'), '2026-03-11T00:00:00.000Z');
    // Only the day of month restricted: Wednesdays do not count.
    assert.equal(nextOf('0 0 20 * *', '2026-03-10T00:00:00Z'), '2026-03-20T00:00:00.000Z');
  });

  test('short months and leap days', () => {
    assert.equal(nextOf('0 0 31 * *', '2026-04-01T00:00:00Z'), '2026-05-31T00:00:00.000Z');
    assert.equal(nextOf('0 0 29 2 *', '2026-03-01T00:00:00Z'), '2028-02-29T00:00:00.000Z');
  });

  test('malformed expressions are refused with what is wrong', () => {
    for (const [expression, problem] of [
      ['* * * *', /expected 5 fields/],
      ['* * * * * *', /expected 5 fields/],
      ['60 * * * *', /minute 60 is outside 0-59/],
      ['* 24 * * *', /hour 24 is outside 0-23/],
      ['* * 0 * *', /day of month 0 is outside 1-31/],
      ['* * * 13 *', /month 13 is outside 1-12/],
      ['*/0 * * * *', /step "0" must be 1 or more/],
      ['5-1 * * * *', /runs backwards/],
      ['a * * * *', /minute "a" is not a number/],
      ['1,,2 * * * *', /malformed/],
      ['0 0 30 2 *', /never matches/],
      ['', /expected 5 fields/],
    ] as const) {
      assert.throws(
        () => parseCron(expression),
        (error: unknown) => error instanceof CronError && problem.test(error.message),
        expression,
      );
    }
  });
});
