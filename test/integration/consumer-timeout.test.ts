// Consumer timeout with amqplib and a ManualClock (time moves only when the test says so): a
// delivery unacked for longer than consumer_timeout (or the queue's x-consumer-timeout) goes back
// to its queue and its consumer gets a server basic.cancel, while the channel stays open. This is
// a deliberate difference from RabbitMQ 3.10, which closes the whole channel with 406 (see
// docs/compatibility.md), so these tests run only against Warren.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/index.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { consume, getOne, isChannelClosed, publishConfirmed, scope, TRANSIENT, type AmqpScope } from '../helpers/amqp-helpers.js';

const TIMEOUT = 60_000;
const clock = new ManualClock();
let broker: TestBroker;
const skip = process.env.WARREN_TEST_AMQP_URL ? 'Warren-only: RabbitMQ 3.10 closes the channel instead' : false;

before(async () => {
  if (!skip) broker = await startBroker({ clock, consumerTimeout: TIMEOUT });
});
after(async () => {
  await broker?.stop();
});

async function newQueue(s: AmqpScope, args: Record<string, unknown> = {}): Promise<string> {
  const ch = await s.channel();
  const q = s.queue('consumer-timeout');
  await ch.assertQueue(q, { ...TRANSIENT, arguments: args });
  await ch.close();
  return q;
}

async function readyCount(s: AmqpScope, q: string): Promise<number> {
  const ch = await s.channel();
  const { messageCount } = await ch.checkQueue(q);
  await ch.close();
  return messageCount;
}

