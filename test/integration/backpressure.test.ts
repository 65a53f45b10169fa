// Backpressure: a consumer whose socket is not being read must not make the broker move the whole
// queue into socket buffers (memory would grow with the backlog); once it reads again, delivery
// resumes and every message arrives.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import { startBroker, type TestBroker, uniqueName } from '../helpers/broker.js';
import { enc, M, openConnection } from '../helpers/raw-client.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker.stop();
});

const COUNT = 30_000;
const BODY = Buffer.alloc(1024, 0x61); // 30 MB in all: far more than socket buffers hold

test('a no-ack consumer that stops reading holds back deliveries, which resume when it reads', { timeout: 60_000 }, async () => {
  const q = uniqueName('backpressure');
  const pub = await amqp.connect(broker.url);
  const pch = await pub.createConfirmChannel();
  await pch.assertQueue(q, { durable: false });
  for (let i = 0; i < COUNT; i++) pch.sendToQueue(q, BODY);
  await pch.waitForConfirms();

  // A raw client, so that "not reading" really means the socket is not read.
  const rc = await openConnection(broker.host, broker.port);
  await rc.openChannel(1);
  const socket = rc.socket;
  socket.removeAllListeners('data');
  const tag = 'bp';
  // Count body frames as they stream in (each 1 KiB body fits one frame), keeping only a partial
  // frame between chunks.
  let bodies = 0;
  let rest: Buffer = Buffer.alloc(0);
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    resolveAll = resolve;
  });
  socket.on('data', (d: Buffer) => {
    let buf = rest.length > 0 ? Buffer.concat([rest, d]) : d;
    let pos = 0;
    while (buf.length - pos >= 7) {
      const size = buf.readUInt32BE(pos + 3);
      if (buf.length - pos < size + 8) break;
      if (buf[pos] === 3) bodies += 1;
      pos += size + 8;
    }
    rest = buf.subarray(pos);
    buf = rest;
    if (bodies === COUNT) resolveAll();
  });
  socket.pause();
  rc.sendMethod(1, M.basicConsume, enc.basicConsume(q, { consumerTag: tag, noAck: true }));
  // Proving that something does NOT happen needs a bounded wait: give the broker a second to
  // (wrongly) push everything out.
  await new Promise((r) => setTimeout(r, 1000));
  const { messageCount } = await pch.checkQueue(q);
  assert.ok(messageCount > COUNT / 2, `broker held back deliveries to a stalled consumer (ready: ${messageCount})`);

  socket.resume();
  await all;
  assert.equal(bodies, COUNT);
  assert.equal((await pch.checkQueue(q)).messageCount, 0);
  await pch.deleteQueue(q);
  rc.destroy();
  await pub.close();
});
