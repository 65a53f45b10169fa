// amqplib against the broker: publisher confirms (confirm.select, basic.ack/nack from the server)
// and transactions (tx.select / tx.commit / tx.rollback), as RabbitMQ 3.10 does them.
// amqplib has no API for tx.*, so those go through its generic RPC (see rawRpc).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import {
  METHOD,
  QUIET_MS,
  Returns,
  TIMEOUT_MS,
  TRANSIENT,
  consume,
  expectChannelError,
  expectEmpty,
  getOne,
  rawRpc,
  scope,
  sleep,
  txCommit,
  txRollback,
  txSelect,
  withTimeout,
  type AmqpScope,
  type ReturnedMessage,
} from '../helpers/amqp-helpers.js';

let broker: TestBroker;

before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

async function readyCount(s: AmqpScope, q: string): Promise<number> {
  const ch = await s.channel();
  const { messageCount } = await ch.checkQueue(q);
  await ch.close();
  return messageCount;
}

describe('publisher confirms', () => {
  test('every publish is acked, with increasing delivery tags; waitForConfirms resolves', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    const q = s.queue();
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    const acks: Array<{ deliveryTag: number; multiple: boolean }> = [];
    ch.on('ack', (f: { deliveryTag: number; multiple: boolean }) => acks.push(f));
    const nacks: unknown[] = [];
    ch.on('nack', (f: unknown) => nacks.push(f));
    const N = 50;
    const callbacks: Array<Promise<void>> = [];
    for (let i = 0; i < N; i++) {
      callbacks.push(
        new Promise((resolve, reject) => {
          ch.sendToQueue(q, Buffer.from(String(i)), {}, (err) => (err ? reject(err) : resolve()));
        }),
      );
    }
    await withTimeout(ch.waitForConfirms(), TIMEOUT_MS, 'confirms');
    await withTimeout(Promise.all(callbacks), TIMEOUT_MS, 'confirm callbacks');
    // tags grow strictly; together (with multiple) they cover 1..N exactly once
    const covered: number[] = [];
    let last = 0;
    for (const a of acks) {
      assert.ok(a.deliveryTag > last, `ack tags increase (${a.deliveryTag} after ${last})`);
      for (let tag = a.multiple ? last + 1 : a.deliveryTag; tag <= a.deliveryTag; tag++) covered.push(tag);
      last = a.deliveryTag;
    }
    assert.deepEqual(
      covered,
      Array.from({ length: N }, (_, i) => i + 1),
    );
    assert.deepEqual(nacks, []);
    assert.equal(await readyCount(s, q), N);
  });

  test('delivery tags keep counting across waitForConfirms calls', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    const tags: number[] = [];
    ch.on('ack', (f: { deliveryTag: number }) => tags.push(f.deliveryTag));
    ch.publish('amq.direct', 'nowhere', Buffer.from('1'));
    await ch.waitForConfirms();
    ch.publish('amq.direct', 'nowhere', Buffer.from('2'));
    ch.publish('amq.direct', 'nowhere', Buffer.from('3'));
    await ch.waitForConfirms();
    assert.equal(tags[0], 1);
    assert.equal(tags[tags.length - 1], 3);
  });

  test('an unroutable message (not mandatory) is still acked', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    const result = await withTimeout(
      new Promise<unknown>((resolve) => ch.publish('amq.direct', 'nobody', Buffer.from('x'), {}, (err) => resolve(err))),
      TIMEOUT_MS,
      'confirm',
    );
    assert.equal(result, null);
  });

  test('a mandatory unroutable message gets basic.return first, then basic.ack', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    const events: string[] = [];
    ch.on('return', (m: ReturnedMessage) => events.push(`return ${m.fields.replyCode} ${m.fields.replyText}`));
    ch.on('ack', (f: { deliveryTag: number }) => events.push(`ack ${f.deliveryTag}`));
    ch.publish('amq.direct', 'nobody', Buffer.from('x'), { mandatory: true });
    await withTimeout(ch.waitForConfirms(), TIMEOUT_MS, 'confirm');
    assert.deepEqual(events, ['return 312 NO_ROUTE', 'ack 1']);
  });

  test('a message routed to several queues is confirmed once', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    const x = s.exchange();
    await ch.assertExchange(x, 'fanout', TRANSIENT);
    for (let i = 0; i < 3; i++) {
      const q = s.queue();
      await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
      await ch.bindQueue(q, x, '');
    }
    const acks: number[] = [];
    ch.on('ack', (f: { deliveryTag: number }) => acks.push(f.deliveryTag));
    ch.publish(x, '', Buffer.from('x'));
    await withTimeout(ch.waitForConfirms(), TIMEOUT_MS, 'confirm');
    assert.deepEqual(acks, [1]);
  });

  test('a queue rejecting the publish (x-overflow reject-publish) makes the broker nack it', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    const q = s.queue();
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true, maxLength: 1, overflow: 'reject-publish' });
    const results = await withTimeout(
      Promise.all(
        ['kept', 'rejected'].map(
          (b) => new Promise<string>((resolve) => ch.sendToQueue(q, Buffer.from(b), {}, (err) => resolve(err ? 'nack' : 'ack'))),
        ),
      ),
      TIMEOUT_MS,
      'confirms',
    );
    assert.deepEqual(results, ['ack', 'nack']);
    assert.equal(await readyCount(s, q), 1);
  });

  test('confirm.select twice is fine', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    assert.deepEqual(await rawRpc(ch, METHOD.ConfirmSelect, { nowait: false }, METHOD.ConfirmSelectOk), {});
    ch.publish('amq.direct', 'nobody', Buffer.from('x'));
    await withTimeout(ch.waitForConfirms(), TIMEOUT_MS, 'confirm');
  });
});

