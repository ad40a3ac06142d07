import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from '@lattice/platform/testing';
import { ABANDONED_DETAIL } from '../src/data/job-store.ts';
import {
  clockAt,
  databases,
  gate,
  probeJob,
  runsOf,
  scheduler,
  type WorkerDatabases,
  workerDatabases,
} from './support/scheduler-harness.ts';

const MINUTE = 60_000;

for (const { kind, skip } of databases) {
  describe(`scheduler on ${kind}`, { skip }, () => {
    // One database per kind (a PGlite costs seconds); each test uses jobs of its own names.
    let dbs: WorkerDatabases;
    before(async () => {
      dbs = await workerDatabases(kind);
    });
    after(() => dbs?.cleanup());

    test('two instances on one database: a due run happens once', async () => {
      const clock = clockAt('2026-03-10T10:00:30Z');
      const job = probeJob('once-across-instances');
      const a = scheduler(dbs.first, [job], clock);
      const b = scheduler(dbs.second, [job], clock);
      await a.sync();
      await b.sync();
      clock.advance(MINUTE); // 10:01:30, due since 10:01

      for (let round = 0; round < 3; round++) {
        await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
        await Promise.all([a.idle(), b.idle()]);
      }

      assert.equal(job.runs, 1);
      const runs = await runsOf(dbs.first, job.name);
      assert.equal(runs.length, 1);
      assert.equal(runs[0]?.outcome, 'ok');
      assert.equal(runs[0]?.detail, 'once-across-instances done');
      assert.equal(runs[0]?.trigger, 'schedule');
      assert.ok([a.runner, b.runner].includes(runs[0]!.runner));
      const [status] = await a.status();
      assert.equal(status?.nextRunAt?.toISOString(), '2026-03-10T10:02:00.000Z');
      assert.equal(status?.running, false);
    });

    test('missed runs after downtime run once, then the schedule resumes from now', async () => {
      const clock = clockAt('2026-03-10T10:00:00Z');
      const job = probeJob('missed-runs');
      const first = scheduler(dbs.first, [job], clock);
      await first.sync(); // due at 10:01; then the worker is down for an hour
      clock.advance(60 * MINUTE + 20_000);
      const restarted = scheduler(dbs.second, [job], clock);
      await restarted.sync();

      await restarted.tick();
      await restarted.idle();
      await restarted.tick();
      await restarted.idle();

      assert.equal(job.runs, 1, 'sixty missed due times, one run');
      const [status] = await restarted.status();
      assert.equal(status?.nextRunAt?.toISOString(), '2026-03-10T11:01:00.000Z');
      clock.advance(MINUTE);
      await restarted.tick();
      await restarted.idle();
      assert.equal(job.runs, 2);
    });

    test('a running job does not start again, here or on another instance; asking gets 409', async () => {
      const clock = clockAt('2026-03-10T10:00:30Z');
      const job = probeJob('no-overlap');
      const held = gate();
      job.gate = held.promise;
      const a = scheduler(dbs.first, [job], clock);
      const b = scheduler(dbs.second, [job], clock);
      await a.sync();
      clock.advance(MINUTE);
      await a.tick();
      assert.equal(job.runs, 1);
      assert.equal((await b.status())[0]?.running, true);

      clock.advance(MINUTE); // due again while the first run is still going
      await Promise.all([a.tick(), b.tick()]);
      assert.equal(job.runs, 1, 'no second run while one is going');
      await assert.rejects(b.runNow(job.name), { status: 409, code: 'WORKER_JOB_RUNNING' });
      await assert.rejects(a.runNow(job.name), { status: 409 });

      held.open();
      await a.idle();
      // The due time that came during the run is run once, after it.
      await b.tick();
      await b.idle();
      assert.equal(job.runs, 2);
      const runs = await runsOf(dbs.first, job.name);
      assert.deepEqual(
        runs.map((r) => r.outcome),
        ['ok', 'ok'],
      );
      assert.ok(runs[1]!.started_at >= runs[0]!.finished_at!, 'the runs did not overlap');
    });

    test('a failing job is recorded failed with its error and does not stop the others', async () => {
      const clock = clockAt('2026-03-10T10:00:30Z');
      const failing = probeJob('fails', {
        result: () => {
          throw new Error('orders: orders is unreachable: ECONNREFUSED');
        },
      });
      const partial = probeJob('partly-fails', {
        result: () => ({ outcome: 'failed', detail: 'pruned 3 services; failed: payments' }),
      });
      const healthy = probeJob('healthy');
      const finished: string[] = [];
      const s = scheduler(dbs.first, [failing, partial, healthy], clock, {
        observer: { finished: (job, outcome) => void finished.push(`${job}:${outcome}`) },
      });
      await s.sync();
      clock.advance(MINUTE);
      await s.tick();
      await s.idle();

      const [fails] = await runsOf(dbs.first, 'fails');
      assert.equal(fails?.outcome, 'failed');
      assert.equal(fails?.detail, 'orders: orders is unreachable: ECONNREFUSED');
      assert.ok(fails?.finished_at instanceof Date);
      assert.equal(typeof fails?.duration_ms, 'number');
      assert.equal((await runsOf(dbs.first, 'partly-fails'))[0]?.outcome, 'failed');
      assert.equal((await runsOf(dbs.first, 'healthy'))[0]?.outcome, 'ok');
      assert.deepEqual(finished.sort(), ['fails:failed', 'healthy:ok', 'partly-fails:failed']);
      const status = await s.status();
      assert.equal(status.find((j) => j.name === 'fails')?.lastRun?.detail, fails?.detail);
    });

    test('a run past its timeout is recorded failed and frees the job', async () => {
      const clock = clockAt('2026-03-10T10:00:30Z');
      const job = probeJob('too-slow', { timeoutMs: 200 });
      const held = gate();
      job.gate = held.promise;
      const s = scheduler(dbs.first, [job], clock);
      await s.sync();
      const { finished } = await s.runNow(job.name);
      const run = await finished;
      held.open();
      assert.equal(run.outcome, 'failed');
      assert.equal(run.detail, 'timed out after 200 ms');
      assert.equal(run.trigger, 'manual');
      assert.equal((await s.status())[0]?.running, false);
    });

    test('an instance that died mid-run: its lease expires, the run is closed as abandoned', async () => {
      const clock = clockAt('2026-03-10T10:00:30Z');
      const job = probeJob('orphaned', { timeoutMs: 5 * MINUTE });
      const held = gate();
      job.gate = held.promise;
      const dying = scheduler(dbs.first, [job], clock);
      const survivor = scheduler(dbs.second, [job], clock);
      await dying.sync();
      await dying.runNow(job.name); // never finishes: the instance "dies" holding the lease

      clock.advance(4 * MINUTE);
      await assert.rejects(survivor.runNow(job.name), { status: 409 }, 'the lease still holds');
      clock.advance(2 * MINUTE); // past timeout + margin
      job.gate = undefined;
      const { finished } = await survivor.runNow(job.name);
      assert.equal((await finished).outcome, 'ok');

      const runs = await runsOf(dbs.first, job.name);
      assert.deepEqual(
        runs.map((r) => [r.runner, r.outcome, r.detail]),
        [
          [dying.runner, 'failed', ABANDONED_DETAIL],
          [survivor.runner, 'ok', 'orphaned done'],
        ],
      );
      held.open();
      await dying.idle();
      const after = await runsOf(dbs.first, job.name);
      assert.equal(after[0]?.detail, ABANDONED_DETAIL, 'a late finish does not rewrite history');
    });

    test('once started, it runs due jobs on its own and stops cleanly', async () => {
      const clock = clockAt('2026-03-10T10:00:30Z');
      const job = probeJob('on-its-own');
      const s = scheduler(dbs.first, [job], clock, { tickMs: 50 });
      await s.sync();
      clock.advance(MINUTE);
      s.start();
      const run = await eventually(
        'a scheduled run',
        async () => (await runsOf(dbs.first, job.name)).find((r) => r.outcome),
        20_000,
      );
      await s.stop();
      assert.equal(run.outcome, 'ok');
      assert.equal(job.runs, 1);
    });

    test('a changed schedule resets the next run; "off" means on demand only', async () => {
      const clock = clockAt('2026-03-10T10:00:30Z');
      const job = probeJob('rescheduled');
      await scheduler(dbs.first, [job], clock).sync();
      const daily = scheduler(dbs.first, [{ definition: job, schedule: '0 4 * * *' }], clock);
      await daily.sync();
      assert.equal((await daily.status())[0]?.nextRunAt?.toISOString(), '2026-03-11T04:00:00.000Z');

      const off = scheduler(dbs.first, [{ definition: job, schedule: 'off' }], clock);
      await off.sync();
      clock.advance(2 * 24 * 60 * MINUTE);
      await off.tick();
      await off.idle();
      assert.equal(job.runs, 0);
      const [status] = await off.status();
      assert.equal(status?.nextRunAt, null);
      assert.equal(status?.schedule, 'off');
      await assert.rejects(off.runNow('no-such-job'), {
        status: 404,
        code: 'WORKER_JOB_NOT_FOUND',
      });
      await (await off.runNow(job.name)).finished;
      assert.equal(job.runs, 1);
    });
  });
}
