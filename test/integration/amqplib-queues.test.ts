// amqplib against the broker: queue.declare / bind / unbind / purge / delete, as RabbitMQ 3.10 does them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import {
  Returns,
  TIMEOUT_MS,
  TRANSIENT,
  consume,
  eventually,
  expectChannelError,
  expectEmpty,
  getOne,
  openChannel,
  scope,
  withTimeout,
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

const LOCKED = (q: string): string =>
  `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '${VHOST}'. ` +
  'It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.';

/** Polls (bounded) until a passive declare of `q` fails with 404: deletion is asynchronous. */
async function waitQueueGone(s: AmqpScope, q: string): Promise<void> {
  const conn = await s.connect();
  await eventually(
    async () => {
      const ch = await openChannel(conn);
      let ok = false;
      try {
        await ch.checkQueue(q);
        ok = true;
      } catch (err) {
        assert.equal((err as { code?: number }).code, 404);
      }
      if (ok) {
        await ch.close();
        throw new Error(`queue ${q} still exists`);
      }
    },
    TIMEOUT_MS,
    `deletion of queue ${q}`,
  );
}

describe('queue.declare', () => {
  test('a server-named queue is called amq.gen-<22 chars> and is empty', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const ok = await ch.assertQueue('', { ...TRANSIENT, exclusive: true });
    s.track(ok.queue);
    assert.match(ok.queue, /^amq\.gen-[A-Za-z0-9_-]{22}$/);
    assert.equal(ok.messageCount, 0);
    assert.equal(ok.consumerCount, 0);
    // two server-named queues never collide
    const ok2 = await ch.assertQueue('', { ...TRANSIENT, exclusive: true });
    s.track(ok2.queue);
    assert.notEqual(ok2.queue, ok.queue);
  });

  test('declare-ok reports ready messages and consumers', async (t) => {
    const s = scope(t, broker.url);
    // publisher confirms make sure the messages are enqueued before counting: RabbitMQ answers
    // declare-ok ahead of deliveries still in flight to the queue
    const ch = await s.confirmChannel();
    const q = s.queue();
    assert.deepEqual(await ch.assertQueue(q, TRANSIENT), { queue: q, messageCount: 0, consumerCount: 0 });
    for (const b of ['1', '2', '3']) ch.sendToQueue(q, Buffer.from(b));
    await ch.waitForConfirms();
    assert.deepEqual(await ch.assertQueue(q, TRANSIENT), { queue: q, messageCount: 3, consumerCount: 0 });
    assert.deepEqual(await ch.checkQueue(q), { queue: q, messageCount: 3, consumerCount: 0 });
    // a consumer holding one unacked message: it no longer counts as ready
    const cch = await s.channel();
    await cch.prefetch(1);
    const { inbox } = await consume(cch, q);
    await inbox.waitFor(1);
    assert.deepEqual(await ch.checkQueue(q), { queue: q, messageCount: 2, consumerCount: 1 });
    await ch.deleteQueue(q);
  });

  test('passive declare of a missing queue closes the channel with 404', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    const q = s.queue();
    await expectChannelError(ch, () => ch.checkQueue(q), { code: 404, text: `NOT_FOUND - no queue '${q}' in vhost '${VHOST}'`, classId: 50, methodId: 10 }, conn);
  });

  test('passive declare of an existing queue ignores the other flags', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue();
    await ch.assertQueue(q, { durable: false, autoDelete: false });
    // amqplib's checkQueue sends durable=true: passive declares do not compare attributes
    assert.deepEqual(await ch.checkQueue(q), { queue: q, messageCount: 0, consumerCount: 0 });
    await ch.deleteQueue(q);
  });

  const inequivalent: Array<{ what: string; first: object; second: object; text: (q: string) => string }> = [
    {
      what: 'durable',
      first: { durable: false },
      second: { durable: true },
      text: (q) => `PRECONDITION_FAILED - inequivalent arg 'durable' for queue '${q}' in vhost '${VHOST}': received 'true' but current is 'false'`,
    },
    {
      what: 'auto_delete',
      first: { durable: false },
      second: { durable: false, autoDelete: true },
      text: (q) => `PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue '${q}' in vhost '${VHOST}': received 'true' but current is 'false'`,
    },
    {
      what: 'arguments (x-max-length added)',
      first: { durable: false },
      second: { durable: false, maxLength: 10 },
      text: (q) =>
        `PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue '${q}' in vhost '${VHOST}': received the value '10' of type 'byte' but current is none`,
    },
    {
      what: 'arguments (x-max-length changed)',
      first: { durable: false, maxLength: 10 },
      second: { durable: false, maxLength: 20 },
      text: (q) => `PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue '${q}' in vhost '${VHOST}': received '20' but current is '10'`,
    },
    {
      what: 'arguments (x-max-length removed)',
      first: { durable: false, maxLength: 10 },
      second: { durable: false },
      text: (q) =>
        `PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue '${q}' in vhost '${VHOST}': received none but current is the value '10' of type 'byte'`,
    },
  ];
  for (const c of inequivalent) {
    test(`redeclare with different ${c.what} closes the channel with 406`, async (t) => {
      const s = scope(t, broker.url);
      const conn = await s.conn();
      const setup = await s.channel(conn);
      const q = s.queue();
      await setup.assertQueue(q, c.first);
      const ch = await s.channel(conn);
      await expectChannelError(ch, () => ch.assertQueue(q, c.second), { code: 406, text: c.text(q), classId: 50, methodId: 10 }, conn);
      // the original queue is untouched
      assert.equal((await setup.checkQueue(q)).queue, q);
    });
  }

  test('redeclaring a queue with a different exclusive flag closes the channel with 405', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const setup = await s.channel(conn);
    const shared = s.queue();
    const exclusive = s.queue();
    await setup.assertQueue(shared, TRANSIENT);
    await setup.assertQueue(exclusive, { ...TRANSIENT, exclusive: true });
    const ch1 = await s.channel(conn);
    await expectChannelError(ch1, () => ch1.assertQueue(shared, { ...TRANSIENT, exclusive: true }), { code: 405, text: LOCKED(shared), classId: 50, methodId: 10 }, conn);
    const ch2 = await s.channel(conn);
    await expectChannelError(ch2, () => ch2.assertQueue(exclusive, { ...TRANSIENT, exclusive: false }), { code: 405, text: LOCKED(exclusive), classId: 50, methodId: 10 }, conn);
  });

  test("declaring a queue named 'amq.*' is refused with 403, even an existing server-named one", async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q = `amq.${s.queue()}`;
    const ch = await s.channel(conn);
    await expectChannelError(
      ch,
      () => ch.assertQueue(q, TRANSIENT),
      { code: 403, text: `ACCESS_REFUSED - queue name '${q}' contains reserved prefix 'amq.*'`, classId: 50, methodId: 10 },
      conn,
    );
    const setup = await s.channel(conn);
    const gen = s.track((await setup.assertQueue('', { ...TRANSIENT, exclusive: true })).queue);
    // passive is fine, a full redeclare is not
    await setup.checkQueue(gen);
    await expectChannelError(
      setup,
      () => setup.assertQueue(gen, { ...TRANSIENT, exclusive: true }),
      { code: 403, text: `ACCESS_REFUSED - queue name '${gen}' contains reserved prefix 'amq.*'`, classId: 50, methodId: 10 },
      conn,
    );
  });

  test('invalid queue arguments close the channel with 406', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const q1 = s.queue();
    const ch1 = await s.channel(conn);
    await expectChannelError(
      ch1,
      () => ch1.assertQueue(q1, { ...TRANSIENT, arguments: { 'x-max-length': 'abc' } }),
      { code: 406, text: `PRECONDITION_FAILED - invalid arg 'x-max-length' for queue '${q1}' in vhost '${VHOST}': "expected integer, got longstr"`, classId: 50, methodId: 10 },
      conn,
    );
    const q2 = s.queue();
    const ch2 = await s.channel(conn);
    await expectChannelError(
      ch2,
      () => ch2.assertQueue(q2, { ...TRANSIENT, arguments: { 'x-max-length': -1 } }),
      { code: 406, text: `PRECONDITION_FAILED - invalid arg 'x-max-length' for queue '${q2}' in vhost '${VHOST}': {value_negative,-1}`, classId: 50, methodId: 10 },
      conn,
    );
  });
});

