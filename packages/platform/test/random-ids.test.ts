import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBase64url, randomBuffer, randomHex } from '../src/random-ids.ts';

test('pooled random ids and buffers have the asked length and alphabet and do not repeat across pool refills', () => {
  const seen = new Set<string>();
  // 3 000 ids of 16 bytes cross the 4 KiB pool about a dozen times.
  for (let i = 0; i < 3000; i++) {
    const hex = randomHex(16);
    assert.match(hex, /^[0-9a-f]{32}$/);
    seen.add(hex);
    const b64 = randomBase64url(12);
    assert.match(b64, /^[A-Za-z0-9_-]{16}$/);
    seen.add(b64);
    const bytes = randomBuffer(16);
    assert.equal(bytes.length, 16);
    seen.add(bytes.toString('hex'));
  }
  assert.equal(seen.size, 9000);
});

test('a random buffer is its own memory: later draws, across pool refills, leave it as it was', () => {
  const kept = randomBuffer(16);
  const copy = Buffer.from(kept);
  for (let i = 0; i < 600; i++) randomBuffer(16); // ~9.6 KiB: the pool refills twice
  assert.deepEqual(kept, copy);
  assert.throws(() => randomHex(5000), RangeError);
});
