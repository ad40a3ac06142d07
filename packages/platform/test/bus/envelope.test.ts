import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddedBus } from '../../src/bus/embedded-bus.ts';
import { createEvent, uuidv7 } from '../../src/bus/envelope.ts';
import { createEventBus, sharedEmbeddedBus } from '../../src/bus/index.ts';
import {
  contextOf,
  deadLetterSubject,
  streamName,
  subjectFilter,
  subjectMatches,
  subjectOfType,
  typeOfSubject,
} from '../../src/bus/subjects.ts';

describe('event envelope and subjects', () => {
  it('builds a CloudEvent 1.0 with a UUIDv7 id, the schema URN and the tenant', () => {
    const event = createEvent({
      source: 'todos',
      type: 'lattice.todos.todo.completed.v1',
      subject: 'td1',
      tenantId: 't1',
      data: { todoId: 'td1', tenantId: 't1', ownerId: 'u1' },
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      time: new Date('2030-01-01T00:00:00Z'),
    });
    assert.match(event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(
      { ...event, id: 'x' },
      {
        specversion: '1.0',
        id: 'x',
        source: '/lattice/todos',
        type: 'lattice.todos.todo.completed.v1',
        time: '2030-01-01T00:00:00.000Z',
        subject: 'td1',
        tenantid: 't1',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        datacontenttype: 'application/json',
        dataschema: 'urn:lattice:schema:lattice.todos.todo.completed.v1',
        data: { todoId: 'td1', tenantId: 't1', ownerId: 'u1' },
      },
    );
    assert.throws(
      () =>
        createEvent({ source: 'x', type: 'todos.created', subject: 's', tenantId: 't', data: {} }),
      { code: 'EVENT_INVALID' },
    );
  });

  it('makes UUIDv7 ids that sort by creation time', () => {
    const ids = [uuidv7(1_000), uuidv7(2_000), uuidv7(3_000)];
    assert.deepEqual([...ids].sort(), ids);
  });

  it('maps a type to its subject, context, stream and dead-letter subject, and back', () => {
    assert.equal(subjectOfType('lattice.orders.order.placed.v1'), 'orders.order.placed.v1');
    assert.equal(typeOfSubject('orders.order.placed.v1'), 'lattice.orders.order.placed.v1');
    assert.equal(contextOf('orders.order.*.v1'), 'orders');
    assert.equal(streamName('orders'), 'ORDERS');
    assert.equal(streamName('deadletter'), 'DEADLETTER');
    assert.equal(
      deadLetterSubject('users', 'auth.user.registered.v1'),
      'deadletter.users.auth.user.registered.v1',
    );
    assert.throws(() => contextOf('>.x'), { code: 'EVENT_SUBSCRIPTION_INVALID' });
  });

  it('matches NATS wildcards: * is one token, a final > is one or more', () => {
    assert.ok(subjectMatches('orders.order.*.v1', 'orders.order.placed.v1'));
    assert.ok(!subjectMatches('orders.order.*.v1', 'orders.order.placed.v2'));
    assert.ok(subjectMatches('orders.>', 'orders.order.placed.v1'));
    assert.ok(!subjectMatches('orders.>', 'orders'));
    assert.ok(!subjectMatches('orders.order', 'orders.order.placed.v1'));
  });

  it('a subject filter answers as subjectMatches does, asked again and again', () => {
    const exact = subjectFilter(['orders.order.placed.v1', 'payments.payment.succeeded.v1']);
    const wild = subjectFilter(['orders.order.*.v1', 'payments.>']);
    const subjects = [
      'orders.order.placed.v1',
      'orders.order.placed.v2',
      'payments.payment.succeeded.v1',
      'payments',
      'todos.todo.created.v1',
    ];
    for (let round = 0; round < 2; round++) {
      assert.deepEqual(subjects.map(exact), [true, false, true, false, false]);
      assert.deepEqual(subjects.map(wild), [true, false, true, false, false]);
    }
  });

  it('createEventBus gives each embedded service a client of one shared bus', async () => {
    const shared = new EmbeddedBus();
    const config = { LATTICE_MODE: 'embedded' as const, NATS_URL: 'nats://unused:4222' };
    const a = await createEventBus(config, { embedded: shared });
    const b = await createEventBus(config, { embedded: shared });
    assert.notEqual(a, b);
    await a.close();
    await b.ping();
    await shared.close();
    assert.equal(sharedEmbeddedBus(), sharedEmbeddedBus());
  });
});
