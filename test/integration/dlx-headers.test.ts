// Dead-lettering with amqplib: where a message goes when it is rejected, expires or overflows, and
// the x-death / x-first-death-* headers exactly as RabbitMQ 3.10 writes them. Runs unchanged against
// the reference RabbitMQ (WARREN_TEST_AMQP_URL) — no clock needed: TTL 0 expires at once.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, GetMessage } from 'amqplib';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { TIMEOUT_MS, eventually, expectEmpty, getOne, scope, withTimeout, type AmqpScope } from '../helpers/amqp-helpers.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

type Table = Record<string, unknown>;

/** A fanout dead-letter exchange with one queue behind it. */
async function deadLetterTarget(s: AmqpScope, ch: Channel): Promise<{ dlx: string; dead: string }> {
  const dlx = s.exchange('partE-dlx');
  const dead = s.queue('partE-dead');
  await ch.assertExchange(dlx, 'fanout', { durable: false });
  await ch.assertQueue(dead, { durable: false });
  await ch.bindQueue(dead, dlx, '');
  return { dlx, dead };
}

/** basic.get until a message arrives (dead-lettering is asynchronous in RabbitMQ); unacked. */
async function getEventually(ch: Channel, q: string): Promise<GetMessage> {
  return eventually(
    async () => {
      const m = await ch.get(q);
      if (m === false) throw new Error(`nothing in ${q} yet`);
      return m;
    },
    TIMEOUT_MS,
    `a dead-lettered message in ${q}`,
  );
}

function deaths(m: GetMessage): Table[] {
  const h = m.properties.headers as Table;
  assert.ok(Array.isArray(h['x-death']), 'x-death is an array');
  return h['x-death'] as Table[];
}

/**
 * Checks an x-death entry's fields in RabbitMQ's order (count, reason, queue, time, exchange,
 * routing-keys, original-expiration), and that its time is a timestamp of now, in seconds.
 */
function assertDeath(d: Table, expected: Table, sortedKeys = false): void {
  const { time, ...rest } = d;
  assert.deepEqual(rest, expected, 'x-death entry');
  const order = ['count', 'reason', 'queue', 'time', 'exchange', 'routing-keys', ...('original-expiration' in expected ? ['original-expiration'] : [])];
  // the first death is written in this order; an entry added or updated later has sorted keys
  assert.deepEqual(Object.keys(d), sortedKeys ? [...order].sort() : order, 'x-death key order');
  const ts = time as { '!': string; value: number };
  assert.equal(ts['!'], 'timestamp', 'x-death time is a timestamp');
  assert.ok(Math.abs(ts.value - Date.now() / 1000) < 120, 'x-death time is now, in seconds');
}

