// amqplib against the broker: basic.publish / return / consume / cancel / get / ack / nack /
// reject / recover, as RabbitMQ 3.10 does them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ConfirmChannel, GetMessage, Message } from 'amqplib';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import {
  METHOD,
  Returns,
  TRANSIENT,
  consume,
  expectChannelError,
  expectConnectionError,
  expectEmpty,
  getOne,
  rawPublish,
  rawRpc,
  rawSend,
  scope,
  type AmqpScope,
} from '../helpers/amqp-helpers.js';

const VHOST = '/';
let broker: TestBroker;

before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

/** A confirm channel and an exclusive queue holding `bodies` (all confirmed). */
async function queueWith(s: AmqpScope, bodies: string[]): Promise<{ ch: ConfirmChannel; q: string }> {
  const ch = await s.confirmChannel();
  const q = s.queue();
  await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
  for (const b of bodies) ch.sendToQueue(q, Buffer.from(b));
  await ch.waitForConfirms();
  return { ch, q };
}

async function getAll(ch: Channel, q: string, n: number, noAck = false): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  for (let i = 0; i < n; i++) out.push(await getOne(ch, q, { noAck }));
  return out;
}

const body = (m: { content: Buffer }): string => m.content.toString();

describe('basic.publish and basic.return', () => {
  test('publishing to a missing exchange closes the channel with 404', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    const x = s.exchange();
    await expectChannelError(
      ch,
      () => ch.publish(x, 'k', Buffer.from('x')),
      { code: 404, text: `NOT_FOUND - no exchange '${x}' in vhost '${VHOST}'`, classId: 60, methodId: 40 },
      conn,
    );
  });

  test('a mandatory unroutable message comes back as basic.return 312 NO_ROUTE with its content and properties', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const returns = new Returns(ch);
    const key = s.queue(); // no such queue: unroutable through the default exchange
    ch.publish('amq.direct', 'nobody-home', Buffer.from('ret1'), { mandatory: true, messageId: 'm1', headers: { h: 'v' } });
    ch.publish('', key, Buffer.from('ret2'), { mandatory: true, contentType: 'text/plain' });
    const [r1, r2] = await returns.waitFor(2);
    assert.deepEqual(r1.fields, { replyCode: 312, replyText: 'NO_ROUTE', exchange: 'amq.direct', routingKey: 'nobody-home' });
    assert.equal(body(r1), 'ret1');
    assert.equal(r1.properties.messageId, 'm1');
    assert.deepEqual(r1.properties.headers, { h: 'v' });
    assert.deepEqual(r2.fields, { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: key });
    assert.equal(body(r2), 'ret2');
    assert.equal(r2.properties.contentType, 'text/plain');
  });

  test('a non-mandatory unroutable message is dropped silently; the channel stays open', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    const returns = new Returns(ch);
    ch.publish('amq.direct', 'nobody-home', Buffer.from('dropped'));
    await ch.waitForConfirms();
    assert.equal(returns.messages.length, 0);
    assert.deepEqual(await ch.checkExchange('amq.direct'), {});
  });
});

