// Durable queue features across a restart: two in-process brokers, one after the other, on the same
// data dir and the same ManualClock. A persistent message's expiry is an absolute time (enqueue time
// + TTL) that survives the restart; dead-lettered persistent messages in durable queues are stored;
// a priority queue's order comes back; an x-expires countdown starts again after a restart.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Channel, ConfirmChannel } from 'amqplib';
import { Broker, ManualClock } from '../../src/index.js';
import { connect, closeQuietly, getOne, openChannel, openConfirmChannel } from '../helpers/amqp-helpers.js';

const PERSISTENT = { persistent: true } as const;

/** Runs `fn` against a fresh in-process broker on `dataDir`, then stops it gracefully. */
async function withBroker(dataDir: string, clock: ManualClock, fn: (ch: Channel) => Promise<void>): Promise<void> {
  const broker = await Broker.start({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', managementPort: 0, clock });
  const conn = await connect(`amqp://guest:guest@127.0.0.1:${broker.port}/%2F`);
  try {
    confirmChannel = await openConfirmChannel(conn);
    await fn(await openChannel(conn));
  } finally {
    await closeQuietly(conn);
    await broker.stop();
  }
}

let confirmChannel: ConfirmChannel | undefined;

/** Publishes on the running broker's confirm channel and waits for the confirm (on disk). */
async function publishConfirmed(_ch: Channel, queue: string, body: string, options: Record<string, unknown>): Promise<void> {
  const cc = confirmChannel as ConfirmChannel;
  cc.sendToQueue(queue, Buffer.from(body), options);
  await cc.waitForConfirms();
}

const ready = async (ch: Channel, q: string): Promise<number> => (await ch.checkQueue(q)).messageCount;

describe('queue features across a restart', { skip: !!process.env.WARREN_TEST_AMQP_URL && 'restarts an in-process broker' }, () => {
  test('message TTL (queue and per-message) counts from the enqueue time, across the restart', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'warren-partE-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const clock = new ManualClock(Date.parse('2026-02-01T00:00:00Z'));
    await withBroker(dataDir, clock, async (ch) => {
      await ch.assertQueue('partE-qttl', { durable: true, arguments: { 'x-message-ttl': 10000 } });
      await ch.assertQueue('partE-mttl', { durable: true });
      await publishConfirmed(ch, 'partE-qttl', 'queue-ttl', PERSISTENT);
      await publishConfirmed(ch, 'partE-mttl', 'msg-ttl', { ...PERSISTENT, expiration: '5000' });
      await publishConfirmed(ch, 'partE-mttl', 'forever', PERSISTENT);
      clock.advance(4000);
    });
    await withBroker(dataDir, clock, async (ch) => {
      clock.advance(0);
      assert.equal(await ready(ch, 'partE-mttl'), 2, 'both still there 4 s in');
      clock.advance(999);
      assert.equal(await ready(ch, 'partE-mttl'), 2, 'not expired at 4.999 s');
      clock.advance(1);
      assert.equal(await ready(ch, 'partE-mttl'), 1, 'the 5 s message expired at 5 s after its publish');
      assert.equal((await getOne(ch, 'partE-mttl', { noAck: true })).content.toString(), 'forever');
      assert.equal(await ready(ch, 'partE-qttl'), 1);
      clock.advance(5000);
      assert.equal(await ready(ch, 'partE-qttl'), 0, 'x-message-ttl ran out 10 s after the publish');
    });
  });

  test('a message that expired while the broker was down is gone after the restart', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'warren-partE-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const clock = new ManualClock(Date.parse('2026-02-02T00:00:00Z'));
    await withBroker(dataDir, clock, async (ch) => {
      await ch.assertQueue('partE-down', { durable: true, arguments: { 'x-message-ttl': 1000 } });
      await publishConfirmed(ch, 'partE-down', 'stale', PERSISTENT);
    });
    clock.advance(60000);
    await withBroker(dataDir, clock, async (ch) => {
      clock.advance(0);
      assert.equal(await ready(ch, 'partE-down'), 0, 'expired during the downtime');
    });
  });

  test('a dead-lettered persistent message in a durable queue survives the restart with its x-death', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'warren-partE-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const clock = new ManualClock(Date.parse('2026-02-03T00:00:00Z'));
    await withBroker(dataDir, clock, async (ch) => {
      await ch.assertQueue('partE-dead', { durable: true });
      await ch.assertQueue('partE-src', { durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'partE-dead' } });
      await publishConfirmed(ch, 'partE-src', 'rejected-one', PERSISTENT);
      ch.nack(await getOne(ch, 'partE-src'), false, false);
      assert.equal(await ready(ch, 'partE-dead'), 1);
    });
    await withBroker(dataDir, clock, async (ch) => {
      const m = await getOne(ch, 'partE-dead', { noAck: true });
      assert.equal(m.content.toString(), 'rejected-one');
      const death = ((m.properties.headers as Record<string, unknown>)['x-death'] as Record<string, unknown>[])[0] as Record<string, unknown>;
      assert.equal(death.reason, 'rejected');
      assert.equal(death.queue, 'partE-src');
      assert.equal(await ready(ch, 'partE-src'), 0, 'not back in the source queue');
    });
  });

  test('a durable priority queue delivers in priority order after the restart', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'warren-partE-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const clock = new ManualClock();
    await withBroker(dataDir, clock, async (ch) => {
      await ch.assertQueue('partE-prio', { durable: true, arguments: { 'x-max-priority': 10 } });
      for (const [body, priority] of [['p1', 1], ['p9', 9], ['p5', 5], ['p9b', 9], ['p0', 0]] as const) {
        await publishConfirmed(ch, 'partE-prio', body, { ...PERSISTENT, priority });
      }
    });
    await withBroker(dataDir, clock, async (ch) => {
      const got: string[] = [];
      for (let i = 0; i < 5; i++) got.push((await getOne(ch, 'partE-prio', { noAck: true })).content.toString());
      assert.deepEqual(got, ['p9', 'p9b', 'p5', 'p1', 'p0']);
    });
  });

  test('x-expires: the countdown starts again after a restart', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'warren-partE-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const clock = new ManualClock();
    await withBroker(dataDir, clock, async (ch) => {
      await ch.assertQueue('partE-exp', { durable: true, arguments: { 'x-expires': 10000 } });
      clock.advance(9000);
    });
    await withBroker(dataDir, clock, async (ch) => {
      clock.advance(9000);
      assert.equal(await ready(ch, 'partE-exp'), 0, 'still there: the countdown restarted at boot');
      clock.advance(1000);
      await assert.rejects(ch.checkQueue('partE-exp'), (err: { code?: number }) => err.code === 404, 'deleted 10 s after the restart');
    });
  });
});
