// Consumer priorities (basic.consume argument x-priority) with amqplib, as RabbitMQ 3.10 does them:
// a message goes to the highest-priority consumer that can take it, lower ones only while every
// higher one is blocked (here: by its prefetch), round-robin among equal priorities. Runs against
// the reference RabbitMQ with WARREN_TEST_AMQP_URL set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { consume, expectChannelError, publishConfirmed, scope, TRANSIENT, waitTotal, type AmqpScope } from '../helpers/amqp-helpers.js';

let broker: TestBroker;

before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

async function newQueue(s: AmqpScope): Promise<string> {
  const ch = await s.channel();
  const q = s.queue('consumer-prio');
  await ch.assertQueue(q, TRANSIENT);
  await ch.close();
  return q;
}

const bodies = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i + 1}`);

async function readyCount(s: AmqpScope, q: string): Promise<number> {
  const ch = await s.channel();
  const { messageCount } = await ch.checkQueue(q);
  await ch.close();
  return messageCount;
}

describe('x-priority', () => {
  test('the highest-priority consumer gets every message while it can take them', async (t) => {
    const s = scope(t, broker.url);
    const q = await newQueue(s);
    const low = await consume(await s.channel(), q, { noAck: true });
    const high = await consume(await s.channel(), q, { noAck: true, arguments: { 'x-priority': 10 } });
    const dflt = await consume(await s.channel(), q, { noAck: true, arguments: { 'x-priority': 0 } });
    await publishConfirmed(await s.conn(), '', q, bodies(6));
    await high.inbox.waitFor(6);
    assert.deepEqual(high.inbox.bodies(), bodies(6), 'all to the priority-10 consumer, in order');
    await high.inbox.expectQuiet();
    assert.equal(low.inbox.messages.length + dflt.inbox.messages.length, 0, 'lower priorities get nothing');
  });

  test('a lower-priority consumer gets messages only while the higher one is blocked by its prefetch', async (t) => {
    const s = scope(t, broker.url);
    const q = await newQueue(s);
    const highCh = await s.channel();
    await highCh.prefetch(1);
    const high = await consume(highCh, q, { arguments: { 'x-priority': 5 } });
    const lowCh = await s.channel();
    await lowCh.prefetch(1);
    const low = await consume(lowCh, q);
    await publishConfirmed(await s.conn(), '', q, bodies(4));
    await waitTotal([high.inbox, low.inbox], 2);
    assert.deepEqual(high.inbox.bodies(), ['m1'], 'the high-priority consumer takes the first message');
    assert.deepEqual(low.inbox.bodies(), ['m2'], 'the low-priority one gets the next while the high one is full');
    assert.equal(await readyCount(s, q), 2, 'both blocked: two messages stay ready');
    // the high consumer frees its slot: the next message is its again, not the waiting low one's
    highCh.ack(high.inbox.messages[0]);
    await high.inbox.waitFor(2);
    assert.deepEqual(high.inbox.bodies(), ['m1', 'm3'], 'after its ack the high consumer gets m3');
    lowCh.ack(low.inbox.messages[0]);
    await low.inbox.waitFor(2);
    assert.deepEqual(low.inbox.bodies(), ['m2', 'm4'], 'after its ack the low consumer gets m4');
  });

  test('consumers of equal priority share messages round-robin; a negative priority ranks below the default', async (t) => {
    const s = scope(t, broker.url);
    const q = await newQueue(s);
    const a = await consume(await s.channel(), q, { noAck: true, arguments: { 'x-priority': 3 } });
    const below = await consume(await s.channel(), q, { noAck: true, arguments: { 'x-priority': -1 } });
    const b = await consume(await s.channel(), q, { noAck: true, arguments: { 'x-priority': 3 } });
    await publishConfirmed(await s.conn(), '', q, bodies(6));
    await waitTotal([a.inbox, b.inbox], 6);
    assert.equal(a.inbox.messages.length, 3, 'first priority-3 consumer gets half');
    assert.equal(b.inbox.messages.length, 3, 'second priority-3 consumer gets half');
    await a.inbox.expectQuiet();
    assert.equal(below.inbox.messages.length, 0, 'the priority -1 consumer gets nothing');
  });

  test('when the higher-priority consumer cancels, the lower one takes what is left', async (t) => {
    const s = scope(t, broker.url);
    const q = await newQueue(s);
    const lowCh = await s.channel();
    const low = await consume(lowCh, q, { noAck: true });
    const highCh = await s.channel();
    await highCh.prefetch(1);
    const high = await consume(highCh, q, { arguments: { 'x-priority': 1 } });
    await publishConfirmed(await s.conn(), '', q, bodies(1));
    await high.inbox.waitFor(1);
    await highCh.cancel(high.tag);
    await publishConfirmed(await s.conn(), '', q, ['later']);
    await low.inbox.waitFor(1);
    assert.deepEqual(low.inbox.bodies(), ['later'], 'the remaining consumer gets new messages');
    // the cancelled consumer's unacked delivery still belongs to its channel
    highCh.ack(high.inbox.messages[0]);
    const ch = await s.channel();
    assert.equal((await ch.checkQueue(q)).messageCount, 0, 'nothing left over');
    await ch.close();
  });

  for (const [value, type] of [
    ['high', 'longstr'],
    [1.5, 'double'],
    [true, 'bool'],
  ] as const) {
    test(`x-priority of type ${type} is refused with 406`, async (t) => {
      const s = scope(t, broker.url);
      const q = await newQueue(s);
      const conn = await s.conn();
      const ch = await s.channel();
      await expectChannelError(
        ch,
        () => ch.consume(q, () => {}, { arguments: { 'x-priority': value } }),
        { code: 406, text: `PRECONDITION_FAILED - invalid arg 'x-priority' for queue '${q}' in vhost '/': "expected integer, got ${type}"`, classId: 60, methodId: 20 },
        conn,
      );
    });
  }

  test('the argument check comes before the exclusive-use check; x-cancel-on-ha-failover must be a boolean', async (t) => {
    const s = scope(t, broker.url);
    const q = await newQueue(s);
    await consume(await s.channel(), q, { exclusive: true, noAck: true });
    const conn = await s.conn();
    const ch = await s.channel();
    await expectChannelError(
      ch,
      () => ch.consume(q, () => {}, { arguments: { 'x-priority': 'x' } }),
      { code: 406, text: `PRECONDITION_FAILED - invalid arg 'x-priority' for queue '${q}' in vhost '/': "expected integer, got longstr"`, classId: 60, methodId: 20 },
      conn,
    );
    const ch2 = await s.channel();
    await expectChannelError(
      ch2,
      () => ch2.consume(q, () => {}, { arguments: { 'x-cancel-on-ha-failover': 'x' } }),
      { code: 406, text: `PRECONDITION_FAILED - invalid arg 'x-cancel-on-ha-failover' for queue '${q}' in vhost '/': {unacceptable_type,longstr}`, classId: 60, methodId: 20 },
      conn,
    );
  });
});
