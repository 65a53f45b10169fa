// amqplib against the broker: RabbitMQ's direct reply-to (the amq.rabbitmq.reply-to pseudo-queue),
// as RabbitMQ 3.10 does it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel } from 'amqplib';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { Returns, TIMEOUT_MS, TRANSIENT, consume, expectChannelError, scope, withTimeout, type AmqpScope } from '../helpers/amqp-helpers.js';

const VHOST = '/';
const REPLY_TO = 'amq.rabbitmq.reply-to';
let broker: TestBroker;

before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

/** An RPC server on its own connection: answers every request on `q` with "reply:<body>". */
async function rpcServer(s: AmqpScope, q: string): Promise<{ ch: Channel; seenReplyTo: string[] }> {
  const conn = await s.connect();
  const ch = await s.channel(conn);
  await ch.assertQueue(q, TRANSIENT);
  const seenReplyTo: string[] = [];
  await ch.consume(q, (m) => {
    if (!m) return;
    seenReplyTo.push(m.properties.replyTo);
    ch.publish('', m.properties.replyTo, Buffer.from(`reply:${m.content.toString()}`), { correlationId: m.properties.correlationId });
    ch.ack(m);
  });
  return { ch, seenReplyTo };
}

describe('direct reply-to', () => {
  test('a request with reply-to amq.rabbitmq.reply-to gets its reply on the pseudo-queue consumer', async (t) => {
    const s = scope(t, broker.url);
    const q = s.queue();
    const server = await rpcServer(s, q);
    const client = await s.channel(await s.connect());
    const { tag, inbox } = await consume(client, REPLY_TO, { noAck: true });
    assert.match(tag, /^amq\.ctag-/);
    client.sendToQueue(q, Buffer.from('req1'), { replyTo: REPLY_TO, correlationId: 'c-1' });
    const reply = await inbox.next();
    assert.equal(reply.content.toString(), 'reply:req1');
    assert.equal(reply.properties.correlationId, 'c-1');
    // the server saw a per-channel address under amq.rabbitmq.reply-to.
    const [replyTo] = server.seenReplyTo;
    assert.ok(replyTo.startsWith(`${REPLY_TO}.`) && replyTo.length > REPLY_TO.length + 1, replyTo);
    assert.deepEqual(reply.fields, { consumerTag: tag, deliveryTag: 1, redelivered: false, exchange: '', routingKey: replyTo });
  });

  test('replies go to the right client; each client channel has its own address', async (t) => {
    const s = scope(t, broker.url);
    const q = s.queue();
    const server = await rpcServer(s, q);
    const conn = await s.connect();
    const c1 = await s.channel(conn);
    const c2 = await s.channel(conn);
    const r1 = await consume(c1, REPLY_TO, { noAck: true });
    const r2 = await consume(c2, REPLY_TO, { noAck: true });
    c1.sendToQueue(q, Buffer.from('from-1'), { replyTo: REPLY_TO });
    c2.sendToQueue(q, Buffer.from('from-2'), { replyTo: REPLY_TO });
    c1.sendToQueue(q, Buffer.from('from-1b'), { replyTo: REPLY_TO });
    await r1.inbox.waitFor(2);
    await r2.inbox.waitFor(1);
    assert.deepEqual(r1.inbox.bodies(), ['reply:from-1', 'reply:from-1b']);
    assert.deepEqual(r2.inbox.bodies(), ['reply:from-2']);
    assert.equal(new Set(server.seenReplyTo).size, 2);
    await r1.inbox.expectQuiet();
  });

  test('consuming amq.rabbitmq.reply-to with acks (noAck=false) closes the channel with 406', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    await expectChannelError(
      ch,
      () => ch.consume(REPLY_TO, () => {}, { noAck: false }),
      { code: 406, text: 'PRECONDITION_FAILED - reply consumer cannot acknowledge', classId: 60, methodId: 20 },
      conn,
    );
  });

  test('consuming amq.rabbitmq.reply-to twice on a channel closes it with 406', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    await consume(ch, REPLY_TO, { noAck: true });
    await expectChannelError(
      ch,
      () => ch.consume(REPLY_TO, () => {}, { noAck: true }),
      { code: 406, text: 'PRECONDITION_FAILED - reply consumer already set', classId: 60, methodId: 20 },
      conn,
    );
  });

  test('publishing with reply-to amq.rabbitmq.reply-to before consuming it closes the channel with 406', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    await expectChannelError(
      ch,
      () => ch.publish('amq.direct', 'nobody', Buffer.from('x'), { replyTo: REPLY_TO }),
      { code: 406, text: 'PRECONDITION_FAILED - fast reply consumer does not exist', classId: 60, methodId: 40 },
      conn,
    );
  });

  test('a mandatory reply to a client that has gone is returned 312 NO_ROUTE', async (t) => {
    const s = scope(t, broker.url);
    const q = s.queue();
    const sconn = await s.connect();
    const server = await s.confirmChannel(sconn);
    await server.assertQueue(q, TRANSIENT);
    const incoming = await consume(server, q, { noAck: true });
    const client = await s.channel(await s.connect());
    await consume(client, REPLY_TO, { noAck: true });
    client.sendToQueue(q, Buffer.from('req'), { replyTo: REPLY_TO });
    const req = await incoming.inbox.next();
    await withTimeout(client.close(), TIMEOUT_MS, 'client channel close');
    const returns = new Returns(server);
    server.publish('', req.properties.replyTo, Buffer.from('late'), { mandatory: true });
    const [r] = await returns.waitFor(1);
    assert.equal(r.fields.replyCode, 312);
    assert.equal(r.fields.replyText, 'NO_ROUTE');
    await withTimeout(server.waitForConfirms(), TIMEOUT_MS, 'confirm of the returned reply');
  });

  test('passive declare of amq.rabbitmq.reply-to succeeds; basic.get on it is 404', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    // RabbitMQ 3.10 answers with consumer_count 1 even when nobody consumes it
    assert.deepEqual(await ch.checkQueue(REPLY_TO), { queue: REPLY_TO, messageCount: 0, consumerCount: 1 });
    await expectChannelError(
      ch,
      () => ch.get(REPLY_TO),
      { code: 404, text: `NOT_FOUND - no queue '${REPLY_TO}' in vhost '${VHOST}'`, classId: 60, methodId: 70 },
      conn,
    );
  });
});
