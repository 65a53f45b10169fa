// amqplib against the broker: exchange.declare / delete / bind / unbind, as RabbitMQ 3.10 does them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { Returns, TRANSIENT, consume, expectChannelError, expectConnectionError, getOne, scope } from '../helpers/amqp-helpers.js';

const VHOST = '/';
let broker: TestBroker;

before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

describe('exchange.declare', () => {
  for (const type of ['direct', 'fanout', 'topic', 'headers']) {
    test(`declares a ${type} exchange; redeclaring it identically and passively succeeds`, async (t) => {
      const s = scope(t, broker.url);
      const ch = await s.channel();
      const x = s.exchange();
      assert.deepEqual(await ch.assertExchange(x, type, TRANSIENT), { exchange: x });
      await ch.assertExchange(x, type, TRANSIENT);
      assert.deepEqual(await ch.checkExchange(x), {});
      await ch.deleteExchange(x);
    });
  }

  test('direct routes on the exact key, fanout ignores the key', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const direct = s.exchange();
    const fanout = s.exchange();
    const q = s.queue();
    await ch.assertExchange(direct, 'direct', TRANSIENT);
    await ch.assertExchange(fanout, 'fanout', TRANSIENT);
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    await ch.bindQueue(q, direct, 'key');
    await ch.bindQueue(q, fanout, 'ignored');
    const returns = new Returns(ch);
    ch.publish(direct, 'key', Buffer.from('d1'), { mandatory: true });
    ch.publish(direct, 'KEY', Buffer.from('d2'), { mandatory: true });
    ch.publish(fanout, 'anything', Buffer.from('f1'), { mandatory: true });
    const [ret] = await returns.waitFor(1);
    assert.equal(ret.content.toString(), 'd2');
    const { inbox } = await consume(ch, q, { noAck: true });
    await inbox.waitFor(2);
    assert.deepEqual(inbox.bodies(), ['d1', 'f1']);
    await inbox.expectQuiet();
  });

  test('passive declare of a missing exchange closes the channel with 404', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    const x = s.exchange();
    await expectChannelError(
      ch,
      () => ch.checkExchange(x),
      { code: 404, text: `NOT_FOUND - no exchange '${x}' in vhost '${VHOST}'`, classId: 40, methodId: 10 },
      conn,
    );
  });

  const inequivalent: Array<{ what: string; first: object; second: object; type?: string; text: (x: string) => string }> = [
    {
      what: 'type',
      first: { durable: false },
      second: { durable: false },
      type: 'fanout',
      text: (x) => `PRECONDITION_FAILED - inequivalent arg 'type' for exchange '${x}' in vhost '${VHOST}': received 'fanout' but current is 'direct'`,
    },
    {
      what: 'durable',
      first: { durable: false },
      second: { durable: true },
      text: (x) => `PRECONDITION_FAILED - inequivalent arg 'durable' for exchange '${x}' in vhost '${VHOST}': received 'true' but current is 'false'`,
    },
    {
      what: 'auto_delete',
      first: { durable: false, autoDelete: true },
      second: { durable: false, autoDelete: false },
      text: (x) =>
        `PRECONDITION_FAILED - inequivalent arg 'auto_delete' for exchange '${x}' in vhost '${VHOST}': received 'false' but current is 'true'`,
    },
    {
      what: 'internal',
      first: { durable: false },
      second: { durable: false, internal: true },
      text: (x) => `PRECONDITION_FAILED - inequivalent arg 'internal' for exchange '${x}' in vhost '${VHOST}': received 'true' but current is 'false'`,
    },
    {
      what: 'arguments (alternate-exchange)',
      first: { durable: false },
      second: { durable: false, alternateExchange: 'ae' },
      text: (x) =>
        `PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange '${x}' in vhost '${VHOST}': received the value 'ae' of type 'longstr' but current is none`,
    },
  ];
  for (const c of inequivalent) {
    test(`redeclare with a different ${c.what} closes the channel with 406`, async (t) => {
      const s = scope(t, broker.url);
      const conn = await s.conn();
      const setup = await s.channel(conn);
      const x = s.exchange();
      // an exchange with a binding, so an auto-delete one stays alive through the test
      await setup.assertExchange(x, 'direct', c.first);
      await setup.bindExchange('amq.direct', x, 'keep-alive');
      const ch = await s.channel(conn);
      await expectChannelError(ch, () => ch.assertExchange(x, c.type ?? 'direct', c.second), { code: 406, text: c.text(x), classId: 40, methodId: 10 }, conn);
      // the exchange is unchanged
      await setup.checkExchange(x);
    });
  }

  test("declaring a name starting with 'amq.' is refused with 403", async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    const x = `amq.${s.exchange()}`;
    await expectChannelError(
      ch,
      () => ch.assertExchange(x, 'direct', TRANSIENT),
      { code: 403, text: `ACCESS_REFUSED - exchange name '${x}' contains reserved prefix 'amq.*'`, classId: 40, methodId: 10 },
      conn,
    );
  });

  test('the built-in exchanges exist; redeclaring amq.direct with its own attributes is allowed', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    for (const x of ['amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'amq.match']) {
      assert.deepEqual(await ch.checkExchange(x), {}, x);
    }
    await ch.assertExchange('amq.direct', 'direct', { durable: true });
    await ch.assertExchange('amq.fanout', 'fanout', { durable: true });
    await ch.assertExchange('amq.match', 'headers', { durable: true });
  });

  test('amq.* built-ins route like their types', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const q = s.queue();
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    await ch.bindQueue(q, 'amq.direct', q);
    await ch.bindQueue(q, 'amq.topic', `${q}.*`);
    await ch.bindQueue(q, 'amq.match', '', { 'x-match': 'all', [q]: 'yes' });
    ch.publish('amq.direct', q, Buffer.from('direct'));
    ch.publish('amq.topic', `${q}.x`, Buffer.from('topic'));
    ch.publish('amq.match', '', Buffer.from('match'), { headers: { [q]: 'yes' } });
    const { inbox } = await consume(ch, q, { noAck: true });
    await inbox.waitFor(3);
    assert.deepEqual(inbox.bodies(), ['direct', 'topic', 'match']);
    const m = inbox.messages[0];
    assert.equal(m.fields.exchange, 'amq.direct');
    assert.equal(m.fields.routingKey, q);
  });

  test('passive declare of the default exchange is refused with 403', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    await expectChannelError(
      ch,
      () => ch.checkExchange(''),
      { code: 403, text: 'ACCESS_REFUSED - operation not permitted on the default exchange', classId: 40, methodId: 10 },
      conn,
    );
  });

  test('an unknown exchange type closes the connection with 503 COMMAND_INVALID', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.connect();
    const ch = await s.channel(conn);
    const x = s.exchange();
    await expectConnectionError(conn, () => ch.assertExchange(x, 'no-such-type', TRANSIENT), {
      code: 503,
      // RabbitMQ says "invalid exchange type" only when the name happens to be an existing Erlang
      // atom (e.g. 'foo'); for any other unknown name it is "unknown exchange type".
      text: "COMMAND_INVALID - unknown exchange type 'no-such-type'",
      classId: 40,
      methodId: 10,
    });
  });
});

