// amqplib against the broker: basic.qos (per-consumer and global prefetch), round-robin dispatch,
// and unacked messages going back to the queue when their channel or connection closes, as
// RabbitMQ 3.10 does it. "Nothing more was delivered" is proven by the queue's ready count (a
// message the broker sent would no longer be ready), plus a short quiet period.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelModel } from 'amqplib';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import {
  METHOD,
  TIMEOUT_MS,
  TRANSIENT,
  consume,
  expectConnectionError,
  expectEmpty,
  getOne,
  publishConfirmed,
  rawRpc,
  scope,
  waitTotal,
  withTimeout,
  type AmqpScope,
} from '../helpers/amqp-helpers.js';

let broker: TestBroker;

before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

async function newQueue(s: AmqpScope, conn?: ChannelModel): Promise<string> {
  const ch = await s.channel(conn);
  const q = s.queue();
  await ch.assertQueue(q, TRANSIENT);
  await ch.close();
  return q;
}

const bodies = (n: number, prefix = ''): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

async function readyCount(s: AmqpScope, q: string): Promise<number> {
  const ch = await s.channel();
  const { messageCount } = await ch.checkQueue(q);
  await ch.close();
  return messageCount;
}

describe('basic.qos prefetch per consumer (global=false)', () => {
  test('a consumer gets at most prefetch unacked messages; each ack lets one more through', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = await newQueue(s);
    await publishConfirmed(conn, '', q, bodies(5));
    const ch = await s.channel();
    assert.deepEqual(await ch.prefetch(2), {});
    const { inbox } = await consume(ch, q);
    await inbox.waitFor(2);
    assert.equal(await readyCount(s, q), 3);
    await inbox.expectQuiet();
    ch.ack(inbox.messages[0]);
    await inbox.waitFor(3);
    assert.equal(await readyCount(s, q), 2);
    await inbox.expectQuiet();
    assert.deepEqual(inbox.bodies(), ['1', '2', '3']);
  });

  test('per-consumer prefetch applies to consumers created after basic.qos, not to existing ones', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q1 = await newQueue(s);
    const q2 = await newQueue(s);
    const ch = await s.channel();
    const before = await consume(ch, q1); // unlimited
    await ch.prefetch(1);
    const afterQos = await consume(ch, q2); // limited to 1
    await publishConfirmed(conn, '', q1, bodies(3));
    await publishConfirmed(conn, '', q2, bodies(3));
    await before.inbox.waitFor(3);
    await afterQos.inbox.waitFor(1);
    assert.equal(await readyCount(s, q2), 2);
  });

  test('prefetch 0 means unlimited again', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = await newQueue(s);
    await publishConfirmed(conn, '', q, bodies(4));
    const ch = await s.channel();
    await ch.prefetch(1);
    await ch.prefetch(0);
    const { inbox } = await consume(ch, q);
    await inbox.waitFor(4);
  });

  test('basic.get is not limited by prefetch', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = await newQueue(s);
    await publishConfirmed(conn, '', q, bodies(3));
    const ch = await s.channel();
    await ch.prefetch(1, true);
    await ch.prefetch(1, false);
    await getOne(ch, q);
    await getOne(ch, q);
    await getOne(ch, q);
  });

  test('prefetch_size other than 0 closes the connection with 540 NOT_IMPLEMENTED', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.connect();
    const ch = await s.channel(conn);
    await expectConnectionError(conn, () => rawRpc(ch, METHOD.BasicQos, { prefetchSize: 1000, prefetchCount: 0, global: false }, METHOD.BasicQosOk), {
      code: 540,
      text: 'NOT_IMPLEMENTED - prefetch_size!=0 (1000)',
      classId: 60,
      methodId: 10,
    });
  });
});

