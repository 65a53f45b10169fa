// Message TTL and queue expiry with amqplib, on a ManualClock the test moves (no sleeps): x-message-ttl,
// the expiration property (the lower applies), expiry from the head on the queue's timer, TTL 0,
// requeued messages keeping their expiry, and x-expires deleting an unused queue.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel } from 'amqplib';
import { ManualClock } from '../../src/index.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { consume, eventually, expectEmpty, getOne, scope, TIMEOUT_MS } from '../helpers/amqp-helpers.js';

const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
let broker: TestBroker;
before(async () => {
  broker = await startBroker({ clock });
});
after(async () => {
  await broker?.stop();
});

/** The queue's ready count, after a round trip (so everything published before has arrived). */
async function ready(ch: Channel, q: string): Promise<number> {
  return (await ch.checkQueue(q)).messageCount;
}

async function exists(ch: Channel, q: string): Promise<boolean> {
  return ch.checkQueue(q).then(
    () => true,
    (err: { code?: number }) => {
      assert.equal(err.code, 404, 'a missing queue answers 404');
      return false;
    },
  );
}

describe('message TTL', { skip: !!process.env.WARREN_TEST_AMQP_URL && 'needs the in-process ManualClock' }, () => {
  test('x-message-ttl: messages expire on the clock, not before', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue('partE-ttl');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 1000 } });
    for (const b of ['a', 'b', 'c']) ch.sendToQueue(q, Buffer.from(b));
    assert.equal(await ready(ch, q), 3);
    clock.advance(999);
    assert.equal(await ready(ch, q), 3, 'not expired before the TTL');
    clock.advance(1);
    assert.equal(await ready(ch, q), 0, 'expired by the timer, without a consumer or get');
  });

  test('the expiration property and x-message-ttl: the lower applies', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue('partE-ttl-min');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 1000 } });
    ch.sendToQueue(q, Buffer.from('short'), { expiration: '300' });
    assert.equal(await ready(ch, q), 1);
    clock.advance(300);
    assert.equal(await ready(ch, q), 0, 'per-message 300 ms beats the queue 1000 ms');
    ch.sendToQueue(q, Buffer.from('long'), { expiration: '60000' });
    assert.equal(await ready(ch, q), 1);
    clock.advance(1000);
    assert.equal(await ready(ch, q), 0, 'queue 1000 ms beats per-message 60 s');
    const plain = s.queue('partE-ttl-msg-only');
    await ch.assertQueue(plain, { durable: false });
    ch.sendToQueue(plain, Buffer.from('x'), { expiration: '500' });
    ch.sendToQueue(plain, Buffer.from('y'));
    assert.equal(await ready(ch, plain), 2);
    clock.advance(500);
    assert.equal(await ready(ch, plain), 1, 'only the message with an expiration went');
    assert.equal((await getOne(ch, plain, { noAck: true })).content.toString(), 'y');
  });

  test('an expired message behind a longer-lived head is never delivered', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue('partE-ttl-behind');
    await ch.assertQueue(q, { durable: false });
    ch.sendToQueue(q, Buffer.from('head'), { expiration: '5000' });
    ch.sendToQueue(q, Buffer.from('behind'), { expiration: '100' });
    ch.sendToQueue(q, Buffer.from('last'));
    assert.equal(await ready(ch, q), 3);
    clock.advance(200);
    // RabbitMQ expires from the head only: the count still includes the expired one...
    assert.equal(await ready(ch, q), 3, 'expiry waits behind the head, as RabbitMQ');
    // ...but it is never handed out
    assert.equal((await getOne(ch, q, { noAck: true })).content.toString(), 'head');
    assert.equal((await getOne(ch, q, { noAck: true })).content.toString(), 'last');
    await expectEmpty(ch, q);
  });

  test('TTL 0: delivered to a consumer that can take it, else expired at once', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue('partE-ttl0');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 0 } });
    ch.sendToQueue(q, Buffer.from('nobody'));
    assert.equal(await ready(ch, q), 0, 'no consumer: expired');
    const { inbox } = await consume(ch, q, { noAck: true });
    ch.sendToQueue(q, Buffer.from('someone'));
    assert.equal((await inbox.next()).content.toString(), 'someone');
  });

  test('a requeued message keeps its expiry time', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue('partE-ttl-requeue');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 1000 } });
    ch.sendToQueue(q, Buffer.from('held'));
    const m = await getOne(ch, q);
    clock.advance(2000); // unacked messages do not expire
    ch.nack(m, false, true);
    assert.equal(await ready(ch, q), 0, 'expired when it came back');
  });

  test('expired messages are dead-lettered by the timer (reason expired)', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const dead = s.queue('partE-ttl-dead');
    const q = s.queue('partE-ttl-dlx');
    await ch.assertQueue(dead, { durable: false });
    await ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 1000, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dead } });
    ch.sendToQueue(q, Buffer.from('late'));
    assert.equal(await ready(ch, q), 1);
    clock.advance(1000);
    const m = await getOne(ch, dead, { noAck: true });
    const death = ((m.properties.headers as Record<string, unknown>)['x-death'] as Record<string, unknown>[])[0] as Record<string, unknown>;
    assert.equal(death.reason, 'expired');
    assert.deepEqual(death.time, { '!': 'timestamp', value: Math.floor(clock.now() / 1000) }, 'x-death time from the broker clock');
  });

  test('a priority queue expires from the head of its delivery order', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue('partE-ttl-prio');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-max-priority': 5, 'x-message-ttl': 1000 } });
    ch.sendToQueue(q, Buffer.from('low'), { priority: 1 });
    assert.equal(await ready(ch, q), 1); // enqueued (and its clock read) before the clock moves
    clock.advance(500);
    ch.sendToQueue(q, Buffer.from('high'), { priority: 5, expiration: '100' });
    assert.equal(await ready(ch, q), 2);
    clock.advance(100);
    assert.equal(await ready(ch, q), 1, 'the high-priority head expired');
    clock.advance(400);
    assert.equal(await ready(ch, q), 0, 'then the low one, at its own time');
  });

  test('a backlog expires in bounded batches (all of it, with the head timer)', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue('partE-ttl-backlog');
    await ch.assertQueue(q, { durable: false });
    const n = 20000;
    for (let i = 0; i < n; i++) ch.sendToQueue(q, Buffer.from('x'), { expiration: String(1000 + (i % 7)) });
    await eventually(async () => assert.equal(await ready(ch, q), n), TIMEOUT_MS, 'backlog in place');
    clock.advance(2000);
    assert.equal(await ready(ch, q), 0, 'all expired');
  });
});

