// amqplib against the broker: which errors close a channel and which the whole connection, and
// that an error stays isolated (other channels and connections keep working), as RabbitMQ 3.10
// does it. Per-method error cases live with their topic (exchanges, queues, basic, ...).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import {
  METHOD,
  TIMEOUT_MS,
  TRANSIENT,
  channelClosed,
  consume,
  expectChannelError,
  expectConnectionError,
  getOne,
  isChannelClosed,
  isConnectionClosed,
  publishConfirmed,
  rawRpc,
  scope,
  withTimeout,
} from '../helpers/amqp-helpers.js';

const VHOST = '/';
let broker: TestBroker;

before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

describe('error isolation', () => {
  test('a channel error closes only that channel: other channels and their consumers keep working', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = s.queue();
    const worker = await s.channel(conn);
    await worker.assertQueue(q, { ...TRANSIENT, exclusive: true });
    const { inbox } = await consume(worker, q, { noAck: true });
    const publisher = await s.channel(conn);
    publisher.sendToQueue(q, Buffer.from('before'));
    await inbox.next();

    const bad = await s.channel(conn);
    const missing = s.exchange();
    await expectChannelError(
      bad,
      () => bad.publish(missing, 'k', Buffer.from('x')),
      { code: 404, text: `NOT_FOUND - no exchange '${missing}' in vhost '${VHOST}'`, classId: 60, methodId: 40 },
      conn,
    );
    assert.equal(isChannelClosed(worker), false);
    assert.equal(isChannelClosed(publisher), false);
    publisher.sendToQueue(q, Buffer.from('after'));
    assert.equal((await inbox.next()).content.toString(), 'after');
    assert.deepEqual(await worker.checkQueue(q), { queue: q, messageCount: 0, consumerCount: 1 });
  });

  test('a new channel can be opened on the connection after a channel error, many times over', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    for (let i = 0; i < 5; i++) {
      const ch = await s.channel(conn);
      const q = s.queue();
      await expectChannelError(ch, () => ch.checkQueue(q), { code: 404, text: `NOT_FOUND - no queue '${q}' in vhost '${VHOST}'`, classId: 50, methodId: 10 }, conn);
    }
    const ch = await s.channel(conn);
    assert.deepEqual(await ch.checkExchange('amq.fanout'), {});
  });

  test('a channel error on one connection does not disturb other connections', async (t) => {
    const s = scope(t, broker.url);
    const c1 = await s.connect();
    const c2 = await s.connect();
    const q = s.queue();
    const ch2 = await s.channel(c2);
    await ch2.assertQueue(q, { ...TRANSIENT, exclusive: true });
    const { inbox } = await consume(ch2, q, { noAck: true });
    const ch1 = await s.channel(c1);
    await expectChannelError(ch1, () => ch1.deleteExchange('amq.topic'), {
      code: 403,
      text: `ACCESS_REFUSED - deletion of system exchange 'amq.topic' in vhost '${VHOST}' not allowed`,
      classId: 40,
      methodId: 20,
    });
    await publishConfirmed(c1, '', q, ['still-works']);
    assert.equal((await inbox.next()).content.toString(), 'still-works');
  });

  test('a connection error closes every channel of that connection, and only that connection', async (t) => {
    const s = scope(t, broker.url);
    const doomed = await s.connect();
    const survivor = await s.connect();
    const q = s.queue();
    const sch = await s.channel(survivor);
    await sch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    const { inbox } = await consume(sch, q, { noAck: true });
    const bystander = await s.channel(doomed);
    const culprit = await s.channel(doomed);
    const dq = s.queue();
    await culprit.assertQueue(dq, { ...TRANSIENT, exclusive: true });
    await consume(culprit, dq, { consumerTag: 'twice' });
    await expectConnectionError(doomed, () => culprit.consume(dq, () => {}, { consumerTag: 'twice' }), {
      code: 530,
      text: "NOT_ALLOWED - attempt to reuse consumer tag 'twice'",
      classId: 60,
      methodId: 20,
    });
    // amqplib ends the channels of a closed connection without a channel.close from the server
    assert.equal(await channelClosed(bystander), null);
    assert.equal(isConnectionClosed(survivor), false);
    await publishConfirmed(survivor, '', q, ['alive']);
    assert.equal((await inbox.next()).content.toString(), 'alive');
  });

  test('unacked messages of a channel closed by an error go back to the queue', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = s.queue();
    const setup = await s.channel(conn);
    await setup.assertQueue(q, { ...TRANSIENT, exclusive: true });
    await publishConfirmed(conn, '', q, ['held']);
    const ch = await s.channel(conn);
    await getOne(ch, q);
    const missing = s.queue();
    await expectChannelError(ch, () => ch.checkQueue(missing), { code: 404, text: `NOT_FOUND - no queue '${missing}' in vhost '${VHOST}'`, classId: 50, methodId: 10 }, conn);
    const back = await getOne(setup, q, { noAck: true });
    assert.equal(back.content.toString(), 'held');
    assert.equal(back.fields.redelivered, true);
  });
});

describe('channel.flow from the client', () => {
  test('flow active=true is acknowledged with flow-ok active=true', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    assert.deepEqual(await rawRpc(ch, METHOD.ChannelFlow, { active: true }, METHOD.ChannelFlowOk), { active: true });
  });

  test('flow active=false closes the connection with 540 NOT_IMPLEMENTED', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.connect();
    const ch = await s.channel(conn);
    await expectConnectionError(conn, () => rawRpc(ch, METHOD.ChannelFlow, { active: false }, METHOD.ChannelFlowOk), {
      code: 540,
      text: 'NOT_IMPLEMENTED - active=false',
      classId: 20,
      methodId: 20,
    });
  });
});

describe('connection.update-secret', () => {
  test('is answered with update-secret-ok; the connection keeps working', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const u = new URL(broker.url);
    await withTimeout(conn.updateSecret(Buffer.from(decodeURIComponent(u.password)), 'rotation'), TIMEOUT_MS, 'update-secret-ok');
    const ch = await s.channel(conn);
    assert.deepEqual(await ch.checkExchange('amq.direct'), {});
  });
});

describe('connection handshake errors', () => {
  test('a wrong password is refused with 403 ACCESS_REFUSED during the handshake', async () => {
    const u = new URL(broker.url);
    u.password = 'definitely-wrong';
    await assert.rejects(withTimeout(amqp.connect(u.toString()), TIMEOUT_MS, 'connect'), (err: Error) => {
      assert.equal(
        err.message,
        'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile."',
      );
      return true;
    });
  });

  test('an unknown user is refused the same way', async () => {
    const u = new URL(broker.url);
    u.username = 'no-such-user';
    u.password = 'x';
    await assert.rejects(withTimeout(amqp.connect(u.toString()), TIMEOUT_MS, 'connect'), /ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN/);
  });

  test('an unknown vhost is refused at connection.open (connection.close instead of open-ok)', async () => {
    // RabbitMQ sends connection.close 530 "NOT_ALLOWED - vhost no-such-vhost not found" (10, 40);
    // amqplib only reports that it got a ConnectionClose where it expected open-ok.
    const u = new URL(broker.url);
    u.pathname = '/no-such-vhost';
    await assert.rejects(withTimeout(amqp.connect(u.toString()), TIMEOUT_MS, 'connect'), /Expected ConnectionOpenOk; got <ConnectionClose channel:0>/);
  });
});
