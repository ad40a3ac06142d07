import type { ServerResponse } from 'node:http';
import type { ServiceApp, ServiceContext } from '@lattice/platform';
import {
  databaseNow,
  type NotificationRow,
  type Position,
  recipientNotifications,
} from '../data/notifications.ts';
import type { LiveFanout } from '../delivery/live-fanout.ts';
import type { NotificationsDeps } from '../domain/deps.ts';
import { toNotificationView } from '../domain/notification-view.ts';
import { recipientOf } from '../domain/read-notifications.ts';
import { callerOf } from './notification-routes.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REPLAY_PAGE = 200;
// A client that reads slower than notifications arrive is cut off rather than buffered without
// bound; it reconnects with Last-Event-ID and misses nothing.
const MAX_BUFFERED_BYTES = 1024 * 1024;
const RECONNECT_MS = 2_000;

function frame(row: NotificationRow): string {
  return `id: ${row.id}\nevent: notification\ndata: ${JSON.stringify(toNotificationView(row))}\n\n`;
}

/**
 * `GET /api/v1/notifications/stream`: Server-Sent Events of the caller's new notifications.
 * Headers are flushed at once (proxies and the gateway see the stream open before the first
 * event), a comment line goes out every heartbeat period, each event carries the notification
 * id as `id:`, and `Last-Event-ID` replays what was published after that notification before
 * going live.
 */
export function registerStreamRoute(
  app: ServiceApp,
  deps: NotificationsDeps,
  auth: ServiceContext['auth'],
  fanout: LiveFanout,
  heartbeatMs: number,
): void {
  const open = new Set<ServerResponse>();
  // Before the server waits for connections to end: a stream never ends by itself.
  app.addHook('preClose', async () => {
    for (const response of open) response.end();
  });

  app.get(
    '/api/v1/notifications/stream',
    {
      onRequest: [auth.authenticate],
      schema: {
        tags: ['notifications'],
        summary: "text/event-stream of the caller's new notifications (Last-Event-ID resumes)",
        description:
          'Requires `Authorization: Bearer <accessToken>`. Events: `event: notification`, `id: <notification id>`, `data: <notification JSON>`; `: heartbeat` comments keep it open.',
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const recipient = recipientOf(caller);
      const notifications = recipientNotifications(deps.database.db, recipient);

      const lastEventId = request.headers['last-event-id'];
      let floor: Position | undefined;
      if (typeof lastEventId === 'string' && UUID.test(lastEventId.trim())) {
        const last = await notifications.find(lastEventId.trim());
        if (last?.created_at) floor = { createdAt: last.created_at, id: last.id };
      }
      // Unknown or absent: live from now on (an id never seen here cannot say what was missed).
      floor ??= {
        createdAt: await databaseNow(deps.database.db),
        id: '00000000-0000-0000-0000-000000000000',
      };

      reply.hijack();
      const response = reply.raw;
      response.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx and similar proxies buffer responses unless told not to.
        'x-accel-buffering': 'no',
      });
      response.flushHeaders();
      response.write(`retry: ${RECONNECT_MS}\n: connected\n\n`);
      open.add(response);

      const send = (chunk: string) => {
        if (response.writableEnded) return;
        response.write(chunk);
        if (response.writableLength > MAX_BUFFERED_BYTES) response.end();
      };
      const subscriber = {
        recipient,
        floor,
        ready: false,
        deliver: (row: NotificationRow) => send(frame(row)),
      };
      const subscription = fanout.subscribe(subscriber);
      const heartbeat = setInterval(() => send(': heartbeat\n\n'), heartbeatMs);
      heartbeat.unref();
      const done = () => {
        clearInterval(heartbeat);
        subscription.remove();
        open.delete(response);
      };
      response.on('close', done);

      try {
        // Registered before the replay, so nothing published meanwhile falls between the two;
        // the subscription skips ids the replay already sent.
        let position = floor;
        for (;;) {
          const missed = await notifications.since(position, REPLAY_PAGE);
          for (const row of missed) subscription.offer(row);
          const last = missed.at(-1);
          if (!last?.created_at || missed.length < REPLAY_PAGE || response.writableEnded) break;
          position = { createdAt: last.created_at, id: last.id };
        }
      } catch (error) {
        request.log.warn(
          { err: error },
          'replaying missed notifications failed; the stream closes',
        );
        response.end();
        return;
      }
      subscriber.ready = true;
      fanout.wake();
    },
  );
}
