import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Value } from 'typebox/value';
import { publishedContracts } from '../src/registry.ts';
import { type SchemaSnapshot, schemaSnapshot, snapshotPath } from '../src/snapshots.ts';
import { incompatibilities, samplesOf } from './compatibility.ts';

type Schema = Record<string, unknown>;

describe('every published event schema stays backward compatible with its snapshot', () => {
  for (const contract of publishedContracts) {
    it(`${contract.type} accepts everything its published snapshot accepted`, () => {
      const path = snapshotPath(contract.type);
      assert.ok(
        existsSync(path),
        `no snapshot for ${contract.type}: run node packages/contracts/src/write-schema-snapshots.ts and commit ${path}`,
      );
      const snapshot = JSON.parse(readFileSync(path, 'utf8')) as SchemaSnapshot;
      const before = snapshot.schema as Schema;
      const after = schemaSnapshot(contract).schema as Schema;

      assert.deepEqual(incompatibilities(before, after), []);
      const samples = [...snapshot.examples, ...samplesOf(before)];
      for (const sample of samples) {
        assert.ok(
          Value.Check(before, sample),
          `sample invalid under the snapshot: ${JSON.stringify(sample)}`,
        );
        assert.ok(
          Value.Check(after, sample),
          `${contract.type} now refuses ${JSON.stringify(sample)}, which its published schema accepted`,
        );
      }
    });
  }

  it('every example of a contract is valid under its own schema', () => {
    for (const contract of publishedContracts) {
      assert.ok(contract.examples.length > 0, `${contract.type} has no example`);
      for (const example of contract.examples) {
        assert.ok(
          Value.Check(contract.schema, example),
          `${contract.type}: ${JSON.stringify(example)}`,
        );
      }
    }
  });
});

describe('the compatibility rules', () => {
  const v1: Schema = {
    type: 'object',
    required: ['id', 'title'],
    properties: {
      id: { type: 'string', minLength: 1 },
      title: { type: 'string' },
      count: { type: 'integer' },
      due: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] },
      tags: { type: 'array', items: { type: 'string' } },
    },
  };
  const change = (mutate: (s: Schema & { properties: Record<string, Schema> }) => void) => {
    const copy = structuredClone(v1) as Schema & { properties: Record<string, Schema> };
    mutate(copy);
    return incompatibilities(v1, copy);
  };

  it('accepts an unchanged schema and an added optional property', () => {
    assert.deepEqual(incompatibilities(v1, v1), []);
    assert.deepEqual(
      change((s) => {
        s.properties.note = { type: 'string' };
      }),
      [],
    );
  });

  it('accepts widening: integer to number, a union gaining a branch, a lower minLength', () => {
    assert.deepEqual(
      change((s) => {
        s.properties.count = { type: 'number' };
      }),
      [],
    );
    assert.deepEqual(
      change((s) => {
        s.properties.title = { anyOf: [{ type: 'string' }, { type: 'null' }] };
      }),
      [],
    );
    assert.deepEqual(
      change((s) => {
        s.properties.id = { type: 'string' };
      }),
      [],
    );
  });

  it('reports a removed or renamed property', () => {
    const problems = change((s) => {
      s.properties.name = s.properties.title!;
      delete s.properties.title;
      s.required = ['id', 'name'];
    });
    assert.ok(
      problems.some((p) => p.includes('data.title: removed or renamed')),
      problems.join(),
    );
    assert.ok(
      problems.some((p) => p.includes('data.name: newly required')),
      problems.join(),
    );
  });

  it('reports a newly required property, even one that existed as optional', () => {
    assert.deepEqual(
      change((s) => {
        s.required = ['id', 'title', 'count'];
      }),
      ['data.count: newly required'],
    );
  });

  it('reports narrowed types and constraints', () => {
    assert.notDeepEqual(
      change((s) => {
        s.properties.count = { type: 'string' };
      }),
      [],
    );
    assert.notDeepEqual(
      change((s) => {
        s.properties.due = { type: 'string', format: 'date-time' };
      }),
      [],
    );
    assert.notDeepEqual(
      change((s) => {
        s.properties.title = { type: 'string', minLength: 3 };
      }),
      [],
    );
    assert.notDeepEqual(
      change((s) => {
        s.properties.title = { type: 'string', format: 'email' };
      }),
      [],
    );
    assert.notDeepEqual(
      change((s) => {
        s.properties.tags = { type: 'array', items: { type: 'integer' } };
      }),
      [],
    );
    assert.notDeepEqual(
      change((s) => {
        s.additionalProperties = false;
      }),
      [],
    );
  });

  it('generates samples that the schema accepts, covering each union branch', () => {
    const samples = samplesOf(v1);
    for (const sample of samples) assert.ok(Value.Check(v1, sample), JSON.stringify(sample));
    assert.ok(samples.some((s) => (s as { due?: unknown }).due === null));
    assert.ok(samples.some((s) => typeof (s as { due?: unknown }).due === 'string'));
  });
});
