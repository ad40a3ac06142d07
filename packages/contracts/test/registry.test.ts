import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from 'typebox';
import { catalogMarkdown, eventCatalog } from '../src/catalog.ts';
import { defineContract } from '../src/contract.ts';
import { eventContract, eventContracts, registerContract } from '../src/registry.ts';

describe('the event contract registry', () => {
  it('finds a published contract by CloudEvent type, with its version and producer', () => {
    const contract = eventContract('lattice.todos.todo.created.v1');
    assert.equal(contract?.version, 1);
    assert.equal(contract?.producer, 'todos');
    assert.equal(eventContract('lattice.todos.todo.created.v9'), undefined);
  });

  it('refuses a type that does not follow lattice.<context>.<aggregate>.<event>.v<N>', () => {
    const base = {
      schema: Type.Object({}),
      producer: 'x',
      consumers: [],
      description: '',
      examples: [{}],
    };
    assert.throws(
      () => defineContract({ ...base, type: 'orders.order.placed.v1' }),
      /must look like/,
    );
    assert.throws(
      () => defineContract({ ...base, type: 'lattice.orders.order.placed' }),
      /must look like/,
    );
    assert.equal(defineContract({ ...base, type: 'lattice.orders.order.placed.v12' }).version, 12);
  });

  it('registers extra contracts at run time but never replaces a schema silently', () => {
    const contract = defineContract({
      type: 'lattice.registrytest.thing.happened.v1',
      schema: Type.Object({ n: Type.Number() }),
      producer: 'tests',
      consumers: [],
      description: 'test',
      examples: [{ n: 1 }],
    });
    registerContract(contract);
    registerContract(contract);
    assert.equal(eventContract(contract.type), contract);
    assert.ok(eventContracts().includes(contract));
    assert.throws(
      () => registerContract({ ...contract, schema: Type.Object({ n: Type.String() }) }),
      /already registered/,
    );
  });

  it('lists the catalog of published events, and prints it as a Markdown table', () => {
    const rows = eventCatalog();
    assert.deepEqual(
      rows.map((r) => r.type),
      [
        'lattice.auth.user.registered.v1',
        'lattice.orders.order.cancelled.v1',
        'lattice.orders.order.confirmed.v1',
        'lattice.orders.order.placed.v1',
        'lattice.orders.order.refund-requested.v1',
        'lattice.payments.payment.failed.v1',
        'lattice.payments.payment.refunded.v1',
        'lattice.payments.payment.succeeded.v1',
        'lattice.todos.todo.completed.v1',
        'lattice.todos.todo.created.v1',
        'lattice.todos.todo.deleted.v1',
        'lattice.todos.todo.restored.v1',
        'lattice.todos.todo.updated.v1',
        'lattice.users.user.deleted.v1',
      ],
    );
    assert.deepEqual(rows[0]?.consumers, ['users', 'notifications', 'analytics']);
    const table = catalogMarkdown(rows).trimEnd().split('\n');
    assert.equal(table.length, rows.length + 2);
    assert.match(
      table[2]!,
      /^\| `lattice\.auth\.user\.registered\.v1` \| 1 \| auth \| users, notifications, analytics \| /,
    );
  });
});