describe('queue expiry (x-expires)', { skip: !!process.env.WARREN_TEST_AMQP_URL && 'needs the in-process ManualClock' }, () => {
  test('an unused queue is deleted after x-expires ms', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue('partE-expires');
    await ch.assertQueue(q, { durable: true, arguments: { 'x-expires': 1000 } });
    ch.sendToQueue(q, Buffer.from('with messages too'));
    clock.advance(999);
    assert.equal(await exists(ch, q), true, 'still there before');
    clock.advance(1);
    assert.equal(await exists(ch, q), false, 'deleted once unused for x-expires');
  });

  test('consumers keep it alive; the countdown starts when the last one leaves', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue('partE-expires-consumer');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-expires': 1000 } });
    const { tag } = await consume(ch, q);
    clock.advance(5000);
    assert.equal(await exists(ch, q), true, 'in use while it has a consumer');
    await ch.cancel(tag);
    clock.advance(999);
    assert.equal(await exists(ch, q), true);
    clock.advance(1);
    assert.equal(await exists(ch, q), false);
  });

  test('basic.get and a redeclare count as use', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue('partE-expires-use');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-expires': 1000 } });
    clock.advance(600);
    await ch.get(q, { noAck: true });
    clock.advance(600);
    assert.equal(await exists(ch, q), true, 'basic.get restarted the countdown');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-expires': 1000 } });
    clock.advance(600);
    assert.equal(await exists(ch, q), true, 'the redeclare restarted the countdown');
    clock.advance(400);
    assert.equal(await exists(ch, q), false);
  });
});