describe('basic.consume / basic.cancel', () => {
  test('server-generated consumer tags start with amq.ctag-; deliveries carry tag, exchange, key and increasing delivery tags', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, ['a', 'b', 'c']);
    const { tag, inbox } = await consume(ch, q);
    assert.match(tag, /^amq\.ctag-[A-Za-z0-9_-]{22}$/);
    const msgs = await inbox.waitFor(3);
    assert.deepEqual(inbox.bodies(), ['a', 'b', 'c']);
    msgs.forEach((m, i) => {
      assert.deepEqual(m.fields, { consumerTag: tag, deliveryTag: i + 1, redelivered: false, exchange: '', routingKey: q });
    });
    ch.ack(msgs[2], true);
  });

  test('a client-chosen consumer tag is used as given', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, ['a']);
    const { tag, inbox } = await consume(ch, q, { consumerTag: 'my-tag', noAck: true });
    assert.equal(tag, 'my-tag');
    assert.equal((await inbox.next()).fields.consumerTag, 'my-tag');
  });

  test('reusing a consumer tag on the same channel closes the connection with 530', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.connect();
    const ch = await s.channel(conn);
    const q1 = s.queue();
    const q2 = s.queue();
    await ch.assertQueue(q1, TRANSIENT);
    await ch.assertQueue(q2, TRANSIENT);
    await consume(ch, q1, { consumerTag: 'dup' });
    await expectConnectionError(conn, () => ch.consume(q2, () => {}, { consumerTag: 'dup' }), {
      code: 530,
      text: "NOT_ALLOWED - attempt to reuse consumer tag 'dup'",
      classId: 60,
      methodId: 20,
    });
  });

  test('the same consumer tag on two channels is fine', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = s.queue();
    const ch1 = await s.channel(conn);
    const ch2 = await s.channel(conn);
    await ch1.assertQueue(q, { ...TRANSIENT, exclusive: true });
    assert.equal((await consume(ch1, q, { consumerTag: 'same' })).tag, 'same');
    assert.equal((await consume(ch2, q, { consumerTag: 'same' })).tag, 'same');
    assert.equal((await ch1.checkQueue(q)).consumerCount, 2);
  });

  test('an exclusive consumer refuses other consumers, and cannot join a queue that has one (403)', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const setup = await s.channel(conn);
    const q1 = s.queue();
    const q2 = s.queue();
    await setup.assertQueue(q1, { ...TRANSIENT, exclusive: true });
    await setup.assertQueue(q2, { ...TRANSIENT, exclusive: true });
    await consume(setup, q1, { exclusive: true });
    await consume(setup, q2);
    const ch1 = await s.channel(conn);
    await expectChannelError(
      ch1,
      () => ch1.consume(q1, () => {}),
      { code: 403, text: `ACCESS_REFUSED - queue '${q1}' in vhost '${VHOST}' in exclusive use`, classId: 60, methodId: 20 },
      conn,
    );
    const ch2 = await s.channel(conn);
    await expectChannelError(
      ch2,
      () => ch2.consume(q2, () => {}, { exclusive: true }),
      { code: 403, text: `ACCESS_REFUSED - queue '${q2}' in vhost '${VHOST}' in exclusive use`, classId: 60, methodId: 20 },
      conn,
    );
  });

  test('consuming from a missing queue closes the channel with 404', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    const q = s.queue();
    await expectChannelError(ch, () => ch.consume(q, () => {}), { code: 404, text: `NOT_FOUND - no queue '${q}' in vhost '${VHOST}'`, classId: 60, methodId: 20 }, conn);
  });

  test('cancel returns the tag and stops deliveries; cancelling an unknown tag is ok', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, []);
    const { tag, inbox } = await consume(ch, q, { noAck: true });
    ch.sendToQueue(q, Buffer.from('before'));
    await inbox.next();
    assert.deepEqual(await ch.cancel(tag), { consumerTag: tag });
    assert.equal((await ch.checkQueue(q)).consumerCount, 0);
    ch.sendToQueue(q, Buffer.from('after'));
    await ch.waitForConfirms();
    assert.equal(body(await getOne(ch, q, { noAck: true })), 'after');
    assert.equal(inbox.messages.length, 1);
    assert.deepEqual(await ch.cancel('no-such-consumer'), { consumerTag: 'no-such-consumer' });
  });

  test('deleting the consumed queue makes the server send basic.cancel (amqplib calls back with null)', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    const q = s.queue();
    await ch.assertQueue(q, TRANSIENT);
    const { inbox } = await consume(ch, q);
    const cancelled = new Promise<string>((resolve) => ch.once('cancel', (f: { consumerTag: string }) => resolve(f.consumerTag)));
    const other = await s.channel(conn);
    await other.deleteQueue(q);
    await inbox.waitCancelled();
    assert.ok((await cancelled).startsWith('amq.ctag-'));
    assert.deepEqual(await ch.checkExchange('amq.direct'), {}, 'the channel is still open');
  });

  test('no-local is ignored: a consumer still gets messages published on its own connection', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, []);
    const { inbox } = await consume(ch, q, { noLocal: true, noAck: true });
    ch.sendToQueue(q, Buffer.from('own'));
    assert.equal(body(await inbox.next()), 'own');
  });

  test('basic.get works on a queue that has an exclusive consumer', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, []);
    await ch.prefetch(1);
    const { inbox } = await consume(ch, q, { exclusive: true });
    ch.sendToQueue(q, Buffer.from('1'));
    ch.sendToQueue(q, Buffer.from('2'));
    await ch.waitForConfirms();
    await inbox.waitFor(1);
    const other = await s.channel();
    assert.equal(body(await getOne(other, q, { noAck: true })), '2');
  });

  test('noAck consumers get messages removed at once; unacked ones stay with the consumer', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, ['1', '2']);
    const { inbox } = await consume(ch, q, { noAck: true });
    await inbox.waitFor(2);
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
    await inbox.expectQuiet();
  });
});

