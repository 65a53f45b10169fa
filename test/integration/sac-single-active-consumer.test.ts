// Single active consumer (queue argument x-single-active-consumer) with amqplib, as RabbitMQ 3.10
// does it on a classic queue: the first registered consumer gets every message (x-priority is
// ignored), the next registered one takes over when it cancels or its channel or connection goes,
// and the management API tells active from waiting consumers. Runs against the reference RabbitMQ
// with WARREN_TEST_AMQP_URL and WARREN_TEST_MGMT_URL set.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  channelClosed,
  closeQuietly,
  consume,
  eventually,
  expectChannelError,
  publishConfirmed,
  scope,
  TRANSIENT,
  type AmqpScope,
} from '../helpers/amqp-helpers.js';
import { enc, type Json, useMgmt } from './mgmt-helpers.js';

const mgmt = useMgmt();

async function sacQueue(s: AmqpScope): Promise<string> {
  const ch = await s.channel();
  const q = s.queue('sac');
  await ch.assertQueue(q, { ...TRANSIENT, arguments: { 'x-single-active-consumer': true } });
  await ch.close();
  return q;
}

const bodies = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe('x-single-active-consumer', () => {
  test('the first consumer gets everything, whatever the others x-priority; the next takes over on cancel', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const q = await sacQueue(s);
    const chA = await s.channel();
    const a = await consume(chA, q, { noAck: true });
    const b = await consume(await s.channel(), q, { noAck: true, arguments: { 'x-priority': 9 } });
    const c = await consume(await s.channel(), q, { noAck: true });
    await publishConfirmed(await s.conn(), '', q, bodies('m', 5));
    await a.inbox.waitFor(5);
    assert.deepEqual(a.inbox.bodies(), bodies('m', 5), 'the active consumer gets all, in order');
    await a.inbox.expectQuiet();
    assert.equal(b.inbox.messages.length + c.inbox.messages.length, 0, 'waiting consumers get nothing');

    await chA.cancel(a.tag);
    await publishConfirmed(await s.conn(), '', q, bodies('n', 3));
    await b.inbox.waitFor(3);
    assert.deepEqual(b.inbox.bodies(), bodies('n', 3), 'the next registered consumer took over');
    await b.inbox.expectQuiet();
    assert.equal(c.inbox.messages.length, 0, 'the third still waits');
  });

  test('messages waiting in the queue go to the new active consumer at once', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const q = await sacQueue(s);
    const chA = await s.channel();
    await chA.prefetch(1);
    const a = await consume(chA, q);
    const b = await consume(await s.channel(), q, { noAck: true });
    await publishConfirmed(await s.conn(), '', q, bodies('m', 4));
    await a.inbox.waitFor(1);
    // A holds m1 unacked and blocks the rest; closing its channel requeues m1 and B gets everything
    await chA.close();
    await b.inbox.waitFor(4);
    assert.deepEqual(b.inbox.bodies(), bodies('m', 4), 'B gets m1 (requeued) then m2..m4, in order');
    assert.equal(b.inbox.messages[0].fields.redelivered, true, 'm1 comes back marked redelivered');
    assert.equal(b.inbox.messages[1].fields.redelivered, false, 'm2 was never delivered before');
  });

  test('when the active consumer connection dies, its unacked messages go to the next consumer', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const q = await sacQueue(s);
    const connA = await s.connect();
    const chA = await s.channel(connA);
    const a = await consume(chA, q);
    const b = await consume(await s.channel(), q);
    await publishConfirmed(await s.conn(), '', q, bodies('m', 3));
    await a.inbox.waitFor(3);
    await closeQuietly(connA);
    await b.inbox.waitFor(3);
    assert.deepEqual(b.inbox.bodies(), bodies('m', 3), 'B receives what A never acked');
    assert.ok(b.inbox.messages.every((m) => m.fields.redelivered), 'each of them marked redelivered');
  });

  test('an exclusive consumer is refused while a consumer exists', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const q = await sacQueue(s);
    await consume(await s.channel(), q, { noAck: true });
    const conn = await s.conn();
    const ch = await s.channel();
    await expectChannelError(
      ch,
      () => ch.consume(q, () => {}, { exclusive: true }),
      { code: 403, text: `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`, classId: 60, methodId: 20 },
      conn,
    );
  });

  test('a non-boolean x-single-active-consumer is refused with 406', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const conn = await s.conn();
    const ch = await s.channel();
    const q = s.queue('sac-bad');
    await expectChannelError(
      ch,
      () => ch.assertQueue(q, { ...TRANSIENT, arguments: { 'x-single-active-consumer': 'yes' } }),
      { code: 406, text: `PRECONDITION_FAILED - invalid arg 'x-single-active-consumer' for queue '${q}' in vhost '/': {unacceptable_type,longstr}`, classId: 50, methodId: 10 },
      conn,
    );
    assert.equal((await channelClosed(ch)).code, 406, 'the declaring channel is closed');
  });

  test('management API: active, activity_status and single_active_consumer_tag', async (t) => {
    const s = scope(t, mgmt.amqpUrl);
    const q = await sacQueue(s);
    const chA = await s.channel();
    await consume(chA, q, { noAck: true, consumerTag: 'sac-first' });
    await consume(await s.channel(), q, { noAck: true, consumerTag: 'sac-second' });
    const view = async (): Promise<{ tag: unknown; consumers: Record<string, [unknown, unknown]> }> => {
      const res = await mgmt.api.get(`/api/queues/%2F/${enc(q)}`);
      assert.equal(res.status, 200, 'GET queue');
      const body = res.body as Json;
      const details = body.consumer_details as Json[];
      const consumers: Record<string, [unknown, unknown]> = {};
      for (const d of details) consumers[d.consumer_tag as string] = [d.active, d.activity_status];
      return { tag: body.single_active_consumer_tag, consumers };
    };
    // RabbitMQ's statistics lag behind by up to its collection interval
    await eventually(
      async () =>
        assert.deepEqual(
          await view(),
          { tag: 'sac-first', consumers: { 'sac-first': [true, 'single_active'], 'sac-second': [false, 'waiting'] } },
          'first active, second waiting',
        ),
      15_000,
      'consumer details of the SAC queue',
    );
    await chA.cancel('sac-first');
    await eventually(
      async () => assert.deepEqual(await view(), { tag: 'sac-second', consumers: { 'sac-second': [true, 'single_active'] } }, 'second active'),
      15_000,
      'consumer details after the first cancelled',
    );
  });
});
