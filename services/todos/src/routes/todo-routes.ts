import type { ServiceApp, ServiceContext } from '@lattice/platform';
import type { FastifyReply } from 'fastify';
import { createTodo } from '../domain/create-todo.ts';
import { deleteTodo, restoreTodo } from '../domain/delete-todo.ts';
import type { TodosDeps } from '../domain/deps.ts';
import { getTodo, listTodos, todoHistory } from '../domain/read-todos.ts';
import type { Todo } from '../domain/todo-view.ts';
import { updateTodo } from '../domain/update-todo.ts';
import { callerOf, traceparentOf } from './caller.ts';
import { etagOf, noneMatch, preconditionOf } from './etags.ts';
import {
  CreateHeaders,
  HistoryReply,
  IfMatchHeaders,
  IfNoneMatchHeaders,
  ListQuery,
  NewTodoBody,
  NotModified,
  TodoPageReply,
  TodoParams,
  TodoPatchBody,
  TodoReply,
} from './schemas.ts';

const tags = ['todos'];
const description = "Requires `Authorization: Bearer <accessToken>`; only the caller's own todos";
const BASE = '/api/v1/todos';

/** Thin handlers: HTTP in (validated by the schemas), a use case, HTTP out. */
export function registerTodoRoutes(
  app: ServiceApp,
  deps: TodosDeps,
  auth: ServiceContext['auth'],
): void {
  // onRequest, not preHandler: an anonymous caller is refused before its body is even parsed.
  const onRequest = [auth.authenticate];

  app.get(
    BASE,
    {
      onRequest,
      schema: {
        tags,
        summary: "The caller's todos, newest first, a page at a time",
        description,
        querystring: ListQuery,
        response: { 200: TodoPageReply },
      },
    },
    async (request) => listTodos(deps, callerOf(request), request.query),
  );

  app.post(
    BASE,
    {
      onRequest,
      schema: {
        tags,
        summary: 'Create a todo (201 with Location and ETag); Idempotency-Key makes retries safe',
        description,
        headers: CreateHeaders,
        body: NewTodoBody,
        response: { 201: TodoReply },
      },
    },
    async (request, reply) => {
      const created = await createTodo(deps, callerOf(request), request.body, {
        idempotencyKey: request.headers['idempotency-key'],
        traceparent: traceparentOf(request),
      });
      if (created.replayed) reply.header('idempotent-replayed', 'true');
      reply.header('location', `${BASE}/${created.todo.id}`);
      return withEtag(reply, created.todo).code(created.status).send(created.todo);
    },
  );

  app.get(
    `${BASE}/:id`,
    {
      onRequest,
      schema: {
        tags,
        summary: "One of the caller's todos, with its ETag (304 for a matching If-None-Match)",
        description,
        params: TodoParams,
        headers: IfNoneMatchHeaders,
        response: { 200: TodoReply, 304: NotModified },
      },
    },
    async (request, reply) => {
      const todo = await getTodo(deps, callerOf(request), request.params.id);
      withEtag(reply, todo);
      if (!noneMatch(request.headers['if-none-match'], todo.version))
        return reply.code(304).send(null);
      return todo;
    },
  );

  app.patch(
    `${BASE}/:id`,
    {
      onRequest,
      schema: {
        tags,
        summary: 'Change a todo; with If-Match only if it is still that version (else 412)',
        description,
        params: TodoParams,
        headers: IfMatchHeaders,
        body: TodoPatchBody,
        response: { 200: TodoReply },
      },
    },
    async (request, reply) => {
      const todo = await updateTodo(deps, callerOf(request), request.params.id, request.body, {
        precondition: preconditionOf(request.headers['if-match']),
        traceparent: traceparentOf(request),
      });
      return withEtag(reply, todo).send(todo);
    },
  );

  app.delete(
    `${BASE}/:id`,
    {
      onRequest,
      schema: {
        tags,
        summary: 'Soft-delete a todo (204); with If-Match only if it is still that version',
        description,
        params: TodoParams,
        headers: IfMatchHeaders,
      },
    },
    async (request, reply) => {
      await deleteTodo(deps, callerOf(request), request.params.id, {
        precondition: preconditionOf(request.headers['if-match']),
        traceparent: traceparentOf(request),
      });
      return reply.code(204).send();
    },
  );

  app.post(
    `${BASE}/:id/restore`,
    {
      onRequest,
      schema: {
        tags,
        summary: 'Bring a deleted todo back (a live one is answered as it is)',
        description,
        params: TodoParams,
        response: { 200: TodoReply },
      },
    },
    async (request, reply) => {
      const todo = await restoreTodo(deps, callerOf(request), request.params.id, {
        traceparent: traceparentOf(request),
      });
      return withEtag(reply, todo).send(todo);
    },
  );

  app.get(
    `${BASE}/:id/history`,
    {
      onRequest,
      schema: {
        tags,
        summary: 'Every change of a todo, oldest first: who, when, what (also once deleted)',
        description,
        params: TodoParams,
        response: { 200: HistoryReply },
      },
    },
    async (request) => todoHistory(deps, callerOf(request), request.params.id),
  );
}

function withEtag(reply: FastifyReply, todo: Todo): FastifyReply {
  return reply.header('etag', etagOf(todo.version));
}