describe('basic.get', () => {
  test('get-empty on an empty queue; get-ok carries the remaining message count', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, []);
    assert.equal(await ch.get(q), false);
    ch.sendToQueue(q, Buffer.from('1'));
    ch.sendToQueue(q, Buffer.from('2'));
    await ch.waitForConfirms();
    const m1 = await getOne(ch, q);
    assert.deepEqual(m1.fields, { deliveryTag: 1, redelivered: false, exchange: '', routingKey: q, messageCount: 1 });
    const m2 = await getOne(ch, q, { noAck: true });
    assert.deepEqual(m2.fields, { deliveryTag: 2, redelivered: false, exchange: '', routingKey: q, messageCount: 0 });
    assert.equal(await ch.get(q), false);
    ch.ack(m1);
  });

  test('get on a missing queue closes the channel with 404', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    const q = s.queue();
    await expectChannelError(ch, () => ch.get(q), { code: 404, text: `NOT_FOUND - no queue '${q}' in vhost '${VHOST}'`, classId: 60, methodId: 70 }, conn);
  });
});

describe('basic.ack / basic.nack / basic.reject', () => {
  test('ack with multiple acknowledges everything up to the tag', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, ['1', '2', '3']);
    const [, m2] = await getAll(ch, q, 3);
    ch.ack(m2, true); // 1 and 2
    await ch.recover(); // requeues what is still unacked: 3
    const again = await getOne(ch, q, { noAck: true });
    assert.equal(body(again), '3');
    assert.equal(again.fields.redelivered, true);
    await expectEmpty(ch, q);
  });

  test('nack with requeue puts the message back in its original position, redelivered', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, ['1', '2', '3']);
    const [m1, m2] = await getAll(ch, q, 2);
    ch.nack(m1, false, true);
    const next = await getOne(ch, q, { noAck: true });
    assert.equal(body(next), '1');
    assert.equal(next.fields.redelivered, true);
    const third = await getOne(ch, q, { noAck: true });
    assert.equal(body(third), '3');
    assert.equal(third.fields.redelivered, false);
    ch.ack(m2);
    await expectEmpty(ch, q);
  });

  test('nack multiple with requeue returns all of them in order', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, ['1', '2', '3', '4']);
    const got = await getAll(ch, q, 3);
    ch.nack(got[2], true, true);
    const again = await getAll(ch, q, 4, true);
    assert.deepEqual(again.map(body), ['1', '2', '3', '4']);
    assert.deepEqual(
      again.map((m) => m.fields.redelivered),
      [true, true, true, false],
    );
  });

  test('nack multiple without requeue discards them', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, ['1', '2', '3']);
    const got = await getAll(ch, q, 2);
    ch.nack(got[1], true, false);
    assert.equal(body(await getOne(ch, q, { noAck: true })), '3');
    await expectEmpty(ch, q);
  });

  test('reject with requeue=true returns the message; requeue=false drops it', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, ['1', '2']);
    const m1 = await getOne(ch, q);
    ch.reject(m1, true);
    const again = await getOne(ch, q);
    assert.equal(body(again), '1');
    assert.equal(again.fields.redelivered, true);
    ch.reject(again, false);
    const m2 = await getOne(ch, q);
    assert.equal(body(m2), '2');
    ch.reject(m2, false);
    await expectEmpty(ch, q);
  });

  test('consumer nack with requeue redelivers to the consumer with redelivered=true', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, ['x']);
    const { inbox } = await consume(ch, q);
    const first = await inbox.next();
    assert.equal(first.fields.redelivered, false);
    ch.nack(first, false, true);
    const second = await inbox.next();
    assert.equal(body(second), 'x');
    assert.equal(second.fields.redelivered, true);
    assert.ok(second.fields.deliveryTag > first.fields.deliveryTag, 'a new delivery tag');
    ch.ack(second);
  });

  test('ackAll / nackAll with nothing outstanding are no-ops', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    ch.ackAll();
    ch.nackAll();
    assert.deepEqual(await ch.checkExchange('amq.direct'), {});
  });

  const unknownTag: Array<[string, (ch: Channel) => void, number, number]> = [
    ['ack of an unknown delivery tag', (ch) => ch.ack(fakeMsg(7)), 80, 7],
    ['ack multiple beyond the last delivery tag', (ch) => ch.ack(fakeMsg(9), true), 80, 9],
    ['nack of an unknown delivery tag', (ch) => ch.nack(fakeMsg(7)), 120, 7],
    ['reject of an unknown delivery tag', (ch) => ch.reject(fakeMsg(7)), 90, 7],
    ['ack of delivery tag 0 without multiple', (ch) => ch.ack(fakeMsg(0)), 80, 0],
  ];
  for (const [name, act, methodId, tag] of unknownTag) {
    test(`${name} closes the channel with 406`, async (t) => {
      const s = scope(t, broker.url);
      const conn = await s.conn();
      const { ch: setup, q } = await queueWith(s, ['m']);
      const ch = await s.channel(conn);
      await getOne(ch, q); // delivery tag 1 outstanding
      await expectChannelError(ch, () => act(ch), { code: 406, text: `PRECONDITION_FAILED - unknown delivery tag ${tag}`, classId: 60, methodId }, conn);
      // the unacked message went back to the queue with the channel
      const back = await getOne(setup, q, { noAck: true });
      assert.equal(back.fields.redelivered, true);
    });
  }

  test('acking the same message twice closes the channel with 406', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const { ch, q } = await queueWith(s, ['m']);
    const m = await getOne(ch, q);
    ch.ack(m);
    await expectChannelError(ch, () => ch.ack(m), { code: 406, text: 'PRECONDITION_FAILED - unknown delivery tag 1', classId: 60, methodId: 80 }, conn);
  });

  test('acking a message received with noAck closes the channel with 406', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const { ch, q } = await queueWith(s, ['m']);
    const m = await getOne(ch, q, { noAck: true });
    await expectChannelError(ch, () => ch.ack(m), { code: 406, text: 'PRECONDITION_FAILED - unknown delivery tag 1', classId: 60, methodId: 80 }, conn);
  });

  test('delivery tags are per channel and shared by consumers and basic.get', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, ['1', '2', '3']);
    const other = await s.channel();
    const g1 = await getOne(other, q);
    assert.equal(g1.fields.deliveryTag, 1, 'a fresh channel starts at 1');
    const g2 = await getOne(ch, q);
    assert.equal(g2.fields.deliveryTag, 1);
    const { inbox } = await consume(ch, q);
    const d = await inbox.next();
    assert.equal(d.fields.deliveryTag, 2);
    ch.ack(d, true);
    other.ack(g1);
  });
});