describe('dead-lettering', () => {
  test('reject without requeue: x-death, x-first-death-*, expiration removed, published to the DLX with the original key', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const { dlx, dead } = await deadLetterTarget(s, ch);
    const src = s.queue('partE-src');
    await ch.assertQueue(src, { durable: false, arguments: { 'x-dead-letter-exchange': dlx } });
    ch.sendToQueue(src, Buffer.from('m1'), { expiration: '60000', headers: { mine: 'kept', CC: ['partE-cc-nowhere'] }, messageId: 'id-1' });
    const m = await getOne(ch, src);
    ch.nack(m, false, false);
    const d = await getEventually(ch, dead);
    ch.ack(d);
    assert.equal(d.content.toString(), 'm1');
    assert.equal(d.fields.exchange, dlx, 'delivered from the dead-letter exchange');
    assert.equal(d.fields.routingKey, src, 'with the original routing key');
    assert.equal(d.properties.expiration, undefined, 'expiration removed');
    assert.equal(d.properties.messageId, 'id-1', 'other properties kept');
    const h = d.properties.headers as Table;
    assert.equal(h.mine, 'kept');
    assert.equal(h['x-first-death-exchange'], '');
    assert.equal(h['x-first-death-queue'], src);
    assert.equal(h['x-first-death-reason'], 'rejected');
    assert.equal(h['x-last-death-reason'], undefined, 'RabbitMQ 3.10 writes no x-last-death-*');
    const list = deaths(d);
    assert.equal(list.length, 1);
    assert.deepEqual(h.CC, ['partE-cc-nowhere'], 'CC stays without a dead-letter routing key');
    assertDeath(list[0] as Table, { count: 1, reason: 'rejected', queue: src, exchange: '', 'routing-keys': [src, 'partE-cc-nowhere'], 'original-expiration': '60000' });
  });

  test('x-dead-letter-routing-key replaces the key; x-death counts per queue and reason, latest first', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const a = s.queue('partE-a');
    const b = s.queue('partE-b');
    // a and b dead-letter into each other through the default exchange
    await ch.assertQueue(a, { durable: false, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': b } });
    await ch.assertQueue(b, { durable: false, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': a } });
    ch.sendToQueue(a, Buffer.from('ping'));
    ch.nack(await getOne(ch, a), false, false); // a → b
    ch.nack(await getEventually(ch, b), false, false); // b → a
    const fromA = await getEventually(ch, a);
    ch.nack(fromA, false, false); // a → b again
    const m = await getEventually(ch, b);
    ch.ack(m);
    assert.equal(m.fields.routingKey, b, 'routed with the dead-letter routing key');
    const list = deaths(m);
    assert.equal(list.length, 2, 'one entry per queue+reason');
    assertDeath(list[0] as Table, { count: 2, exchange: '', queue: a, reason: 'rejected', 'routing-keys': [a] }, true);
    assertDeath(list[1] as Table, { count: 1, exchange: '', queue: b, reason: 'rejected', 'routing-keys': [b] }, true);
    const h = m.properties.headers as Table;
    assert.equal(h['x-first-death-queue'], a, 'the first death stays');
  });

  test('TTL 0 without a consumer: dead-lettered as expired, original-expiration when the message had one', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const { dlx, dead } = await deadLetterTarget(s, ch);
    const src = s.queue('partE-ttl0');
    await ch.assertQueue(src, { durable: false, arguments: { 'x-dead-letter-exchange': dlx, 'x-message-ttl': 0 } });
    ch.sendToQueue(src, Buffer.from('gone'));
    const m = await getEventually(ch, dead);
    assert.equal(m.content.toString(), 'gone');
    assertDeath(deaths(m)[0] as Table, { count: 1, exchange: '', queue: src, reason: 'expired', 'routing-keys': [src] });
    await expectEmpty(ch, src);
    ch.sendToQueue(src, Buffer.from('gone too'), { expiration: '0' });
    const m2 = await getEventually(ch, dead);
    assertDeath(deaths(m2)[0] as Table, { count: 1, exchange: '', 'original-expiration': '0', queue: src, reason: 'expired', 'routing-keys': [src] });
  });

  test('drop-head overflow dead-letters the dropped head as maxlen', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const { dlx, dead } = await deadLetterTarget(s, ch);
    const src = s.queue('partE-maxlen');
    await ch.assertQueue(src, { durable: false, arguments: { 'x-dead-letter-exchange': dlx, 'x-max-length': 1 } });
    ch.sendToQueue(src, Buffer.from('first'));
    ch.sendToQueue(src, Buffer.from('second'));
    const m = await getEventually(ch, dead);
    assert.equal(m.content.toString(), 'first');
    assertDeath(deaths(m)[0] as Table, { count: 1, exchange: '', queue: src, reason: 'maxlen', 'routing-keys': [src] });
    assert.equal((await getOne(ch, src, { noAck: true })).content.toString(), 'second');
  });

  test('reject-publish-dlx: the refused publish is nacked and dead-lettered as maxlen', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const { dlx, dead } = await deadLetterTarget(s, ch);
    const src = s.queue('partE-rpdlx');
    await ch.assertQueue(src, { durable: false, arguments: { 'x-dead-letter-exchange': dlx, 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx' } });
    const cc = await s.confirmChannel();
    const outcome = (body: string): Promise<string> =>
      withTimeout(new Promise<string>((resolve) => cc.sendToQueue(src, Buffer.from(body), {}, (err) => resolve(err ? 'nack' : 'ack'))), TIMEOUT_MS, 'confirm');
    assert.equal(await outcome('kept'), 'ack');
    assert.equal(await outcome('refused'), 'nack');
    const m = await getEventually(ch, dead);
    assert.equal(m.content.toString(), 'refused');
    assertDeath(deaths(m)[0] as Table, { count: 1, exchange: '', queue: src, reason: 'maxlen', 'routing-keys': [src] });
    assert.equal((await getOne(ch, src, { noAck: true })).content.toString(), 'kept');
  });

  test('a message expiring back into the queue it died in is dropped (cycle); a rejected one may go round', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const loop = s.queue('partE-loop');
    await ch.assertQueue(loop, { durable: false, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': loop } });
    ch.sendToQueue(loop, Buffer.from('round'));
    ch.nack(await getOne(ch, loop), false, false); // rejected: comes back
    const again = await getEventually(ch, loop);
    ch.ack(again);
    assertDeath(deaths(again)[0] as Table, { count: 1, exchange: '', queue: loop, reason: 'rejected', 'routing-keys': [loop] });
    // with TTL 0 and no rejection in its history a message would loop: RabbitMQ drops it instead
    const ttlLoop = s.queue('partE-ttl-loop');
    await ch.assertQueue(ttlLoop, { durable: false, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': ttlLoop, 'x-message-ttl': 0 } });
    ch.sendToQueue(ttlLoop, Buffer.from('cycle'));
    const q = await ch.checkQueue(ttlLoop);
    assert.equal(q.messageCount, 0, 'expired and dropped, not looping');
  });

  test('a dead-letter exchange that does not exist: the message is dropped silently', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const src = s.queue('partE-nodlx');
    await ch.assertQueue(src, { durable: false, arguments: { 'x-dead-letter-exchange': 'partE-missing-exchange' } });
    ch.sendToQueue(src, Buffer.from('x'));
    ch.nack(await getOne(ch, src), false, false);
    await expectEmpty(ch, src);
    assert.equal((await ch.checkQueue(src)).messageCount, 0, 'the channel is still open');
  });
});