describe('consumer timeout', { skip }, () => {
  test('an unacked delivery past the timeout: basic.cancel, channel open, message redelivered to another consumer', async (t) => {
    const s = scope(t, broker.url);
    const q = await newQueue(s);
    const slowCh = await s.channel();
    const slow = await consume(slowCh, q);
    await publishConfirmed(await s.conn(), '', q, ['job']);
    const [first] = await slow.inbox.waitFor(1);
    assert.equal(first.fields.redelivered, false, 'first delivery');

    clock.advance(TIMEOUT - 1);
    await slow.inbox.expectQuiet();
    assert.equal(slow.inbox.cancelled, false, 'not yet timed out one ms before the deadline');

    const otherCh = await s.channel();
    const other = await consume(otherCh, q);
    clock.advance(1);
    await slow.inbox.waitCancelled();
    const [again] = await other.inbox.waitFor(1);
    assert.equal(again.content.toString(), 'job', 'the other consumer gets the message');
    assert.equal(again.fields.redelivered, true, 'marked redelivered');

    // the timed-out channel is still usable, and a late ack of the old delivery is accepted quietly
    slowCh.ack(first);
    assert.equal((await slowCh.checkQueue(q)).consumerCount, 1, 'only the other consumer is left');
    assert.equal(isChannelClosed(slowCh), false, 'the timed-out consumer channel stays open');
    otherCh.ack(again);
    assert.equal(await readyCount(s, q), 0, 'nothing left in the queue');
  });

  test('only the timed-out consumer is cancelled; its later deliveries it acks in time are kept', async (t) => {
    const s = scope(t, broker.url);
    const q = await newQueue(s);
    const ch = await s.channel();
    await ch.prefetch(1);
    const a = await consume(ch, q);
    const b = await consume(ch, q, { noAck: true });
    await publishConfirmed(await s.conn(), '', q, ['to-a', 'to-b']);
    await a.inbox.waitFor(1);
    await b.inbox.waitFor(1);
    clock.advance(TIMEOUT);
    await a.inbox.waitCancelled();
    // the requeued message goes to the remaining (no-ack) consumer on the same channel
    await b.inbox.waitFor(2);
    assert.deepEqual(b.inbox.bodies(), ['to-b', 'to-a'], 'b gets its own message, then the requeued one');
    assert.equal(b.inbox.cancelled, false, 'a no-ack consumer never times out');
    assert.equal(isChannelClosed(ch), false, 'channel open');
  });

  test('single active consumer: the next consumer takes over with the timed-out message first', async (t) => {
    const s = scope(t, broker.url);
    const q = await newQueue(s, { 'x-single-active-consumer': true });
    const chA = await s.channel();
    await chA.prefetch(1);
    const a = await consume(chA, q);
    const b = await consume(await s.channel(), q, { noAck: true });
    await publishConfirmed(await s.conn(), '', q, ['m1', 'm2', 'm3']);
    await a.inbox.waitFor(1);
    clock.advance(TIMEOUT);
    await a.inbox.waitCancelled();
    await b.inbox.waitFor(3);
    assert.deepEqual(b.inbox.bodies(), ['m1', 'm2', 'm3'], 'the successor gets m1 back in its place, then the rest');
    assert.equal(b.inbox.messages[0].fields.redelivered, true, 'm1 marked redelivered');
  });

  test('acking in time keeps the consumer', async (t) => {
    const s = scope(t, broker.url);
    const q = await newQueue(s);
    const ch = await s.channel();
    const c = await consume(ch, q);
    await publishConfirmed(await s.conn(), '', q, ['one']);
    const [m] = await c.inbox.waitFor(1);
    clock.advance(TIMEOUT / 2);
    ch.ack(m);
    assert.equal(await readyCount(s, q), 0, 'acked');
    clock.advance(TIMEOUT);
    await publishConfirmed(await s.conn(), '', q, ['two']);
    await c.inbox.waitFor(2);
    assert.equal(c.inbox.cancelled, false, 'still consuming after the timeout passed with nothing unacked');
    ch.ack(c.inbox.messages[1]);
  });

  test('x-consumer-timeout on the queue overrides consumer_timeout', async (t) => {
    const s = scope(t, broker.url);
    const q = await newQueue(s, { 'x-consumer-timeout': 1000 });
    const ch = await s.channel();
    const c = await consume(ch, q);
    await publishConfirmed(await s.conn(), '', q, ['quick']);
    await c.inbox.waitFor(1);
    clock.advance(999);
    await c.inbox.expectQuiet();
    assert.equal(c.inbox.cancelled, false, 'not before the queue timeout');
    clock.advance(1);
    await c.inbox.waitCancelled();
    assert.equal(await readyCount(s, q), 1, 'the message is ready again');
    assert.equal(isChannelClosed(ch), false, 'channel open');
  });

  test('an unacked basic.get delivery times out too: back to the queue, channel open, late ack ignored', async (t) => {
    const s = scope(t, broker.url);
    const q = await newQueue(s);
    await publishConfirmed(await s.conn(), '', q, ['got']);
    const ch = await s.channel();
    const m = await getOne(ch, q);
    assert.equal(await readyCount(s, q), 0, 'held unacked by basic.get');
    clock.advance(TIMEOUT);
    const again = await getOne(ch, q, { noAck: true });
    assert.equal(again.content.toString(), 'got', 'back in the queue');
    assert.equal(again.fields.redelivered, true, 'marked redelivered');
    ch.ack(m);
    assert.equal((await ch.checkQueue(q)).messageCount, 0, 'the channel still answers after the late ack');
  });

  test('one timer per channel, however many deliveries are unacked', async (t) => {
    const s = scope(t, broker.url);
    const q = await newQueue(s);
    const ch = await s.channel();
    const before = clock.pending;
    const c = await consume(ch, q);
    await publishConfirmed(await s.conn(), '', q, Array.from({ length: 50 }, (_, i) => `m${i}`));
    await c.inbox.waitFor(50);
    assert.equal(clock.pending - before, 1, 'a single pending timer for 50 unacked deliveries');
    ch.ackAll();
    await ch.close();
    clock.advance(TIMEOUT);
    assert.equal(clock.pending, before, 'the timer is gone with its channel');
  });
});