describe('basic.recover', () => {
  test('recover (requeue=true) redelivers unacked messages with redelivered=true', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, ['1', '2']);
    const { inbox } = await consume(ch, q);
    await inbox.waitFor(2);
    assert.deepEqual(await ch.recover(), {});
    const msgs = await inbox.waitFor(4);
    assert.deepEqual(
      msgs.slice(2).map((m) => [body(m), m.fields.redelivered]),
      [
        ['1', true],
        ['2', true],
      ],
    );
    ch.ack(msgs[3], true);
  });

  test('recover-async (deprecated, no reply) with requeue=true requeues unacked messages too', async (t) => {
    const s = scope(t, broker.url);
    const { ch, q } = await queueWith(s, ['1']);
    await getOne(ch, q);
    rawSend(ch, METHOD.BasicRecoverAsync, { requeue: true });
    const again = await getOne(ch, q, { noAck: true });
    assert.equal(body(again), '1');
    assert.equal(again.fields.redelivered, true);
  });

  test('recover-async with requeue=false closes the connection with 540 NOT_IMPLEMENTED', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.connect();
    const ch = await s.channel(conn);
    await expectConnectionError(conn, () => rawSend(ch, METHOD.BasicRecoverAsync, { requeue: false }), {
      code: 540,
      text: 'NOT_IMPLEMENTED - requeue=false',
      classId: 60,
      methodId: 100,
    });
  });

  test('recover with requeue=false closes the connection with 540 NOT_IMPLEMENTED', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.connect();
    const ch = await s.channel(conn);
    await expectConnectionError(conn, () => rawRpc(ch, METHOD.BasicRecover, { requeue: false }, METHOD.BasicRecoverOk), {
      code: 540,
      text: 'NOT_IMPLEMENTED - requeue=false',
      classId: 60,
      methodId: 110,
    });
  });
});

describe('unsupported basic.publish flags and properties', () => {
  test('immediate=true closes the connection with 540 NOT_IMPLEMENTED', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.connect();
    const ch = await s.channel(conn);
    await expectConnectionError(conn, () => rawPublish(ch, { exchange: 'amq.direct', routingKey: 'k', immediate: true }, {}, Buffer.from('x')), {
      code: 540,
      text: 'NOT_IMPLEMENTED - immediate=true',
      classId: 60,
      methodId: 40,
    });
  });

  test('a user-id other than the authenticated user closes the channel with 406', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    await expectChannelError(
      ch,
      () => ch.publish('amq.direct', 'k', Buffer.from('x'), { userId: 'mallory' }),
      { code: 406, text: "PRECONDITION_FAILED - user_id property set to 'mallory' but authenticated user was 'guest'", classId: 60, methodId: 40 },
      conn,
    );
  });
});

/** Enough of a message for amqplib's ack/nack/reject, which only read fields.deliveryTag. */
function fakeMsg(deliveryTag: number): Message {
  return { fields: { deliveryTag } } as unknown as Message;
}
