import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { type CommitWake, commitWake, wakeAtCommit } from '../../src/db/commit-wakes.ts';
import type { Listen } from '../../src/outbox/listen.ts';
import { waitFor } from '../outbox/support.ts';
import {
  databaseKinds,
  freshDatabase,
  notifies,
  notifiesBefore,
  uniqueService,
} from '../support.ts';

interface Counted {
  count: number;
}

/** Counts what reaches `listen` on `channel` from now on; stops when the test ends. */
async function counting(t: TestContext, listen: Listen, channel: string): Promise<Counted> {
  const counted = { count: 0 };
  const stop = await listen(channel, () => {
    counted.count += 1;
  });
  // postgresListen tells once on connecting (notifications missed while it was down).
  counted.count = 0;
  t.after(() => stop());
  return counted;
}

for (const { kind, skip } of databaseKinds) {
  describe(`wake-ups at commit on ${kind}`, { skip }, () => {
    async function setUp(t: TestContext) {
      const database = await freshDatabase(kind, uniqueService('wakes'), (cleanup) =>
        t.after(cleanup),
      );
      const channel = `lattice_wake_${database.schema}`;
      return { database, channel, notified: await notifies(t, kind, database, channel) };
    }

    test('a transaction of the port wakes this process at commit, without a NOTIFY', async (t) => {
      const { database, channel, notified } = await setUp(t);
      const woken = await counting(t, database.listen, channel);
      await database.transaction(async (trx) => {
        await wakeAtCommit(trx, channel);
        await wakeAtCommit(trx, channel);
        assert.equal(woken.count, 0, 'not before the commit');
      });
      assert.equal(woken.count, 1, 'once at commit, however many statements asked');
      assert.equal(await notifiesBefore(database, channel, notified), 0);
    });

    test('a rolled-back transaction wakes nothing', async (t) => {
      const { database, channel, notified } = await setUp(t);
      const woken = await counting(t, database.listen, channel);
      await assert.rejects(
        database.transaction(async (trx) => {
          await wakeAtCommit(trx, channel);
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      assert.equal(woken.count, 0);
      assert.equal(await notifiesBefore(database, channel, notified), 0);
    });

    test('outside a transaction the statement has committed, and wakes, as it returns', async (t) => {
      const { database, channel, notified } = await setUp(t);
      const woken = await counting(t, database.listen, channel);
      await wakeAtCommit(database.db, channel);
      assert.equal(woken.count, 1);
      assert.equal(await notifiesBefore(database, channel, notified), 0);
    });

    test('a write noted after its transaction ended wakes at once if it committed, never if not', async (t) => {
      const { database, channel, notified } = await setUp(t);
      const woken = await counting(t, database.listen, channel);
      // What a promise the work did not await would do: note its write after the end.
      const committed = await database.transaction(async (trx) => commitWake(trx, channel));
      const rolledBack = await database
        .transaction(async (trx) => {
          throw Object.assign(new Error('rolled back'), { wake: commitWake(trx, channel) });
        })
        .catch((error: { wake: CommitWake }) => error.wake);
      rolledBack.wrote();
      assert.equal(woken.count, 0);
      committed.wrote();
      assert.equal(woken.count, 1);
      assert.equal(await notifiesBefore(database, channel, notified), 0);
    });

    test('a transaction the port did not open sends a NOTIFY, which wakes every listener', async (t) => {
      const { database, channel, notified } = await setUp(t);
      const woken = await counting(t, database.listen, channel);
      await database.db.transaction().execute((trx) => wakeAtCommit(trx, channel));
      assert.equal(await notifiesBefore(database, channel, notified), 1);
      // The port's listener hears NOTIFY too: the write's and the control's.
      await waitFor('the NOTIFY to reach the port listener', () => woken.count === 2, 5_000);
    });

    test('a channel no loop of this process listens to gets a NOTIFY, for the other instances', async (t) => {
      const { database, channel, notified } = await setUp(t);
      await database.transaction((trx) => wakeAtCommit(trx, channel));
      assert.equal(await notifiesBefore(database, channel, notified), 1);
    });

    test("a listener's error does not fail the committed transaction, and still surfaces", async (t) => {
      const { database, channel } = await setUp(t);
      let armed = false; // postgresListen calls it once on connecting
      const stop = await database.listen(channel, () => {
        if (armed) throw new Error('listener bug');
      });
      armed = true;
      t.after(() => stop());
      // The test runner's own handlers would count the error against this test: set aside.
      const runners = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      const surfaced = new Promise<unknown>((resolve) =>
        process.once('uncaughtException', resolve),
      );
      try {
        assert.equal(
          await database.transaction(async (trx) => {
            await wakeAtCommit(trx, channel);
            return 'committed';
          }),
          'committed',
        );
        assert.match(String(await surfaced), /listener bug/);
      } finally {
        for (const runner of runners) process.on('uncaughtException', runner);
      }
    });

    test('a listener that stopped is not woken, and the channel falls back to NOTIFY', async (t) => {
      const { database, channel, notified } = await setUp(t);
      let woken = 0;
      const stop = await database.listen(channel, () => {
        woken += 1;
      });
      await stop();
      woken = 0;
      await database.transaction((trx) => wakeAtCommit(trx, channel));
      assert.equal(await notifiesBefore(database, channel, notified), 1);
      assert.equal(woken, 0);
    });
  });
}
