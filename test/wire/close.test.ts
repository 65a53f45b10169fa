// Wire-level tests of the connection and channel close handshakes, checked against RabbitMQ 3.10.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { M, assertBrokerAlive, dec, enc, isMethod, openConnection } from '../helpers/raw-client.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

const open = (opts: Parameters<typeof openConnection>[2] = {}) => openConnection(broker.host, broker.port, opts);

describe('close handshakes', { concurrency: true, timeout: 20_000 }, () => {
  it('client connection.close gets close-ok (exact bytes) and the server then closes the socket', async () => {
    // RabbitMQ sends close-ok and then waits for the client to close the TCP connection; it drops
    // the socket itself after min(heartbeat, 30) s. heartbeat=2 keeps this test short.
    const c = await open({ heartbeat: 2 });
    try {
      await c.openChannel(1);
      await c.openChannel(2);
      c.sendMethod(0, M.connectionClose, enc.close(200, 'Goodbye', 0, 0));
      const f = await c.nextFrame(3000);
      assert.equal(f.channel, 0);
      assert.equal(f.payload.toString('hex'), '000a0033', 'connection.close-ok, no arguments');
      // no channel.close for the open channels, nothing but close-ok
      const ms = await c.expectSilentClose(6000);
      assert.ok(ms <= 5000, `socket closed ${ms} ms after close-ok`);
    } finally {
      c.destroy();
    }
  });

  it('server-initiated connection.close is followed by a socket close once the client sends close-ok', async () => {
    const c = await open();
    try {
      await c.openChannel(1);
      c.sendMethod(1, M.channelOpen, enc.channelOpen()); // second channel.open: a connection error
      const close = await c.expectConnectionClose(504, 3000, false);
      assert.deepEqual(close, { replyCode: 504, replyText: "CHANNEL_ERROR - second 'channel.open' seen", classId: 20, methodId: 10 });
      c.sendMethod(0, M.connectionCloseOk);
      const ms = await c.expectSilentClose(3000);
      assert.ok(ms <= 2000, `socket closed ${ms} ms after close-ok`);
    } finally {
      c.destroy();
    }
    await assertBrokerAlive(broker.host, broker.port);
  });

  it('a client that never answers a server connection.close is dropped after min(heartbeat, 30) s', async () => {
    const c = await open({ heartbeat: 2 });
    const timer = setInterval(() => c.sendHeartbeat(), 500);
    try {
      await c.openChannel(1);
      c.sendMethod(1, M.channelOpen, enc.channelOpen());
      await c.expectConnectionClose(504, 3000, false); // and never send close-ok
      const ms = await c.waitForSocketClose(8000);
      assert.ok(ms <= 6000, `dropped ${ms} ms after connection.close`);
    } finally {
      clearInterval(timer);
      c.destroy();
    }
  });

  it('channel.open-ok carries an empty longstr; channel.close gets close-ok and the number can be reopened', async () => {
    const c = await open();
    try {
      c.sendMethod(7, M.channelOpen, enc.channelOpen());
      let f = await c.nextFrame();
      assert.equal(f.channel, 7);
      assert.equal(f.payload.toString('hex'), '0014000b00000000');
      c.sendMethod(7, M.channelClose, enc.close(200, 'bye', 0, 0));
      f = await c.nextFrame();
      assert.equal(f.channel, 7);
      assert.equal(f.payload.toString('hex'), '00140029', 'channel.close-ok, no arguments');
      await c.openChannel(7);
      const q = await c.declareQueue(7, '', { exclusive: true });
      assert.match(q.queue, /^amq\.gen-/);
      await c.close();
    } finally {
      c.destroy();
    }
  });

  it('a method on a channel the client closed is a connection error 504', async () => {
    const c = await open();
    try {
      await c.openChannel(1);
      await c.closeChannel(1);
      c.sendMethod(1, M.queueDeclare, enc.queueDeclare('', { exclusive: true }));
      const close = await c.expectConnectionClose(504);
      assert.deepEqual(close, { replyCode: 504, replyText: "CHANNEL_ERROR - expected 'channel.open'", classId: 50, methodId: 10 });
      await c.waitForSocketClose(3000);
    } finally {
      c.destroy();
    }
  });

  it('after a server channel.close, methods before close-ok are ignored and the channel can be reopened', async () => {
    const c = await open();
    const q = uniqueName('wire-close');
    try {
      await c.openChannel(1);
      await c.openChannel(2);
      c.sendMethod(1, M.queueDeclare, enc.queueDeclare(q, { passive: true }));
      // sent before we have seen channel.close: RabbitMQ drops these silently
      c.sendMethod(1, M.queueDeclare, enc.queueDeclare(q + '-2', { passive: true }));
      c.publish(1, '', q, Buffer.from('ignored'));
      const close = await c.expectChannelClose(1, 404, 3000, false);
      assert.deepEqual(close, { replyCode: 404, replyText: `NOT_FOUND - no queue '${q}' in vhost '/'`, classId: 50, methodId: 10 });
      c.sendMethod(1, M.channelCloseOk);
      // nothing else arrives for channel 1; channel 2 still works
      const ok = await c.declareQueue(2, '', { exclusive: true });
      assert.match(ok.queue, /^amq\.gen-/);
      await c.openChannel(1);
      await c.declareQueue(1, q, { exclusive: true });
      c.sendMethod(1, M.queueDeclare, enc.queueDeclare(q, { passive: true }));
      const declOk = dec.queueDeclareOk(await c.expectMethod(1, M.queueDeclareOk));
      assert.deepEqual(declOk, { queue: q, messageCount: 0, consumerCount: 0 });
      assert.ok(!c.log.some((f) => isMethod(f, M.connectionClose)));
      await c.close();
    } finally {
      c.destroy();
    }
  });
});

describe('channels', { concurrency: true, timeout: 20_000 }, () => {
  it('answers channel.flow active=true with flow-ok active=true', async () => {
    const c = await openConnection(broker.host, broker.port);
    try {
      await c.openChannel(1);
      c.sendMethod(1, M.channelFlow, enc.channelFlow(true));
      const f = await c.nextFrame();
      assert.equal(f.channel, 1);
      assert.equal(f.payload.toString('hex'), '0014001501');
      await c.close();
    } finally {
      c.destroy();
    }
  });

  it('accepts channel numbers above channel_max as long as the number of open channels stays within it', async () => {
    // RabbitMQ 3.10 enforces channel_max as a count of open channels, not as a bound on numbers.
    const c = await openConnection(broker.host, broker.port, { channelMax: 10 });
    try {
      await c.openChannel(11);
      await c.openChannel(2048);
      await c.openChannel(65535);
      const q = await c.declareQueue(65535, '', { exclusive: true });
      assert.match(q.queue, /^amq\.gen-/);
      await c.close();
    } finally {
      c.destroy();
    }
  });
});
