/**
 * Structural backward-compatibility rules for JSON Schemas: a consumer written against the old
 * schema of a version must keep accepting what producers of that version may send, and a
 * producer written against it must keep passing validation. So the new schema may only widen:
 * no removed or renamed property, no newly required property, no narrowed type or constraint.
 * Deliberately conservative: what it cannot prove wider (a changed pattern) it reports.
 */
type Schema = Record<string, unknown>;

const typesOf = (s: Schema): string[] =>
  Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
const branches = (s: Schema): Schema[] | undefined => (s.anyOf ?? s.oneOf) as Schema[] | undefined;
const num = (s: Schema, key: string) =>
  typeof s[key] === 'number' ? (s[key] as number) : undefined;

export function incompatibilities(before: Schema, after: Schema, path = 'data'): string[] {
  const afterBranches = branches(after);
  const beforeBranches = branches(before);
  if (Object.keys(after).length === 0) return [];
  if (beforeBranches) {
    return beforeBranches.flatMap((b, i) => incompatibilities(b, after, `${path}|${i}`));
  }
  if (afterBranches) {
    const fits = afterBranches.some((a) => incompatibilities(before, a, path).length === 0);
    return fits ? [] : [`${path}: no branch of the new union accepts the old schema`];
  }
  const problems: string[] = [];
  const was = typesOf(before);
  const is = typesOf(after);
  for (const type of was) {
    const accepted = is.includes(type) || (type === 'integer' && is.includes('number'));
    if (!accepted)
      problems.push(`${path}: type ${type} is no longer accepted (now ${is.join('|')})`);
  }
  if ('const' in after && JSON.stringify(after.const) !== JSON.stringify(before.const)) {
    problems.push(`${path}: const changed`);
  }
  if (Array.isArray(after.enum)) {
    const allowed = new Set((after.enum as unknown[]).map((v) => JSON.stringify(v)));
    const old = Array.isArray(before.enum) ? (before.enum as unknown[]) : undefined;
    if (!old || old.some((v) => !allowed.has(JSON.stringify(v)))) {
      problems.push(`${path}: enum narrowed`);
    }
  }
  for (const key of ['minLength', 'minItems', 'minimum', 'exclusiveMinimum', 'minProperties']) {
    const a = num(after, key);
    const b = num(before, key);
    if (a !== undefined && (b === undefined || a > b)) problems.push(`${path}: ${key} raised`);
  }
  for (const key of ['maxLength', 'maxItems', 'maximum', 'exclusiveMaximum', 'maxProperties']) {
    const a = num(after, key);
    const b = num(before, key);
    if (a !== undefined && (b === undefined || a < b)) problems.push(`${path}: ${key} lowered`);
  }
  for (const key of ['pattern', 'format', 'multipleOf']) {
    if (key in after && after[key] !== before[key])
      problems.push(`${path}: ${key} added or changed`);
  }
  if (was.includes('object') || 'properties' in before) {
    const oldProps = (before.properties ?? {}) as Record<string, Schema>;
    const newProps = (after.properties ?? {}) as Record<string, Schema>;
    const oldRequired = new Set((before.required ?? []) as string[]);
    for (const name of Object.keys(oldProps)) {
      const next = newProps[name];
      if (!next) problems.push(`${path}.${name}: removed or renamed`);
      else problems.push(...incompatibilities(oldProps[name]!, next, `${path}.${name}`));
    }
    for (const name of (after.required ?? []) as string[]) {
      if (!oldRequired.has(name)) problems.push(`${path}.${name}: newly required`);
    }
    if (after.additionalProperties === false && before.additionalProperties !== false) {
      problems.push(`${path}: additional properties no longer allowed`);
    }
  }
  if (before.items && after.items) {
    problems.push(...incompatibilities(before.items as Schema, after.items as Schema, `${path}[]`));
  } else if (after.items && !before.items && was.includes('array')) {
    problems.push(`${path}[]: item schema added`);
  }
  return problems;
}

/**
 * A few values valid under `schema`: each union branch, objects with only the required
 * properties and with all of them, empty and one-item arrays. They complement the examples
 * frozen in the snapshot.
 */
export function samplesOf(schema: Schema): unknown[] {
  const anyOf = branches(schema);
  if (anyOf) return anyOf.flatMap(samplesOf);
  if ('const' in schema) return [schema.const];
  if (Array.isArray(schema.enum)) return schema.enum as unknown[];
  const type = typesOf(schema)[0];
  switch (type) {
    case 'null':
      return [null];
    case 'boolean':
      return [true, false];
    case 'integer':
    case 'number':
      return [num(schema, 'minimum') ?? 0];
    case 'string':
      return [stringSample(schema)];
    case 'array': {
      const items = schema.items ? samplesOf(schema.items as Schema) : ['x'];
      const minItems = num(schema, 'minItems') ?? 0;
      return [
        ...(minItems === 0 ? [[]] : []),
        Array.from({ length: Math.max(1, minItems) }, () => items[0]),
      ];
    }
    case 'object':
      return objectSamples(schema);
    default:
      return [];
  }
}

function stringSample(schema: Schema): string {
  const byFormat: Record<string, string> = {
    email: 'someone@example.com',
    'date-time': '2024-05-01T12:00:00.000Z',
    date: '2024-05-01',
    uuid: '0195f3a0-7b1c-7000-8000-000000000001',
    uri: 'https://example.com/',
  };
  const format = schema.format as string | undefined;
  if (format && byFormat[format]) return byFormat[format];
  return 'x'.repeat(Math.max(1, num(schema, 'minLength') ?? 1));
}

function objectSamples(schema: Schema): unknown[] {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  const first = Object.fromEntries(
    Object.entries(props).map(([name, s]) => [name, samplesOf(s)]),
  ) as Record<string, unknown[]>;
  const all = Object.fromEntries(Object.entries(first).map(([name, v]) => [name, v[0]]));
  const requiredOnly = Object.fromEntries(
    Object.entries(all).filter(([name]) => required.has(name)),
  );
  // Vary one property at a time rather than the cartesian product, which grows too fast.
  const variants = Object.entries(first).flatMap(([name, values]) =>
    values.slice(1).map((value) => ({ ...all, [name]: value })),
  );
  return [requiredOnly, all, ...variants];
}