describe('exchange.delete', () => {
  test('deletes an exchange; deleting a missing exchange succeeds', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    const x = s.exchange();
    await ch.assertExchange(x, 'fanout', TRANSIENT);
    assert.deepEqual(await ch.deleteExchange(x), {});
    assert.deepEqual(await ch.deleteExchange(x), {});
    const probe = await s.channel(conn);
    await expectChannelError(
      probe,
      () => probe.checkExchange(x),
      { code: 404, text: `NOT_FOUND - no exchange '${x}' in vhost '${VHOST}'`, classId: 40, methodId: 10 },
      conn,
    );
  });

  test('if_unused on an exchange with a queue binding closes the channel with 406; succeeds once unbound', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const setup = await s.channel(conn);
    const x = s.exchange();
    const q = s.queue();
    await setup.assertExchange(x, 'fanout', TRANSIENT);
    await setup.assertQueue(q, { ...TRANSIENT, exclusive: true });
    await setup.bindQueue(q, x, '');
    const ch = await s.channel(conn);
    await expectChannelError(
      ch,
      () => ch.deleteExchange(x, { ifUnused: true }),
      { code: 406, text: `PRECONDITION_FAILED - exchange '${x}' in vhost '${VHOST}' in use`, classId: 40, methodId: 20 },
      conn,
    );
    await setup.checkExchange(x);
    await setup.unbindQueue(q, x, '');
    await setup.deleteExchange(x, { ifUnused: true });
  });

  test('if_unused counts exchange bindings where the exchange is the source, not the destination', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const setup = await s.channel(conn);
    const src = s.exchange();
    const dst = s.exchange();
    await setup.assertExchange(src, 'fanout', TRANSIENT);
    await setup.assertExchange(dst, 'fanout', TRANSIENT);
    await setup.bindExchange(dst, src, '');
    const ch = await s.channel(conn);
    await expectChannelError(
      ch,
      () => ch.deleteExchange(src, { ifUnused: true }),
      { code: 406, text: `PRECONDITION_FAILED - exchange '${src}' in vhost '${VHOST}' in use`, classId: 40, methodId: 20 },
      conn,
    );
    // dst is only a destination: if_unused lets it go
    await setup.deleteExchange(dst, { ifUnused: true });
    await setup.deleteExchange(src, { ifUnused: true });
  });

  test('deleting a built-in amq.* exchange is refused with 403', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    await expectChannelError(
      ch,
      () => ch.deleteExchange('amq.direct'),
      { code: 403, text: `ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost '${VHOST}' not allowed`, classId: 40, methodId: 20 },
      conn,
    );
  });

  test('deleting the default exchange is refused with 403', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    await expectChannelError(
      ch,
      () => ch.deleteExchange(''),
      { code: 403, text: 'ACCESS_REFUSED - operation not permitted on the default exchange', classId: 40, methodId: 20 },
      conn,
    );
  });

  test('an auto-delete exchange survives until it has had a binding, then goes when its last binding is removed', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    const x = s.exchange();
    const q = s.queue();
    await ch.assertExchange(x, 'fanout', { durable: false, autoDelete: true });
    await ch.checkExchange(x); // never bound: still there
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    await ch.bindQueue(q, x, '');
    await ch.unbindQueue(q, x, '');
    const probe = await s.channel(conn);
    await expectChannelError(
      probe,
      () => probe.checkExchange(x),
      { code: 404, text: `NOT_FOUND - no exchange '${x}' in vhost '${VHOST}'`, classId: 40, methodId: 10 },
      conn,
    );
  });

  test('an auto-delete exchange goes when its only bound queue is deleted', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.channel(conn);
    const x = s.exchange();
    const q = s.queue();
    await ch.assertExchange(x, 'fanout', { durable: false, autoDelete: true });
    await ch.assertQueue(q, TRANSIENT);
    await ch.bindQueue(q, x, '');
    await ch.deleteQueue(q);
    const probe = await s.channel(conn);
    await expectChannelError(
      probe,
      () => probe.checkExchange(x),
      { code: 404, text: `NOT_FOUND - no exchange '${x}' in vhost '${VHOST}'`, classId: 40, methodId: 10 },
      conn,
    );
  });
});