describe('exclusive queues', () => {
  test('another connection gets 405 RESOURCE_LOCKED for declare, consume, get, purge, delete, bind and unbind', async (t) => {
    const s = scope(t, broker.url);
    const owner = await s.connect();
    const och = await s.channel(owner);
    const q = s.queue();
    await och.assertQueue(q, { ...TRANSIENT, exclusive: true });
    const other = await s.connect();
    const cases: Array<[string, (ch: import('amqplib').Channel) => Promise<unknown>, number, number]> = [
      ['passive declare', (ch) => ch.checkQueue(q), 50, 10],
      ['declare', (ch) => ch.assertQueue(q, { ...TRANSIENT, exclusive: true }), 50, 10],
      ['consume', (ch) => ch.consume(q, () => {}), 60, 20],
      ['get', (ch) => ch.get(q), 60, 70],
      ['purge', (ch) => ch.purgeQueue(q), 50, 30],
      ['delete', (ch) => ch.deleteQueue(q), 50, 40],
      ['bind', (ch) => ch.bindQueue(q, 'amq.direct', 'k'), 50, 20],
    ];
    for (const [, op, classId, methodId] of cases) {
      const ch = await s.channel(other);
      await expectChannelError(ch, () => op(ch), { code: 405, text: LOCKED(q), classId, methodId }, other);
    }
    // queue.unbind from another connection: 405 for an existing binding, unbind-ok for a missing
    // one (RabbitMQ 3.10 looks the binding up before checking exclusivity)
    await och.bindQueue(q, 'amq.direct', 'owned');
    const uch = await s.channel(other);
    await expectChannelError(uch, () => uch.unbindQueue(q, 'amq.direct', 'owned'), { code: 405, text: LOCKED(q), classId: 50, methodId: 50 }, other);
    const uch2 = await s.channel(other);
    assert.deepEqual(await uch2.unbindQueue(q, 'amq.direct', 'no-such-binding'), {});
    // publishing to it from another connection is allowed
    const pch = await s.confirmChannel(other);
    pch.sendToQueue(q, Buffer.from('from-other'));
    await pch.waitForConfirms();
    assert.equal((await getOne(och, q, { noAck: true })).content.toString(), 'from-other');
    // the owner can use it from any of its channels
    const och2 = await s.channel(owner);
    assert.equal((await och2.checkQueue(q)).queue, q);
  });

  test('an exclusive queue is deleted when its connection closes', async (t) => {
    const s = scope(t, broker.url);
    const owner = await s.connect();
    const och = await s.channel(owner);
    const q = s.queue();
    await och.assertQueue(q, { ...TRANSIENT, exclusive: true });
    och.sendToQueue(q, Buffer.from('lost'));
    await withTimeout(owner.close(), TIMEOUT_MS, 'connection close');
    await waitQueueGone(s, q);
  });
});

