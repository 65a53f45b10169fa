// The built-in delayed message exchange (x-delayed-message) with amqplib, on a ManualClock the test
// moves (no sleeps): declaration checks with the plugin's texts, holding for x-delay ms then routing
// as x-delayed-type, release in due order, x-delay negated on delivery, confirms once stored, and
// survival of a restart (also when the message fell due while the broker was down).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { Broker, ManualClock } from '../../src/index.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { closeQuietly, connect, consume, expectChannelError, expectConnectionError, expectEmpty, getOne, scope } from '../helpers/amqp-helpers.js';

const external = !!process.env.WARREN_TEST_AMQP_URL;
const START = Date.parse('2026-01-01T00:00:00Z');
const clock = new ManualClock(START);
let broker: TestBroker;
before(async () => {
  broker = await startBroker({ clock });
});
after(async () => {
  await broker?.stop();
});

/** A delayed exchange of `type` with one queue bound by `key`; returns a confirm channel. */
async function setup(t: Parameters<typeof scope>[0], type = 'direct', key = 'k'): Promise<{ ch: ConfirmChannel; x: string; q: string }> {
  const s = scope(t, broker.url);
  const ch = await s.confirmChannel();
  const x = s.exchange('partG-delayed');
  const q = s.queue('partG-delayed-q');
  await ch.assertExchange(x, 'x-delayed-message', { durable: false, arguments: { 'x-delayed-type': type } });
  await ch.assertQueue(q, { durable: false });
  await ch.bindQueue(q, x, key);
  return { ch, x, q };
}

describe('x-delayed-message: declaration', () => {
  test('without x-delayed-type: 406 with the plugin text', async (t) => {
    if (external) return t.skip('the reference RabbitMQ has no delayed message plugin');
    const s = scope(t, broker.url);
    const ch = await s.channel();
    await expectChannelError(ch, () => ch.assertExchange(s.exchange('partG-dx'), 'x-delayed-message', { durable: false }), {
      code: 406,
      text: "PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must bean existing exchnage type",
      classId: 40,
      methodId: 10,
    });
  });

  test('an unknown x-delayed-type: 503 unknown exchange type (a connection error)', async (t) => {
    if (external) return t.skip('the reference RabbitMQ has no delayed message plugin');
    const conn = await connect(broker.url);
    t.after(() => closeQuietly(conn));
    const ch = await conn.createChannel();
    await expectConnectionError(conn, () => ch.assertExchange('partG-dx-unknown', 'x-delayed-message', { durable: false, arguments: { 'x-delayed-type': 'nope' } }), {
      code: 503,
      text: "COMMAND_INVALID - unknown exchange type 'nope'",
      classId: 40,
      methodId: 10,
    });
  });
});

describe('x-delayed-message: holding and routing', { skip: external && 'needs the in-process ManualClock' }, () => {
  test('a message is held for x-delay ms, then routed by its routing key; x-delay arrives negated', async (t) => {
    const { ch, x, q } = await setup(t);
    ch.publish(x, 'k', Buffer.from('later'), { headers: { 'x-delay': 5000 } });
    ch.publish(x, 'other', Buffer.from('unroutable'), { headers: { 'x-delay': 5000 } });
    await ch.waitForConfirms();
    await expectEmpty(ch, q);
    clock.advance(4999);
    await expectEmpty(ch, q);
    clock.advance(1);
    const m = await getOne(ch, q, { noAck: true });
    assert.equal(m.content.toString(), 'later');
    assert.equal(m.fields.exchange, x, 'delivered as published to the delayed exchange');
    assert.equal(m.properties.headers?.['x-delay'], -5000, 'x-delay negated, as the plugin does');
    assert.equal(m.properties.headers?.['x-warren-delayed-until'], undefined, 'the internal due-time header is gone');
    await expectEmpty(ch, q);
  });

  test('no x-delay, zero, negative or non-numeric: routed at once', async (t) => {
    const { ch, x, q } = await setup(t);
    ch.publish(x, 'k', Buffer.from('none'));
    ch.publish(x, 'k', Buffer.from('zero'), { headers: { 'x-delay': 0 } });
    ch.publish(x, 'k', Buffer.from('negative'), { headers: { 'x-delay': -100 } });
    ch.publish(x, 'k', Buffer.from('text'), { headers: { 'x-delay': 'soon' } });
    await ch.waitForConfirms();
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await getOne(ch, q, { noAck: true })).content.toString());
    assert.deepEqual(got, ['none', 'zero', 'negative', 'text']);
  });

  test('messages are released in due order, not publish order; a numeric string delay counts', async (t) => {
    const { ch, x, q } = await setup(t, 'fanout', '');
    const { inbox } = await consume(ch, q, { noAck: true });
    ch.publish(x, 'any', Buffer.from('300'), { headers: { 'x-delay': 300 } });
    ch.publish(x, 'any', Buffer.from('100'), { headers: { 'x-delay': 100 } });
    ch.publish(x, 'any', Buffer.from('200'), { headers: { 'x-delay': '200' } });
    await ch.waitForConfirms();
    clock.advance(150);
    assert.equal((await inbox.next()).content.toString(), '100');
    clock.advance(1000);
    await inbox.waitFor(3);
    assert.deepEqual(inbox.bodies(), ['100', '200', '300']);
  });

  test('topic and headers delayed types route as those types', async (t) => {
    const topic = await setup(t, 'topic', 'a.*');
    topic.ch.publish(topic.x, 'a.b', Buffer.from('t'), { headers: { 'x-delay': 10 } });
    topic.ch.publish(topic.x, 'b.b', Buffer.from('no'), { headers: { 'x-delay': 10 } });
    await topic.ch.waitForConfirms();
    clock.advance(10);
    assert.equal((await getOne(topic.ch, topic.q, { noAck: true })).content.toString(), 't');
    await expectEmpty(topic.ch, topic.q);
  });

  test('deleting the exchange drops what it held', async (t) => {
    const { ch, x, q } = await setup(t);
    ch.publish(x, 'k', Buffer.from('gone'), { headers: { 'x-delay': 100 } });
    await ch.waitForConfirms();
    await ch.deleteExchange(x);
    await ch.bindQueue(q, 'amq.direct', 'k'); // the queue is still there and usable
    clock.advance(100);
    await expectEmpty(ch, q);
  });
});

