import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Counter } from 'prom-client';
import { createService } from '../../src/create-service.ts';
import { notesWithoutDatabase } from '../support.ts';

const notes = await createService(notesWithoutDatabase, { env: { LOG_LEVEL: 'silent' } });
after(() => notes.close());

describe('service metrics', () => {
  test('a business counter registered on context.metrics is served at /metrics with the service label', async () => {
    const placed = new Counter({
      name: 'notes_business_things_total',
      help: 'Things done, by outcome',
      labelNames: ['outcome'],
      registers: [notes.context.metrics],
    });
    placed.inc({ outcome: 'ok' }, 3);
    const response = await notes.app.inject({ url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /notes_business_things_total\{outcome="ok",service="notes"\} 3/);
  });
});