describe('auto-delete queues', () => {
  test('deleted when the last consumer cancels, not before; never-consumed ones stay', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    const q = s.queue();
    await ch.assertQueue(q, { durable: false, autoDelete: true });
    await ch.checkQueue(q); // no consumer yet: still there
    const c1 = await consume(ch, q);
    const c2 = await consume(ch, q);
    assert.equal((await ch.checkQueue(q)).consumerCount, 2);
    await ch.cancel(c1.tag);
    assert.equal((await ch.checkQueue(q)).consumerCount, 1);
    await ch.cancel(c2.tag);
    await waitQueueGone(s, q);
  });

  test('deleted when the channel of its last consumer closes', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    const q = s.queue();
    await ch.assertQueue(q, { durable: false, autoDelete: true });
    await consume(ch, q);
    await ch.close();
    await waitQueueGone(s, q);
  });
});

describe('queue.bind / queue.unbind', () => {
  test('bind routes, unbind stops routing, unbinding a missing binding succeeds', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    const q = s.queue();
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    assert.deepEqual(await ch.bindQueue(q, 'amq.direct', q), {});
    ch.publish('amq.direct', q, Buffer.from('bound'));
    await ch.waitForConfirms();
    assert.equal((await getOne(ch, q, { noAck: true })).content.toString(), 'bound');
    assert.deepEqual(await ch.unbindQueue(q, 'amq.direct', q), {});
    const returns = new Returns(ch);
    ch.publish('amq.direct', q, Buffer.from('unbound'), { mandatory: true });
    const [r] = await returns.waitFor(1);
    assert.equal(r.fields.replyCode, 312);
    assert.equal(r.fields.replyText, 'NO_ROUTE');
    await expectEmpty(ch, q);
    // unbinding again (binding missing) and unbinding from a missing exchange are both ok
    assert.deepEqual(await ch.unbindQueue(q, 'amq.direct', q), {});
    assert.deepEqual(await ch.unbindQueue(q, s.exchange(), 'k'), {});
    assert.deepEqual(await ch.unbindQueue(s.queue(), 'amq.direct', 'k'), {}, 'queue missing');
  });

  test('binding twice is idempotent', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    const q = s.queue();
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    await ch.bindQueue(q, 'amq.direct', q);
    await ch.bindQueue(q, 'amq.direct', q);
    ch.publish('amq.direct', q, Buffer.from('one'));
    await ch.waitForConfirms();
    assert.equal((await ch.checkQueue(q)).messageCount, 1);
    await ch.unbindQueue(q, 'amq.direct', q);
  });

  test('every queue is bound to the default exchange under its own name', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    const q = s.queue();
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    ch.publish('', q, Buffer.from('default'));
    await ch.waitForConfirms();
    const m = await getOne(ch, q, { noAck: true });
    assert.equal(m.content.toString(), 'default');
    assert.equal(m.fields.exchange, '');
    assert.equal(m.fields.routingKey, q);
  });

  test('binding to a missing exchange or a missing queue closes the channel with 404 (exchange checked first)', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const setup = await s.channel(conn);
    const q = s.queue();
    await setup.assertQueue(q, { ...TRANSIENT, exclusive: true });
    const x = s.exchange();
    const ch0 = await s.channel(conn);
    await expectChannelError(
      ch0,
      () => ch0.bindQueue(s.queue(), x, 'k'),
      { code: 404, text: `NOT_FOUND - no exchange '${x}' in vhost '${VHOST}'`, classId: 50, methodId: 20 },
      conn,
    );
    const ch1 = await s.channel(conn);
    await expectChannelError(ch1, () => ch1.bindQueue(q, x, 'k'), { code: 404, text: `NOT_FOUND - no exchange '${x}' in vhost '${VHOST}'`, classId: 50, methodId: 20 }, conn);
    const missing = s.queue();
    const ch2 = await s.channel(conn);
    await expectChannelError(
      ch2,
      () => ch2.bindQueue(missing, 'amq.direct', 'k'),
      { code: 404, text: `NOT_FOUND - no queue '${missing}' in vhost '${VHOST}'`, classId: 50, methodId: 20 },
      conn,
    );
  });

  test('binding to or unbinding from the default exchange is refused with 403', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const setup = await s.channel(conn);
    const q = s.queue();
    await setup.assertQueue(q, { ...TRANSIENT, exclusive: true });
    const ch1 = await s.channel(conn);
    await expectChannelError(
      ch1,
      () => ch1.bindQueue(q, '', 'k'),
      { code: 403, text: 'ACCESS_REFUSED - operation not permitted on the default exchange', classId: 50, methodId: 20 },
      conn,
    );
    const ch2 = await s.channel(conn);
    await expectChannelError(
      ch2,
      () => ch2.unbindQueue(q, '', q),
      { code: 403, text: 'ACCESS_REFUSED - operation not permitted on the default exchange', classId: 50, methodId: 50 },
      conn,
    );
  });
});