describe('exchange.bind / exchange.unbind', () => {
  test('messages flow e1 -> e2 -> queue; unbind stops them', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const e1 = s.exchange();
    const e2 = s.exchange();
    const q = s.queue();
    await ch.assertExchange(e1, 'direct', TRANSIENT);
    await ch.assertExchange(e2, 'fanout', TRANSIENT);
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    await ch.bindQueue(q, e2, '');
    assert.deepEqual(await ch.bindExchange(e2, e1, 'k'), {});
    const { inbox } = await consume(ch, q, { noAck: true });
    const returns = new Returns(ch);

    ch.publish(e1, 'k', Buffer.from('through'), { mandatory: true });
    ch.publish(e1, 'other', Buffer.from('unrouted'), { mandatory: true });
    const m = await inbox.next();
    assert.equal(m.content.toString(), 'through');
    // the delivery names the exchange the message was published to, not the last hop
    assert.equal(m.fields.exchange, e1);
    assert.equal(m.fields.routingKey, 'k');
    const [r1] = await returns.waitFor(1);
    assert.equal(r1.content.toString(), 'unrouted');

    assert.deepEqual(await ch.unbindExchange(e2, e1, 'k'), {});
    ch.publish(e1, 'k', Buffer.from('after-unbind'), { mandatory: true });
    const rets = await returns.waitFor(2);
    assert.equal(rets[1].content.toString(), 'after-unbind');
    assert.equal(rets[1].fields.replyCode, 312);
    await inbox.expectQuiet();
  });

  test('a bind cycle e1 -> e2 -> e1 neither loops nor duplicates', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const e1 = s.exchange();
    const e2 = s.exchange();
    const q = s.queue();
    await ch.assertExchange(e1, 'fanout', TRANSIENT);
    await ch.assertExchange(e2, 'fanout', TRANSIENT);
    await ch.bindExchange(e2, e1, '');
    await ch.bindExchange(e1, e2, '');
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    await ch.bindQueue(q, e2, '');
    await ch.bindQueue(q, e1, '');
    const { inbox } = await consume(ch, q, { noAck: true });
    ch.publish(e1, '', Buffer.from('one'));
    ch.publish(e2, '', Buffer.from('two'));
    ch.publish(e1, '', Buffer.from('marker'));
    // a duplicate of 'one' or 'two' would be queued before 'marker' (same channel, same queue)
    await inbox.waitFor(3);
    assert.deepEqual(inbox.bodies(), ['one', 'two', 'marker']);
    await inbox.expectQuiet();
  });

  test('a queue reachable through several paths gets one copy', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const e1 = s.exchange();
    const e2 = s.exchange();
    const q = s.queue();
    await ch.assertExchange(e1, 'topic', TRANSIENT);
    await ch.assertExchange(e2, 'direct', TRANSIENT);
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    await ch.bindExchange(e2, e1, '#');
    await ch.bindQueue(q, e1, 'a.*');
    await ch.bindQueue(q, e1, '#');
    await ch.bindQueue(q, e2, 'a.b');
    ch.publish(e1, 'a.b', Buffer.from('x'));
    ch.publish(e1, 'a.b', Buffer.from('marker'));
    const { inbox } = await consume(ch, q, { noAck: true });
    await inbox.waitFor(2);
    assert.deepEqual(inbox.bodies(), ['x', 'marker']);
  });

  test('binding the same exchange pair twice is idempotent; unbinding a missing binding succeeds', async (t) => {
    const s = scope(t, broker.url);
    const ch = await s.channel();
    const e1 = s.exchange();
    const e2 = s.exchange();
    const q = s.queue();
    await ch.assertExchange(e1, 'direct', TRANSIENT);
    await ch.assertExchange(e2, 'fanout', TRANSIENT);
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    await ch.bindQueue(q, e2, '');
    await ch.bindExchange(e2, e1, 'k');
    await ch.bindExchange(e2, e1, 'k');
    ch.publish(e1, 'k', Buffer.from('once'));
    ch.publish(e1, 'k', Buffer.from('marker'));
    assert.deepEqual(await ch.unbindExchange(e2, e1, 'no-such-key'), {});
    assert.deepEqual(await ch.unbindExchange(s.exchange(), s.exchange(), 'k'), {}, 'both exchanges missing');
    const { inbox } = await consume(ch, q, { noAck: true });
    await inbox.waitFor(2);
    assert.deepEqual(inbox.bodies(), ['once', 'marker']);
  });

  test('exchange.bind with a missing source or destination closes the channel with 404 (source checked first)', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const missing = s.exchange();
    const alsoMissing = s.exchange();
    const ch0 = await s.channel(conn);
    await expectChannelError(
      ch0,
      () => ch0.bindExchange(alsoMissing, missing, ''),
      { code: 404, text: `NOT_FOUND - no exchange '${missing}' in vhost '${VHOST}'`, classId: 40, methodId: 30 },
      conn,
    );
    const ch1 = await s.channel(conn);
    await expectChannelError(
      ch1,
      () => ch1.bindExchange('amq.fanout', missing, ''),
      { code: 404, text: `NOT_FOUND - no exchange '${missing}' in vhost '${VHOST}'`, classId: 40, methodId: 30 },
      conn,
    );
    const ch2 = await s.channel(conn);
    await expectChannelError(
      ch2,
      () => ch2.bindExchange(missing, 'amq.fanout', ''),
      { code: 404, text: `NOT_FOUND - no exchange '${missing}' in vhost '${VHOST}'`, classId: 40, methodId: 30 },
      conn,
    );
  });
});

describe('internal exchanges', () => {
  test('publishing to an internal exchange closes the channel with 403; it still receives through exchange bindings', async (t) => {
    const s = scope(t, broker.url);
    const conn = await s.conn();
    const ch = await s.confirmChannel(conn);
    const front = s.exchange();
    const internal = s.exchange();
    const q = s.queue();
    await ch.assertExchange(front, 'fanout', TRANSIENT);
    await ch.assertExchange(internal, 'fanout', { durable: false, internal: true });
    await ch.assertQueue(q, { ...TRANSIENT, exclusive: true });
    await ch.bindQueue(q, internal, '');
    await ch.bindExchange(internal, front, '');
    ch.publish(front, '', Buffer.from('via-front'));
    await ch.waitForConfirms();
    assert.equal((await getOne(ch, q, { noAck: true })).content.toString(), 'via-front');

    const bad = await s.channel(conn);
    await expectChannelError(
      bad,
      () => bad.publish(internal, '', Buffer.from('direct')),
      { code: 403, text: `ACCESS_REFUSED - cannot publish to internal exchange '${internal}' in vhost '${VHOST}'`, classId: 60, methodId: 40 },
      conn,
    );
  });
});