describe('x-delayed-message: durability', { skip: external && 'restarts an in-process Warren' }, () => {
  test('a persistent message in a durable delayed exchange survives restarts, also past its due time', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'warren-partG-delayed-'));
    // one cleanup, in order: connection, broker, then the data dir (after-hooks run in the order added)
    const open: { conn?: ChannelModel; broker?: Broker } = {};
    t.after(async () => {
      if (open.conn) await closeQuietly(open.conn);
      await open.broker?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });
    const start = async (c: ManualClock): Promise<Broker> => {
      open.broker = await Broker.start({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', managementPort: 0, clock: c });
      return open.broker;
    };
    const x = 'partG-durable-delayed';
    const q = 'partG-durable-delayed-q';

    const clock1 = new ManualClock(START);
    let b = await start(clock1);
    let conn = await connect(`amqp://guest:guest@127.0.0.1:${b.port}/%2F`);
    open.conn = conn;
    let ch = await conn.createConfirmChannel();
    await ch.assertExchange(x, 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
    await ch.assertQueue(q, { durable: true });
    await ch.bindQueue(q, x, 'k');
    ch.publish(x, 'k', Buffer.from('soon'), { persistent: true, headers: { 'x-delay': 1000 } });
    ch.publish(x, 'k', Buffer.from('later'), { persistent: true, headers: { 'x-delay': 60_000 } });
    ch.publish(x, 'k', Buffer.from('transient'), { persistent: false, headers: { 'x-delay': 1000 } });
    await ch.waitForConfirms(); // confirmed: on disk
    await closeQuietly(conn);
    await b.stop();

    // second life: 10 s later, 'soon' fell due while the broker was down
    const clock2 = new ManualClock(START + 10_000);
    b = await start(clock2);
    conn = await connect(`amqp://guest:guest@127.0.0.1:${b.port}/%2F`);
    open.conn = conn;
    ch = await conn.createConfirmChannel();
    clock2.advance(0);
    assert.equal((await getOne(ch, q, { noAck: true })).content.toString(), 'soon', 'released at once after the restart');
    await expectEmpty(ch, q); // 'later' still held; the transient one did not survive
    await closeQuietly(conn);
    await b.stop();

    // third life: still held across a second restart, then released on time
    const clock3 = new ManualClock(START + 20_000);
    b = await start(clock3);
    conn = await connect(`amqp://guest:guest@127.0.0.1:${b.port}/%2F`);
    open.conn = conn;
    ch = await conn.createConfirmChannel();
    clock3.advance(39_999);
    await expectEmpty(ch, q);
    clock3.advance(1);
    const m = await getOne(ch, q, { noAck: true });
    assert.equal(m.content.toString(), 'later');
    assert.equal(m.properties.headers?.['x-delay'], -60_000);
    await expectEmpty(ch, q);
    await ch.deleteQueue(q);
    await ch.deleteExchange(x);
  });

  test('deleting the vhost of a durable delayed exchange drops its held messages for good', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'warren-partG-delayed-vh-'));
    const open: { broker?: Broker } = {};
    t.after(async () => {
      await open.broker?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });
    const start = async (): Promise<Broker> => {
      open.broker = await Broker.start({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', managementPort: 0, clock: new ManualClock(START) });
      return open.broker;
    };
    let b = await start();
    b.admin.addVhost('partG-delayed-vh');
    b.users.setPermissions('guest', 'partG-delayed-vh', { configure: '.*', write: '.*', read: '.*' });
    const conn = await connect(`amqp://guest:guest@127.0.0.1:${b.port}/partG-delayed-vh`);
    const ch = await conn.createConfirmChannel();
    await ch.assertExchange('partG-dx', 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'fanout' } });
    ch.publish('partG-dx', '', Buffer.from('held'), { persistent: true, headers: { 'x-delay': 1000 } });
    await ch.waitForConfirms();
    await closeQuietly(conn);
    b.admin.deleteVhost('partG-delayed-vh');
    await b.admin.durable();
    await b.stop();
    b = await start();
    assert.equal(b.vhosts.has('partG-delayed-vh'), false, 'the deleted vhost does not come back from the held messages');
  });
});
