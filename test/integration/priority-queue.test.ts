// Priority queues (x-max-priority) with amqplib: higher priority first, FIFO within a level, a
// priority above the maximum counts as the maximum, requeued messages return to their place in
// their level, a consumer sees the same order, and priorities mix with TTL and length limits.
// Runs unchanged against the reference RabbitMQ (WARREN_TEST_AMQP_URL).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel } from 'amqplib';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { consume, getOne, scope } from '../helpers/amqp-helpers.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

async function publishAll(ch: Channel, q: string, items: ReadonlyArray<readonly [string, number | undefined]>): Promise<void> {
  for (const [body, priority] of items) ch.sendToQueue(q, Buffer.from(body), priority === undefined ? {} : { priority });
  await ch.checkQueue(q); // a round trip: everything published has arrived
}

async function drain(ch: Channel, q: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await getOne(ch, q, { noAck: true })).content.toString());
  return out;
}

describe('priority queues', () => {
  test('higher first, FIFO within a level, above-max as max, none as 0', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue('partE-prio');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-max-priority': 3 } });
    await publishAll(ch, q, [['a0', undefined], ['b1', 1], ['c3', 3], ['d200', 200], ['e1', 1], ['f2', 2], ['g3', 3], ['h0', 0]]);
    assert.deepEqual(await drain(ch, q, 8), ['c3', 'd200', 'g3', 'f2', 'b1', 'e1', 'a0', 'h0']);
  });

  test('requeued messages go back to their place within their level', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue('partE-prio-requeue');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-max-priority': 5 } });
    await publishAll(ch, q, [['lo1', 1], ['hi1', 5], ['hi2', 5], ['lo2', 1]]);
    const m1 = await getOne(ch, q);
    const m2 = await getOne(ch, q);
    const m3 = await getOne(ch, q);
    assert.deepEqual([m1, m2, m3].map((m) => m.content.toString()), ['hi1', 'hi2', 'lo1']);
    ch.nack(m3, false, true);
    ch.nack(m2, false, true);
    ch.nack(m1, false, true);
    await ch.checkQueue(q);
    const got = await drain(ch, q, 4);
    assert.deepEqual(got, ['hi1', 'hi2', 'lo1', 'lo2']);
  });

  test('a consumer gets the backlog in priority order', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue('partE-prio-consume');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-max-priority': 10 } });
    await publishAll(ch, q, [['p2', 2], ['p7', 7], ['p5', 5], ['p7b', 7]]);
    const { inbox } = await consume(ch, q, { noAck: true });
    await inbox.waitFor(4);
    assert.deepEqual(inbox.bodies(), ['p7', 'p7b', 'p5', 'p2']);
  });

  test('x-max-length with drop-head drops from the front of the delivery order', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue('partE-prio-maxlen');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-max-priority': 5, 'x-max-length': 2 } });
    await publishAll(ch, q, [['lo', 1], ['hi', 5], ['mid', 3]]);
    assert.equal((await ch.checkQueue(q)).messageCount, 2);
    assert.deepEqual(await drain(ch, q, 2), ['mid', 'lo']);
  });
});
