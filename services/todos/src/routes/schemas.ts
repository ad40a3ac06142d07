import { Type } from 'typebox';

const DateTime = Type.String({
  format: 'date-time',
  description: 'RFC 3339, e.g. 2030-01-31T17:00:00Z',
});

export const TodoReply = Type.Object({
  id: Type.String({ format: 'uuid' }),
  title: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  done: Type.Boolean(),
  dueAt: Type.Union([DateTime, Type.Null()]),
  completedAt: Type.Union([DateTime, Type.Null()]),
  version: Type.Integer({ minimum: 1, description: 'The ETag is this number, quoted' }),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const NewTodoBody = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 5000 })),
  dueAt: Type.Optional(DateTime),
});

export const TodoPatchBody = Type.Object({
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  description: Type.Optional(
    Type.Union([Type.String({ maxLength: 5000 }), Type.Null()], { description: 'null clears it' }),
  ),
  done: Type.Optional(Type.Boolean()),
  dueAt: Type.Optional(Type.Union([DateTime, Type.Null()], { description: 'null clears it' })),
});

export const ListQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('done')])),
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Case-insensitive text in the title or the description',
    }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(
    Type.String({ maxLength: 512, description: "The previous page's nextCursor" }),
  ),
});

export const TodoPageReply = Type.Object({
  items: Type.Array(TodoReply),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as cursor for the next page; null on the last page',
  }),
});

export const HistoryReply = Type.Array(
  Type.Object({
    at: DateTime,
    actorId: Type.String(),
    action: Type.Union([
      Type.Literal('created'),
      Type.Literal('updated'),
      Type.Literal('deleted'),
      Type.Literal('restored'),
    ]),
    changes: Type.Record(Type.String(), Type.Object({ from: Type.Unknown(), to: Type.Unknown() }), {
      description: '{ field: { from, to } } of the fields the change touched',
    }),
  }),
);

export const NotModified = Type.Null({ description: 'Not modified: your copy is current' });

export const TodoParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

// Header names are lower-case: Node lower-cases incoming headers before validation.
export const CreateHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7E]+$',
      description:
        'Any printable ASCII without spaces, e.g. a UUID. Retrying with the same key and body replays the first response for 24 hours',
    }),
  ),
});

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      maxLength: 1024,
      description:
        'The ETag you last read, e.g. "3" (or *): the write happens only if it is current',
    }),
  ),
});

export const IfNoneMatchHeaders = Type.Object({
  'if-none-match': Type.Optional(Type.String({ maxLength: 1024 })),
});
