// Wire-level heartbeat tests, checked against RabbitMQ 3.10: with heartbeat=N the server sends a
// heartbeat frame every N/2 s and drops a silent client (TCP close, no connection.close) after
// about 3 N s; heartbeat=0 disables both.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { FRAME_HEARTBEAT, SocketClosedError, TimeoutError, assertBrokerAlive, openConnection, type Frame } from '../helpers/raw-client.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

/** Collects frames (heartbeats included) for ms, or until the socket closes. */
async function framesFor(c: Awaited<ReturnType<typeof openConnection>>, ms: number): Promise<{ frames: { at: number; f: Frame }[]; closed: boolean }> {
  const t0 = Date.now();
  const frames: { at: number; f: Frame }[] = [];
  for (;;) {
    const left = t0 + ms - Date.now();
    if (left <= 0) return { frames, closed: false };
    try {
      const f = await c.nextFrame(left, true);
      frames.push({ at: Date.now() - t0, f });
    } catch (e) {
      if (e instanceof SocketClosedError) return { frames, closed: true };
      if (e instanceof TimeoutError) return { frames, closed: false };
      throw e;
    }
  }
}

describe('heartbeats', { concurrency: true, timeout: 30_000 }, () => {
  it('with heartbeat=1 the server sends heartbeat frames (type 8, channel 0, empty) at least every second', async () => {
    const c = await openConnection(broker.host, broker.port, { heartbeat: 1 });
    try {
      const { frames, closed } = await framesFor(c, 2300);
      assert.equal(closed, false);
      assert.ok(frames.length >= 2, `expected >= 2 heartbeats in 2.3 s, got ${frames.length}`);
      for (const { f } of frames) {
        assert.deepEqual({ type: f.type, channel: f.channel, size: f.payload.length }, { type: FRAME_HEARTBEAT, channel: 0, size: 0 });
      }
      // consecutive heartbeats no more than ~1 s apart (RabbitMQ sends one every 0.5 s)
      let prev = 0;
      for (const { at } of frames) {
        assert.ok(at - prev <= 1300, `gap of ${at - prev} ms between heartbeats`);
        prev = at;
      }
      // (the reader checked the frame-end octet: each was exactly 08 0000 00000000 ce)
    } finally {
      c.destroy();
    }
  });

  it('disconnects a silent client after 2-3 heartbeat intervals without sending connection.close', async () => {
    const c = await openConnection(broker.host, broker.port, { heartbeat: 1 });
    try {
      const t0 = Date.now();
      const { frames, closed } = await framesFor(c, 6000);
      const elapsed = Date.now() - t0;
      assert.equal(closed, true, 'server must drop the silent client');
      assert.ok(elapsed >= 1500 && elapsed <= 5000, `dropped after ${elapsed} ms (RabbitMQ: ~3 s for heartbeat=1)`);
      assert.ok(
        frames.every(({ f }) => f.type === FRAME_HEARTBEAT),
        'only heartbeat frames before the TCP close (no connection.close)',
      );
      assert.equal(c.pending.length, 0);
    } finally {
      c.destroy();
    }
    await assertBrokerAlive(broker.host, broker.port);
  });

  it('keeps a client that sends heartbeats connected', async () => {
    const c = await openConnection(broker.host, broker.port, { heartbeat: 1 });
    const timer = setInterval(() => c.sendHeartbeat(), 400);
    try {
      const { frames, closed } = await framesFor(c, 4500);
      assert.equal(closed, false, 'a client sending heartbeats must stay connected');
      assert.ok(frames.length >= 4);
      clearInterval(timer);
      await c.openChannel(1);
      await c.close();
    } finally {
      clearInterval(timer);
      c.destroy();
    }
  });

  it('with heartbeat=0 sends no heartbeats and keeps a silent client connected', async () => {
    const c = await openConnection(broker.host, broker.port, { heartbeat: 0 });
    try {
      const { frames, closed } = await framesFor(c, 3000);
      assert.equal(closed, false);
      assert.equal(frames.length, 0, `got ${frames.length} frames`);
      await c.openChannel(1);
      await c.close();
    } finally {
      c.destroy();
    }
  });

  it('with heartbeat=2 sends heartbeats about every second and drops a silent client after ~6 s', { timeout: 15_000 }, async () => {
    const c = await openConnection(broker.host, broker.port, { heartbeat: 2 });
    try {
      const t0 = Date.now();
      const { frames, closed } = await framesFor(c, 10_000);
      const elapsed = Date.now() - t0;
      assert.equal(closed, true);
      assert.ok(elapsed >= 3000 && elapsed <= 9000, `dropped after ${elapsed} ms (RabbitMQ: ~6 s)`);
      assert.ok(frames.length >= 3 && frames.every(({ f }) => f.type === FRAME_HEARTBEAT));
    } finally {
      c.destroy();
    }
  });
});