describe('queue.purge', () => {
  test('returns the number of ready messages purged; unacked messages are kept', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.confirmChannel();
    const q = s.queue();
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    for (const b of ['1', '2', '3', '4']) ch.sendToQueue(q, Buffer.from(b));
    await ch.waitForConfirms();
    const held = await getOne(ch, q); // unacked
    assert.deepEqual(await ch.purgeQueue(q), { messageCount: 3 });
    assert.deepEqual(await ch.purgeQueue(q), { messageCount: 0 });
    ch.nack(held, false, true);
    assert.equal((await ch.checkQueue(q)).messageCount, 1);
    const again = await getOne(ch, q, { noAck: true });
    assert.equal(again.content.toString(), '1');
    assert.equal(again.fields.redelivered, true);
  });

  test('purging a missing queue closes the channel with 404', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    const q = s.queue();
    await expectChannelError(ch, () => ch.purgeQueue(q), { code: 404, text: `NOT_FOUND - no queue '${q}' in vhost '${VHOST}'`, classId: 50, methodId: 30 }, conn);
  });
});

describe('queue.delete', () => {
  test('returns the message count; deleting a missing queue returns 0', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.confirmChannel(conn);
    const q = s.queue();
    await ch.assertQueue(q, TRANSIENT);
    ch.sendToQueue(q, Buffer.from('a'));
    ch.sendToQueue(q, Buffer.from('b'));
    await ch.waitForConfirms();
    assert.deepEqual(await ch.deleteQueue(q), { messageCount: 2 });
    assert.deepEqual(await ch.deleteQueue(q), { messageCount: 0 });
    const probe = await s.channel(conn);
    await expectChannelError(probe, () => probe.checkQueue(q), { code: 404, text: `NOT_FOUND - no queue '${q}' in vhost '${VHOST}'`, classId: 50, methodId: 10 }, conn);
  });

  test('if_unused with a consumer closes the channel with 406', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const setup = await s.channel(conn);
    const q = s.queue();
    await setup.assertQueue(q, TRANSIENT);
    const { tag } = await consume(setup, q);
    const ch = await s.channel(conn);
    await expectChannelError(
      ch,
      () => ch.deleteQueue(q, { ifUnused: true }),
      { code: 406, text: `PRECONDITION_FAILED - queue '${q}' in vhost '${VHOST}' in use`, classId: 50, methodId: 40 },
      conn,
    );
    await setup.cancel(tag);
    assert.deepEqual(await setup.deleteQueue(q, { ifUnused: true }), { messageCount: 0 });
  });

  test('if_empty with messages closes the channel with 406', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const setup = await s.confirmChannel(conn);
    const q = s.queue();
    await setup.assertQueue(q, TRANSIENT);
    setup.sendToQueue(q, Buffer.from('x'));
    await setup.waitForConfirms();
    const ch = await s.channel(conn);
    await expectChannelError(
      ch,
      () => ch.deleteQueue(q, { ifEmpty: true }),
      { code: 406, text: `PRECONDITION_FAILED - queue '${q}' in vhost '${VHOST}' not empty`, classId: 50, methodId: 40 },
      conn,
    );
    await setup.purgeQueue(q);
    assert.deepEqual(await setup.deleteQueue(q, { ifEmpty: true }), { messageCount: 0 });
  });

  test('deleting a queue cancels its consumers (basic.cancel from the server)', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    const q = s.queue();
    await ch.assertQueue(q, TRANSIENT);
    const { inbox } = await consume(ch, q);
    const other = await s.channel(conn);
    await other.deleteQueue(q);
    await inbox.waitCancelled();
    // the consumer's channel stays open
    assert.deepEqual(await ch.checkExchange('amq.direct'), {});
  });
});
