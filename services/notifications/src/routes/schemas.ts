import { Type } from 'typebox';
import { NOTIFICATION_TYPES } from '../domain/notification-types.ts';

const DateTime = Type.String({ format: 'date-time' });

export const NotificationReply = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Also the `id:` of the event on the stream' }),
  type: Type.String({ description: NOTIFICATION_TYPES.join(', ') }),
  title: Type.String(),
  body: Type.String(),
  createdAt: DateTime,
  readAt: Type.Union([DateTime, Type.Null()]),
});

export const ListQuery = Type.Object({
  unread: Type.Optional(Type.Boolean({ description: 'true: only unread ones' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(
    Type.String({ maxLength: 512, description: "The previous page's nextCursor" }),
  ),
});

export const NotificationPageReply = Type.Object({
  items: Type.Array(NotificationReply),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as cursor for the next page; null on the last page',
  }),
});

export const NotificationParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

const ChannelPreference = Type.Object({ inApp: Type.Boolean(), email: Type.Boolean() });
const ChannelPreferenceChange = Type.Object({
  inApp: Type.Optional(Type.Boolean()),
  email: Type.Optional(Type.Boolean()),
});

export const PreferencesReply = Type.Object(
  Object.fromEntries(NOTIFICATION_TYPES.map((type) => [type, ChannelPreference])),
);

export const PreferencesBody = Type.Object(
  Object.fromEntries(
    NOTIFICATION_TYPES.map((type) => [type, Type.Optional(ChannelPreferenceChange)]),
  ),
  { description: 'Types and channels to change; the others keep their setting' },
);

export const DevMailboxQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  all: Type.Optional(
    Type.Boolean({ description: "Everyone's mails; platform-admin only (403 otherwise)" }),
  ),
});

export const DevMailboxReply = Type.Object({
  transport: Type.Union([Type.Literal('smtp'), Type.Literal('dev-mailbox')], {
    description: 'smtp: SMTP_URL is set and mails leave through it, so this list stays empty',
  }),
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      to: Type.String(),
      subject: Type.String(),
      text: Type.String(),
      createdAt: DateTime,
    }),
  ),
});

export const DueRemindersReply = Type.Object({ sent: Type.Integer({ minimum: 0 }) });
