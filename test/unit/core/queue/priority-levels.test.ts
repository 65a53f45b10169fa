// PriorityLevels: highest level first, FIFO within a level, requeued entries back in their place
// (before the level's never-delivered entries), levelOf clamping, counts and bytes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PriorityLevels } from '../../../../src/core/queue/priority-levels.js';

interface E {
  seq: number;
  priority: number;
  msg: { bodySize: number };
}
const entry = (seq: number, priority: number, size = 10): E => ({ seq, priority, msg: { bodySize: size } });

function drain(l: PriorityLevels<E>): number[] {
  const out: number[] = [];
  for (let e = l.shift(); e !== undefined; e = l.shift()) out.push(e.seq);
  return out;
}

describe('PriorityLevels', () => {
  test('levelOf: missing or negative → 0, above the maximum → the maximum', () => {
    const l = new PriorityLevels<E>(5);
    assert.equal(l.levelOf(undefined), 0);
    assert.equal(l.levelOf(-3), 0);
    assert.equal(l.levelOf(3), 3);
    assert.equal(l.levelOf(200), 5);
  });

  test('highest first, FIFO within a level; length and bytes follow', () => {
    const l = new PriorityLevels<E>(3);
    [entry(1, 0), entry(2, 2), entry(3, 1), entry(4, 2), entry(5, 3, 7), entry(6, 0)].forEach((e) => l.push(e));
    assert.equal(l.length, 6);
    assert.equal(l.bytes, 57);
    assert.deepEqual([...l.values()].map((e) => e.seq), [5, 2, 4, 3, 1, 6], 'values() in delivery order');
    assert.deepEqual(drain(l), [5, 2, 4, 3, 1, 6]);
    assert.equal(l.length, 0);
    assert.equal(l.bytes, 0);
  });

  test('requeued entries return before the never-delivered ones of their level, in seq order', () => {
    const l = new PriorityLevels<E>(2);
    const es = [entry(1, 2), entry(2, 2), entry(3, 2), entry(4, 1)];
    es.forEach((e) => l.push(e));
    const a = l.shift() as E;
    const b = l.shift() as E;
    l.requeue(b);
    l.requeue(a);
    assert.deepEqual(drain(l), [1, 2, 3, 4]);
  });

  test('a higher level filled after the top was emptied is found again; clear() returns everything', () => {
    const l = new PriorityLevels<E>(4);
    l.push(entry(1, 1));
    assert.equal(l.shift()?.seq, 1);
    assert.equal(l.peek(), undefined);
    l.push(entry(2, 0));
    l.push(entry(3, 4));
    assert.equal(l.peek()?.seq, 3);
    assert.deepEqual(l.clear().map((e) => e.seq), [3, 2]);
    assert.equal(l.length, 0);
    assert.equal(l.peek(), undefined);
  });
});
