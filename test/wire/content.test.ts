// Wire-level tests of content framing (method + header + body frames), checked against RabbitMQ 3.10.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { F, FRAME_BODY, FRAME_HEADER, M, contentHeaderPayload, dec, enc, openConnection, type FieldTable } from '../helpers/raw-client.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

describe('content framing', { concurrency: true, timeout: 30_000 }, () => {
  it('delivers a 1 MiB body sent as many 4088-byte body frames at frame_max 4096 intact via basic.get', async () => {
    // 4096 is the smallest frame_max RabbitMQ 3.10 accepts (4095 is refused).
    const c = await openConnection(broker.host, broker.port, { frameMax: 4096 });
    const q = uniqueName('wire-big');
    try {
      await c.openChannel(1);
      await c.declareQueue(1, q, { exclusive: true });
      const body = randomBytes(1024 * 1024);
      c.publish(1, '', q, body); // splits into frames of at most frame_max - 8 = 4088 octets
      c.sendMethod(1, M.basicGet, enc.basicGet(q, false));
      const getOk = dec.getOk(await c.expectMethod(1, M.basicGetOk, 10_000));
      assert.deepEqual(getOk, { deliveryTag: 1n, redelivered: false, exchange: '', routingKey: q, messageCount: 0 });
      const hdrFrame = c.log.length;
      const { header, body: got, bodyFrames } = await c.readContent(1, 10_000);
      assert.equal(header.classId, 60);
      assert.equal(header.weight, 0);
      assert.equal(header.bodySize, BigInt(body.length));
      assert.equal(header.propertyFlags, 0);
      assert.equal(bodyFrames, Math.ceil(body.length / 4088));
      for (const f of c.log.slice(hdrFrame + 1)) {
        assert.equal(f.type, FRAME_BODY);
        assert.ok(f.payload.length <= 4088, `body frame of ${f.payload.length} octets exceeds frame_max - 8`);
      }
      assert.ok(got.equals(body), 'body intact');
      c.sendMethod(1, M.basicAck, enc.basicAck(getOk.deliveryTag));
      c.sendMethod(1, M.basicGet, enc.basicGet(q, false));
      const empty = await c.nextFrame();
      assert.equal(empty.channel, 1);
      assert.equal(empty.payload.toString('hex'), '003c004800', 'basic.get-empty with an empty cluster-id');
      await c.close();
    } finally {
      c.destroy();
    }
  });

  it('delivers to a consumer with basic.deliver, passing the content header properties through byte-for-byte', async () => {
    const c = await openConnection(broker.host, broker.port);
    const q = uniqueName('wire-deliver');
    try {
      await c.openChannel(1);
      await c.declareQueue(1, q, { exclusive: true });
      c.sendMethod(1, M.basicConsume, enc.basicConsume(q, { consumerTag: 'ctag-1' }));
      const consumeOk = await c.expectMethod(1, M.basicConsumeOk);
      assert.equal(consumeOk.toString('hex'), Buffer.from('\x06ctag-1', 'latin1').toString('hex'));

      const headers: FieldTable = { a: F.int(1), b: F.str('x'), c: F.bool(true) };
      const props = { contentType: 'text/plain', deliveryMode: 2, headers, messageId: 'm-1' };
      c.publish(1, '', q, Buffer.from('hello'), { props });
      const deliver = dec.deliver(await c.expectMethod(1, M.basicDeliver));
      assert.deepEqual(deliver, { consumerTag: 'ctag-1', deliveryTag: 1n, redelivered: false, exchange: '', routingKey: q });
      const hf = await c.nextFrame();
      assert.equal(hf.type, FRAME_HEADER);
      assert.equal(hf.channel, 1);
      assert.equal(hf.payload.toString('hex'), contentHeaderPayload(60, 5, props).toString('hex'));
      const bf = await c.nextFrame();
      assert.deepEqual({ type: bf.type, channel: bf.channel, body: bf.payload.toString() }, { type: FRAME_BODY, channel: 1, body: 'hello' });
      c.sendMethod(1, M.basicAck, enc.basicAck(deliver.deliveryTag));
      await c.close();
    } finally {
      c.destroy();
    }
  });

  it('sends an empty body as a content header with body-size 0 and no body frame', async () => {
    const c = await openConnection(broker.host, broker.port);
    const q = uniqueName('wire-empty');
    try {
      await c.openChannel(1);
      await c.declareQueue(1, q, { exclusive: true });
      c.publish(1, '', q, Buffer.alloc(0));
      c.sendMethod(1, M.basicGet, enc.basicGet(q, true));
      await c.expectMethod(1, M.basicGetOk);
      const hf = await c.nextFrame();
      assert.equal(hf.type, FRAME_HEADER);
      assert.equal(hf.payload.toString('hex'), '003c0000' + '0000000000000000' + '0000');
      // the next frame is the reply to the next method, not an empty body frame
      c.sendMethod(1, M.basicGet, enc.basicGet(q, true));
      await c.expectMethod(1, M.basicGetEmpty);
      await c.close();
    } finally {
      c.destroy();
    }
  });

  it('accepts a body frame whose payload is exactly frame_max octets', async () => {
    const c = await openConnection(broker.host, broker.port, { frameMax: 4096 });
    const q = uniqueName('wire-fudge');
    try {
      await c.openChannel(1);
      await c.declareQueue(1, q, { exclusive: true });
      const body = randomBytes(4096 * 2);
      c.publish(1, '', q, body, { frameMax: 4096 + 8 }); // body frames of 4096 octets
      c.sendMethod(1, M.basicGet, enc.basicGet(q, true));
      await c.expectMethod(1, M.basicGetOk);
      const { body: got, bodyFrames } = await c.readContent(1);
      assert.ok(got.equals(body));
      assert.equal(bodyFrames, 3, 'the server itself splits at frame_max - 8 = 4088');
      await c.close();
    } finally {
      c.destroy();
    }
  });
});
