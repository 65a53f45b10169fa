// connection.blocked / unblocked: while a resource alarm is raised, clients that support it are
// told, a publishing connection is not read (its messages wait in the socket), consumers keep
// flowing; clearing the alarm unblocks and the held publishes go through.
// Needs the in-process broker (the alarm is raised through Broker.block), so it skips otherwise.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import { startBroker, type TestBroker, uniqueName } from '../helpers/broker.js';
import { openConnection } from '../helpers/raw-client.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker.stop();
});

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_r, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))]);

test('blocked publishers are held, consumers keep flowing, unblock releases the publishes', { timeout: 20_000 }, async (t) => {
  const warren = broker.warren;
  if (!warren) {
    t.skip('needs the in-process broker to raise an alarm');
    return;
  }
  const q = uniqueName('blocked');
  const admin = await amqp.connect(broker.url);
  const ach = await admin.createChannel();
  await ach.assertQueue(q, { durable: false });
  ach.sendToQueue(q, Buffer.from('before'));

  const pub = await amqp.connect(broker.url);
  const blocked = new Promise<string>((resolve) => pub.once('blocked', (reason: string) => resolve(reason)));
  const unblocked = new Promise<void>((resolve) => pub.once('unblocked', () => resolve()));
  const pch = await pub.createChannel();

  warren.block('low on disk');
  assert.equal(await withTimeout(blocked, 5000, 'connection.blocked'), 'low on disk');
  // a client connecting during the alarm is told right after connection.open-ok
  // (a raw client, so no frame can slip past before a listener is attached)
  const late = await openConnection(broker.host, broker.port);
  const f = await late.nextFrame(5000);
  assert.equal(f.payload.readUInt32BE(0), (10 << 16) | 60, 'connection.blocked');
  assert.equal(f.payload.toString('utf8', 5, 5 + (f.payload[4] as number)), 'low on disk');
  late.destroy();

  pch.sendToQueue(q, Buffer.from('during'));
  // consumers keep flowing during the alarm
  const cconn = await amqp.connect(broker.url);
  const cch = await cconn.createChannel();
  const inbox: string[] = [];
  let wake: () => void = () => {};
  const arrival = (n: number, what: string): Promise<void> =>
    withTimeout(
      new Promise<void>((resolve) => {
        wake = () => inbox.length >= n && resolve();
        wake();
      }),
      5000,
      what,
    );
  await cch.consume(
    q,
    (m) => {
      if (m) inbox.push(m.content.toString());
      wake();
    },
    { noAck: true },
  );
  await arrival(1, 'delivery during the alarm');
  // the held publish must not arrive while blocked (a bounded wait proves absence)
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(inbox, ['before']);

  warren.unblock();
  await withTimeout(unblocked, 5000, 'connection.unblocked');
  await arrival(2, 'the held publish');
  assert.deepEqual(inbox, ['before', 'during']);

  await ach.deleteQueue(q);
  await cconn.close();
  await pub.close();
  await admin.close();
});