describe('transactions', () => {
  test('publishes take effect only at commit', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue();
    await ch.assertQueue(q, TRANSIENT);
    assert.deepEqual(await txSelect(ch), {});
    ch.sendToQueue(q, Buffer.from('1'));
    ch.sendToQueue(q, Buffer.from('2'));
    await sleep(QUIET_MS);
    assert.equal(await readyCount(s, q), 0);
    assert.deepEqual(await txCommit(ch), {});
    // commit-ok comes once the queues have the messages
    assert.equal(await readyCount(s, q), 2);
    const reader = await s.channel();
    assert.equal((await getOne(reader, q, { noAck: true })).content.toString(), '1');
    assert.equal((await getOne(reader, q, { noAck: true })).content.toString(), '2');
  });

  test('rollback discards the pending publishes; the channel stays transactional', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue();
    await ch.assertQueue(q, TRANSIENT);
    await txSelect(ch);
    ch.sendToQueue(q, Buffer.from('discarded'));
    assert.deepEqual(await txRollback(ch), {});
    await txCommit(ch);
    assert.equal(await readyCount(s, q), 0);
    ch.sendToQueue(q, Buffer.from('kept'));
    await txCommit(ch);
    assert.equal(await readyCount(s, q), 1);
  });

  test('acks take effect only at commit; rollback forgets them and the messages stay unacked', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = s.queue();
    const setup = await s.confirmChannel(conn);
    await setup.assertQueue(q, TRANSIENT);
    for (const b of ['1', '2']) setup.sendToQueue(q, Buffer.from(b));
    await setup.waitForConfirms();

    const ch = await s.channel(conn);
    await txSelect(ch);
    const m1 = await getOne(ch, q);
    const m2 = await getOne(ch, q);
    ch.ack(m1);
    await txRollback(ch); // the ack of m1 is forgotten
    ch.ack(m2);
    await txCommit(ch); // m2 is acked
    await withTimeout(ch.close(), TIMEOUT_MS, 'channel close');
    // m1 was never acked: it comes back
    const back = await getOne(setup, q, { noAck: true });
    assert.equal(back.content.toString(), '1');
    assert.equal(back.fields.redelivered, true);
    await expectEmpty(setup, q);
  });

  test('an ack not yet committed does not count: closing the channel requeues the message', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = s.queue();
    const setup = await s.confirmChannel(conn);
    await setup.assertQueue(q, TRANSIENT);
    setup.sendToQueue(q, Buffer.from('job'));
    await setup.waitForConfirms();
    const ch = await s.channel(conn);
    await txSelect(ch);
    const { inbox } = await consume(ch, q);
    ch.ack(await inbox.next());
    await withTimeout(ch.close(), TIMEOUT_MS, 'channel close');
    const back = await getOne(setup, q, { noAck: true });
    assert.equal(back.fields.redelivered, true);
  });

  test('a mandatory unroutable publish in a transaction is returned at commit', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const returns = new Returns(ch);
    await txSelect(ch);
    ch.publish('amq.direct', 'nobody', Buffer.from('x'), { mandatory: true });
    await sleep(QUIET_MS);
    assert.equal(returns.messages.length, 0, 'nothing returned before commit');
    await txCommit(ch);
    const [r] = await returns.waitFor(1);
    assert.equal(r.fields.replyCode, 312);
  });

  test('tx.select twice, and commit / rollback with nothing pending, are fine', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    await txSelect(ch);
    await txSelect(ch);
    await txCommit(ch);
    await txCommit(ch);
    await txRollback(ch);
  });

  test('tx.commit or tx.rollback without tx.select closes the channel with 406', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch1 = await s.channel(conn);
    await expectChannelError(ch1, () => txCommit(ch1), { code: 406, text: 'PRECONDITION_FAILED - channel is not transactional', classId: 90, methodId: 20 }, conn);
    const ch2 = await s.channel(conn);
    await expectChannelError(ch2, () => txRollback(ch2), { code: 406, text: 'PRECONDITION_FAILED - channel is not transactional', classId: 90, methodId: 30 }, conn);
  });

  test('confirm mode and tx mode exclude each other (406)', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const confirming = await s.confirmChannel(conn);
    await expectChannelError(
      confirming,
      () => txSelect(confirming),
      { code: 406, text: 'PRECONDITION_FAILED - cannot switch from confirm to tx mode', classId: 90, methodId: 10 },
      conn,
    );
    const transactional = await s.channel(conn);
    await txSelect(transactional);
    await expectChannelError(
      transactional,
      () => rawRpc(transactional, METHOD.ConfirmSelect, { nowait: false }, METHOD.ConfirmSelectOk),
      { code: 406, text: 'PRECONDITION_FAILED - cannot switch from tx to confirm mode', classId: 85, methodId: 10 },
      conn,
    );
  });
});
