import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { type CloudEvent, consumerGroup, createEvent } from '@lattice/platform';
import { sql } from 'kysely';
import {
  type AuthService,
  databases,
  eventually,
  PASSWORD,
  post,
  registerUser,
  type SessionBody,
  sharedAuthService,
  uniqueEmail,
} from './support/harness.ts';

const GROUP = consumerGroup('auth', 'deleted-users');
const SUBJECT = 'users.user.deleted.v1';

/** What the users service publishes when a tenant admin deletes a user. */
function deletedEvent(
  user: { id: string; tenantId: string },
  data: Partial<{ userId: string; tenantId: string; deletedBy: string }> = {},
): CloudEvent {
  const tenantId = data.tenantId ?? user.tenantId;
  return createEvent({
    source: 'users',
    type: 'lattice.users.user.deleted.v1',
    subject: data.userId ?? user.id,
    tenantId,
    data: { userId: user.id, tenantId, deletedBy: randomUUID(), ...data },
  });
}

/** Resolves once the consumer has committed its effect for `eventId`. */
async function processed(svc: AuthService, eventId: string): Promise<void> {
  await eventually(`event ${eventId} processed`, async () => {
    const { rows } =
      await sql`SELECT 1 FROM inbox WHERE consumer = ${GROUP} AND event_id = ${eventId}`.execute(
        svc.context.db.db,
      );
    return rows.length > 0 ? true : undefined;
  });
}

async function deletedAt(svc: AuthService, userId: string): Promise<Date | null> {
  const row = await svc.context.db.db
    .selectFrom('users')
    .select('deleted_at')
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.deleted_at;
}

async function canLogIn(svc: AuthService, session: SessionBody): Promise<number> {
  return (await post(svc, '/login', { email: session.user.email, password: PASSWORD })).statusCode;
}

for (const { kind, skip } of databases) {
  describe(`users.user.deleted.v1 consumer on ${kind}`, { skip }, () => {
    const svc = sharedAuthService(kind);

    test('a deleted user can no longer log in, and every session of theirs is revoked', async () => {
      const admin = await registerUser(svc());
      const email = uniqueEmail('doomed');
      const invite = await post(
        svc(),
        '/invitations',
        { email, role: 'member' },
        { token: admin.accessToken },
      );
      const member = await registerUser(svc(), { email, inviteToken: invite.json().inviteToken });
      const otherDevice = (
        await post(svc(), '/login', { email: member.user.email, password: PASSWORD })
      ).json() as SessionBody;

      const event = deletedEvent(member.user, { deletedBy: admin.user.id });
      await svc().bus.publish([event]);
      await processed(svc(), event.id);

      assert.ok((await deletedAt(svc(), member.user.id)) instanceof Date);
      const login = await post(svc(), '/login', {
        email: member.user.email,
        password: PASSWORD,
      });
      assert.equal(login.statusCode, 401);
      assert.equal(
        login.json().code,
        'AUTH_INVALID_CREDENTIALS',
        'the same answer as a wrong password',
      );
      for (const session of [member, otherDevice]) {
        const refresh = await post(svc(), '/refresh', { refreshToken: session.refreshToken });
        assert.equal(refresh.statusCode, 401);
        assert.equal(refresh.json().code, 'AUTH_INVALID_REFRESH_TOKEN');
      }
      const families = await svc()
        .context.db.db.selectFrom('refresh_token_families')
        .select('revoked_reason')
        .where('user_id', '=', member.user.id)
        .execute();
      assert.equal(families.length, 2);
      assert.ok(families.every((f) => f.revoked_reason === 'user-deleted'));

      assert.equal(await canLogIn(svc(), admin), 200, 'the rest of the tenant is untouched');
      const adminRefresh = await post(svc(), '/refresh', { refreshToken: admin.refreshToken });
      assert.equal(adminRefresh.statusCode, 200);
    });

    test('a duplicate delivery applies once; a second deletion event changes nothing', async () => {
      const user = await registerUser(svc());
      const event = deletedEvent(user.user);
      // Raw publishes bypass the broker's deduplication: the consumer sees the event twice.
      await svc().bus.publishRaw(SUBJECT, JSON.stringify(event));
      await svc().bus.publishRaw(SUBJECT, JSON.stringify(event));
      await processed(svc(), event.id);
      const first = await deletedAt(svc(), user.user.id);
      assert.ok(first instanceof Date);

      const again = deletedEvent(user.user);
      await svc().bus.publish([again]);
      await processed(svc(), again.id);
      assert.deepEqual(await deletedAt(svc(), user.user.id), first, 'deleted once, at the first');
      const { rows } =
        await sql`SELECT event_id FROM inbox WHERE consumer = ${GROUP} AND event_id IN (${event.id}, ${again.id})`.execute(
          svc().context.db.db,
        );
      assert.equal(rows.length, 2);
      assert.equal(svc().bus.deadLetters(GROUP).length, 0);
    });

    test('a deletion naming an unknown user or another tenant is acknowledged and changes nothing', async () => {
      const user = await registerUser(svc());
      const stranger = await registerUser(svc());
      const unknown = deletedEvent({ id: randomUUID(), tenantId: user.user.tenantId });
      const wrongTenant = deletedEvent(user.user, { tenantId: stranger.user.tenantId });
      await svc().bus.publish([unknown, wrongTenant]);
      await processed(svc(), unknown.id);
      await processed(svc(), wrongTenant.id);
      assert.equal(await deletedAt(svc(), user.user.id), null);
      assert.equal(await canLogIn(svc(), user), 200);
      assert.equal(svc().bus.deadLetters(GROUP).length, 0);
    });

    test('a deletion this service cannot apply is retried, then dead-lettered with the reason; the consumer goes on', async () => {
      const user = await registerUser(svc());
      // Valid for the contract (ids are non-empty strings), but no account id of this service.
      const poisoned = deletedEvent(user.user, { userId: 'u1' });
      const next = deletedEvent(user.user);
      await svc().bus.publish([poisoned, next]);
      const letter = await eventually('the dead letter', async () =>
        svc()
          .bus.deadLetters(GROUP)
          .find((d) => (d.event as CloudEvent | undefined)?.id === poisoned.id),
      );
      assert.equal(letter.deliveryCount, 5);
      assert.match(letter.reason, /malformed: data\.userId is not a user id/);
      await processed(svc(), next.id);
      assert.ok((await deletedAt(svc(), user.user.id)) instanceof Date);
    });
  });
}