describe('basic.qos global=true (per channel)', () => {
  test('limits the total of unacked deliveries across all consumers of the channel', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q1 = await newQueue(s);
    const q2 = await newQueue(s);
    const ch = await s.channel();
    await ch.prefetch(3, true);
    const c1 = await consume(ch, q1);
    const c2 = await consume(ch, q2);
    await publishConfirmed(conn, '', q1, bodies(5, 'a'));
    await publishConfirmed(conn, '', q2, bodies(5, 'b'));
    await waitTotal([c1.inbox, c2.inbox], 3);
    assert.equal((await readyCount(s, q1)) + (await readyCount(s, q2)), 7);
    await c1.inbox.expectQuiet();
    assert.equal(c1.inbox.messages.length + c2.inbox.messages.length, 3);
    // acking one frees one slot on the channel
    const any = c1.inbox.messages[0] ?? c2.inbox.messages[0];
    ch.ack(any);
    await waitTotal([c1.inbox, c2.inbox], 4);
    assert.equal((await readyCount(s, q1)) + (await readyCount(s, q2)), 6);
  });

  test('applies to consumers that already exist', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = await newQueue(s);
    const ch = await s.channel();
    const { inbox } = await consume(ch, q);
    await ch.prefetch(1, true);
    await publishConfirmed(conn, '', q, bodies(3));
    await inbox.waitFor(1);
    assert.equal(await readyCount(s, q), 2);
  });

  test('per-consumer then global: both limits apply (2 per consumer, 5 per channel)', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = await newQueue(s);
    const ch = await s.channel();
    await ch.prefetch(2, false);
    await ch.prefetch(5, true);
    const inboxes = [(await consume(ch, q)).inbox, (await consume(ch, q)).inbox, (await consume(ch, q)).inbox];
    await publishConfirmed(conn, '', q, bodies(10));
    await waitTotal(inboxes, 5);
    assert.equal(await readyCount(s, q), 5);
    await inboxes[0].expectQuiet();
    assert.deepEqual(inboxes.map((i) => i.messages.length).sort(), [1, 2, 2]);
  });

  test('global then per-consumer: RabbitMQ 3.10 drops the global limit when global=false qos follows', async (t) => {
    // rabbit_channel handles basic.qos global=false by un-limiting the channel's limiter
    // ("Ensures that if default was set, it's overridden"), so only the per-consumer limit is left.
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = await newQueue(s);
    const ch = await s.channel();
    await ch.prefetch(5, true);
    await ch.prefetch(2, false);
    const inboxes = [(await consume(ch, q)).inbox, (await consume(ch, q)).inbox, (await consume(ch, q)).inbox];
    await publishConfirmed(conn, '', q, bodies(10));
    await waitTotal(inboxes, 6);
    assert.equal(await readyCount(s, q), 4);
    await inboxes[0].expectQuiet();
    assert.deepEqual(
      inboxes.map((i) => i.messages.length),
      [2, 2, 2],
    );
  });
});

describe('dispatch across consumers', () => {
  test('round-robin: consumers take turns in the order they subscribed', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = await newQueue(s);
    const a = await consume(await s.channel(), q, { noAck: true });
    const b = await consume(await s.channel(), q, { noAck: true });
    await publishConfirmed(conn, '', q, bodies(6));
    await waitTotal([a.inbox, b.inbox], 6);
    assert.deepEqual(a.inbox.bodies(), ['1', '3', '5']);
    assert.deepEqual(b.inbox.bodies(), ['2', '4', '6']);
  });

  test('a consumer at its prefetch limit is skipped', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = await newQueue(s);
    const slowCh = await s.channel();
    await slowCh.prefetch(1);
    const slow = await consume(slowCh, q);
    const fast = await consume(await s.channel(), q, { noAck: true });
    await publishConfirmed(conn, '', q, bodies(5));
    await waitTotal([slow.inbox, fast.inbox], 5);
    assert.deepEqual(slow.inbox.bodies(), ['1']);
    assert.deepEqual(fast.inbox.bodies(), ['2', '3', '4', '5']);
  });
});

describe('unacked messages when a channel or connection closes', () => {
  test('closing the channel requeues its unacked messages at the front, in order, redelivered', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = await newQueue(s);
    await publishConfirmed(conn, '', q, bodies(5));
    const ch = await s.channel();
    await ch.prefetch(3);
    const { inbox } = await consume(ch, q);
    const got = await inbox.waitFor(3);
    ch.ack(got[1]); // '2' is done, which lets '4' through
    await inbox.waitFor(4);
    assert.equal(await readyCount(s, q), 1);
    await withTimeout(ch.close(), TIMEOUT_MS, 'channel close');
    const reader = await s.channel();
    const order: Array<[string, boolean]> = [];
    for (let i = 0; i < 4; i++) {
      const m = await getOne(reader, q, { noAck: true });
      order.push([m.content.toString(), m.fields.redelivered]);
    }
    assert.deepEqual(order, [
      ['1', true],
      ['3', true],
      ['4', true],
      ['5', false],
    ]);
    await expectEmpty(reader, q);
  });

  test('closing the connection requeues unacked messages of all its channels', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = await newQueue(s);
    await publishConfirmed(conn, '', q, bodies(3));
    const worker = await s.connect();
    const ch1 = await s.channel(worker);
    const ch2 = await s.channel(worker);
    const g1 = await getOne(ch1, q);
    const { inbox } = await consume(ch2, q);
    await inbox.waitFor(2);
    assert.equal(g1.content.toString(), '1');
    await withTimeout(worker.close(), TIMEOUT_MS, 'connection close');
    const reader = await s.channel(conn);
    const got: Array<[string, boolean]> = [];
    for (let i = 0; i < 3; i++) {
      const m = await getOne(reader, q, { noAck: true });
      got.push([m.content.toString(), m.fields.redelivered]);
    }
    assert.deepEqual(got, [
      ['1', true],
      ['2', true],
      ['3', true],
    ]);
  });

  test('a redelivered message goes to another consumer when its consumer goes away', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = await newQueue(s);
    const ch1 = await s.channel();
    const first = await consume(ch1, q);
    await publishConfirmed(conn, '', q, ['job']);
    await first.inbox.waitFor(1);
    const second = await consume(await s.channel(), q);
    await ch1.close();
    const m = await second.inbox.next();
    assert.equal(m.content.toString(), 'job');
    assert.equal(m.fields.redelivered, true);
  });
});
