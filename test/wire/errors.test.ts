// Wire-level tests of protocol errors, checked against RabbitMQ 3.10: which ones close the whole
// connection (connection.close with code / text / class id / method id), which ones close only
// a channel, and which ones make RabbitMQ drop the TCP connection without any frame.
// After each error a fresh connection must still work (the broker did not crash).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import {
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  M,
  Writer,
  assertBrokerAlive,
  bodyFrame,
  contentHeaderFrame,
  dec,
  enc,
  frame,
  heartbeatFrame,
  methodPayload,
  openConnection,
  type Close,
  type HandshakeOptions,
  type RawClient,
} from '../helpers/raw-client.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

interface Ctx {
  c: RawClient;
  q: string;
}

interface ConnErrorCase {
  name: string;
  opts?: HandshakeOptions;
  /** channels to open before acting */
  channels?: number[];
  act: (x: Ctx) => void | Promise<void>;
  /** expected connection.close; text may depend on the context */
  expect: (x: Ctx) => Close;
  /**
   * RabbitMQ treats bad frame-end octets and oversized frames as fatal: it sends connection.close
   * and drops the socket ~3 s later whether or not the client answers close-ok.
   */
  fatal?: boolean;
}

const empty = Buffer.alloc(0);

const connectionErrors: ConnErrorCase[] = [
  // ---- framing ----
  {
    name: 'bad frame-end octet → 501 FRAME_ERROR',
    act: ({ c }) => c.send(frame(FRAME_METHOD, 1, methodPayload(M.channelOpen, enc.channelOpen()), 0x00)),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - type 1, all octets = <<0,20,0,10,0>>: {invalid_frame_end_marker,0}', classId: 0, methodId: 0 }),
    fatal: true,
  },
  {
    name: 'bad frame-end octet on a heartbeat → 501 FRAME_ERROR',
    act: ({ c }) => c.send(frame(FRAME_HEARTBEAT, 0, empty, 0xcd)),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - type 8, all octets = <<>>: {invalid_frame_end_marker,205}', classId: 0, methodId: 0 }),
    fatal: true,
  },
  {
    name: 'body frame larger than the negotiated frame_max 4096 → 501 FRAME_ERROR',
    opts: { frameMax: 4096 },
    channels: [1],
    act: ({ c }) => c.send(frame(FRAME_BODY, 1, Buffer.alloc(4097))),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,4097,4088}', classId: 0, methodId: 0 }),
    fatal: true,
  },
  {
    name: 'method frame larger than frame_max 4096 → 501 FRAME_ERROR (decided from the frame header)',
    opts: { frameMax: 4096 },
    channels: [1],
    act: ({ c }) => c.send(frame(FRAME_METHOD, 1, Buffer.alloc(4097))),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - type 1, all octets = <<>>: {frame_too_large,4097,4088}', classId: 0, methodId: 0 }),
    fatal: true,
  },
  {
    name: 'frame header announcing 131073 bytes at the default frame_max → 501 as soon as the 7-byte header arrives',
    channels: [1],
    act: ({ c }) => c.send(frame(FRAME_BODY, 1, Buffer.alloc(131073)).subarray(0, 7)),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,131073,131064}', classId: 0, methodId: 0 }),
    fatal: true,
  },
  {
    // RabbitMQ allows payloads up to frame_max itself (an 8-byte "fudge"), so this is not a
    // frame-size error; the body frame is merely unexpected.
    name: 'body frame with payload == frame_max is within the size limit (→ 505 for the stray body)',
    opts: { frameMax: 4096 },
    channels: [1],
    act: ({ c }) => c.send(frame(FRAME_BODY, 1, Buffer.alloc(4096))),
    expect: () => ({ replyCode: 505, replyText: 'UNEXPECTED_FRAME - expected method frame, got non method frame instead', classId: 0, methodId: 0 }),
  },
  {
    name: 'unknown frame type 5 → 501 FRAME_ERROR (printable payload shown as a string)',
    channels: [1],
    act: ({ c }) => c.send(frame(5, 1, Buffer.from('xx'))),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - type 5, all octets = <<"xx">>: unknown_frame', classId: 0, methodId: 0 }),
  },
  {
    name: 'unknown frame type with a long payload → only the first 16 octets are quoted',
    channels: [1],
    act: ({ c }) => c.send(frame(5, 1, Buffer.from('abcdefghijklmnopqrst'))),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - type 5, first 16 octets = <<"abcdefghijklmnop">>: unknown_frame', classId: 0, methodId: 0 }),
  },
  {
    name: 'unknown frame type with a non-printable payload → octets listed in decimal',
    channels: [1],
    act: ({ c }) => c.send(frame(5, 1, Buffer.alloc(20, 7))),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - type 5, first 16 octets = <<7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7>>: unknown_frame', classId: 0, methodId: 0 }),
  },
  {
    name: 'method frame with a payload shorter than class+method ids → 501 FRAME_ERROR unknown_frame',
    channels: [1],
    act: ({ c }) => c.send(frame(FRAME_METHOD, 1, Buffer.from([0, 50]))),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - type 1, all octets = <<0,50>>: unknown_frame', classId: 0, methodId: 0 }),
  },
  {
    name: 'empty method frame → 501 FRAME_ERROR unknown_frame',
    channels: [1],
    act: ({ c }) => c.send(frame(FRAME_METHOD, 1, empty)),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - type 1, all octets = <<>>: unknown_frame', classId: 0, methodId: 0 }),
  },
  {
    name: 'heartbeat frame on an open non-zero channel → 505 UNEXPECTED_FRAME',
    channels: [1],
    act: ({ c }) => c.send(heartbeatFrame(1)),
    expect: () => ({ replyCode: 505, replyText: 'UNEXPECTED_FRAME - type 8, all octets = <<>>', classId: 0, methodId: 0 }),
  },
  {
    name: 'heartbeat frame on a never-opened channel → 505 UNEXPECTED_FRAME',
    act: ({ c }) => c.send(heartbeatFrame(3)),
    expect: () => ({ replyCode: 505, replyText: 'UNEXPECTED_FRAME - type 8, all octets = <<>>', classId: 0, methodId: 0 }),
  },
  {
    name: 'heartbeat frame with a payload → 501 FRAME_ERROR unknown_frame',
    act: ({ c }) => c.send(frame(FRAME_HEARTBEAT, 0, Buffer.from('x'))),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - type 8, all octets = <<"x">>: unknown_frame', classId: 0, methodId: 0 }),
  },
  // ---- content sequencing ----
  {
    name: 'content header without a preceding basic.publish → 505 UNEXPECTED_FRAME',
    channels: [1],
    act: ({ c }) => c.send(contentHeaderFrame(1, 5)),
    expect: () => ({ replyCode: 505, replyText: 'UNEXPECTED_FRAME - expected method frame, got non method frame instead', classId: 0, methodId: 0 }),
  },
  {
    name: 'body frame without publish or header → 505 UNEXPECTED_FRAME',
    channels: [1],
    act: ({ c }) => c.send(bodyFrame(1, Buffer.from('hello'))),
    expect: () => ({ replyCode: 505, replyText: 'UNEXPECTED_FRAME - expected method frame, got non method frame instead', classId: 0, methodId: 0 }),
  },
  {
    name: 'body frame right after basic.publish (no header) → 505 naming basic.publish',
    channels: [1],
    act: ({ c, q }) => {
      c.sendMethod(1, M.basicPublish, enc.basicPublish('', q));
      c.send(bodyFrame(1, Buffer.from('hello')));
    },
    expect: () => ({ replyCode: 505, replyText: 'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead', classId: 60, methodId: 40 }),
  },
  {
    name: 'method frame instead of the content header → 505',
    channels: [1],
    act: ({ c, q }) => {
      c.sendMethod(1, M.basicPublish, enc.basicPublish('', q));
      c.sendMethod(1, M.queueDeclare, enc.queueDeclare(q, { passive: true }));
    },
    expect: () => ({ replyCode: 505, replyText: 'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead', classId: 60, methodId: 40 }),
  },
  {
    name: 'method frame before the body is complete → 505',
    channels: [1],
    act: ({ c, q }) => {
      c.sendMethod(1, M.basicPublish, enc.basicPublish('', q));
      c.send(contentHeaderFrame(1, 10));
      c.send(bodyFrame(1, Buffer.from('hello')));
      c.sendMethod(1, M.queueDeclare, enc.queueDeclare(q, { passive: true }));
    },
    expect: () => ({ replyCode: 505, replyText: 'UNEXPECTED_FRAME - expected content body, got non content body frame instead', classId: 60, methodId: 40 }),
  },
  {
    name: 'content header of the wrong class → 505',
    channels: [1],
    act: ({ c, q }) => {
      c.sendMethod(1, M.basicPublish, enc.basicPublish('', q));
      c.send(frame(FRAME_HEADER, 1, new Writer().short(50).short(0).longlong(0).short(0).toBuffer()));
    },
    expect: () => ({ replyCode: 505, replyText: 'UNEXPECTED_FRAME - expected content header for class 60, got one for class 50 instead', classId: 60, methodId: 40 }),
  },
  {
    name: 'content header on channel 0 → 505 quoting the frame',
    act: ({ c }) => c.send(contentHeaderFrame(0, 3)),
    expect: () => ({ replyCode: 505, replyText: 'UNEXPECTED_FRAME - type 2, all octets = <<0,60,0,0,0,0,0,0,0,0,0,3,0,0>>', classId: 0, methodId: 0 }),
  },
  {
    name: 'body frame on channel 0 → 505 quoting the frame',
    act: ({ c }) => c.send(bodyFrame(0, Buffer.from('abc'))),
    expect: () => ({ replyCode: 505, replyText: 'UNEXPECTED_FRAME - type 3, all octets = <<"abc">>', classId: 0, methodId: 0 }),
  },
  {
    name: 'content header on a never-opened channel → 505',
    act: ({ c }) => c.send(contentHeaderFrame(5, 3)),
    expect: () => ({ replyCode: 505, replyText: 'UNEXPECTED_FRAME - expected method frame, got non method frame instead', classId: 0, methodId: 0 }),
  },
  // ---- channels ----
  {
    name: 'method on a channel that was never opened → 504 CHANNEL_ERROR',
    act: ({ c, q }) => c.sendMethod(5, M.queueDeclare, enc.queueDeclare(q)),
    expect: () => ({ replyCode: 504, replyText: "CHANNEL_ERROR - expected 'channel.open'", classId: 50, methodId: 10 }),
  },
  {
    name: 'channel.close on a channel that was never opened → 504',
    act: ({ c }) => c.sendMethod(5, M.channelClose, enc.close(200, 'x')),
    expect: () => ({ replyCode: 504, replyText: "CHANNEL_ERROR - expected 'channel.open'", classId: 20, methodId: 40 }),
  },
  {
    name: 'channel.close-ok on a channel that was never opened → 504',
    act: ({ c }) => c.sendMethod(5, M.channelCloseOk),
    expect: () => ({ replyCode: 504, replyText: "CHANNEL_ERROR - expected 'channel.open'", classId: 20, methodId: 41 }),
  },
  {
    name: 'connection.close on a never-opened non-zero channel → 504',
    act: ({ c }) => c.sendMethod(2, M.connectionClose, enc.close(200, 'x')),
    expect: () => ({ replyCode: 504, replyText: "CHANNEL_ERROR - expected 'channel.open'", classId: 10, methodId: 50 }),
  },
  {
    name: 'channel.open on an already-open channel → 504',
    channels: [1],
    act: ({ c }) => c.sendMethod(1, M.channelOpen, enc.channelOpen()),
    expect: () => ({ replyCode: 504, replyText: "CHANNEL_ERROR - second 'channel.open' seen", classId: 20, methodId: 10 }),
  },
  {
    name: 'opening more channels than the negotiated channel_max (1) → 530 NOT_ALLOWED',
    opts: { channelMax: 1 },
    channels: [1],
    act: ({ c }) => c.sendMethod(2, M.channelOpen, enc.channelOpen()),
    expect: () => ({ replyCode: 530, replyText: 'NOT_ALLOWED - number of channels opened (1) has reached the negotiated channel_max (1)', classId: 0, methodId: 0 }),
  },
  {
    name: 'opening more channels than the negotiated channel_max (2) → 530 NOT_ALLOWED',
    opts: { channelMax: 2 },
    channels: [5, 7],
    act: ({ c }) => c.sendMethod(100, M.channelOpen, enc.channelOpen()),
    expect: () => ({ replyCode: 530, replyText: 'NOT_ALLOWED - number of channels opened (2) has reached the negotiated channel_max (2)', classId: 0, methodId: 0 }),
  },
  {
    name: 'channel.open on channel 0 → 504',
    act: ({ c }) => c.sendMethod(0, M.channelOpen, enc.channelOpen()),
    expect: () => ({ replyCode: 504, replyText: 'CHANNEL_ERROR - unexpected method in connection state running', classId: 20, methodId: 10 }),
  },
  {
    name: 'queue.declare on channel 0 → 504',
    act: ({ c, q }) => c.sendMethod(0, M.queueDeclare, enc.queueDeclare(q)),
    expect: () => ({ replyCode: 504, replyText: 'CHANNEL_ERROR - unexpected method in connection state running', classId: 50, methodId: 10 }),
  },
  {
    name: 'basic.publish on channel 0 → 504 (no content needed)',
    act: ({ c, q }) => c.sendMethod(0, M.basicPublish, enc.basicPublish('', q)),
    expect: () => ({ replyCode: 504, replyText: 'CHANNEL_ERROR - unexpected method in connection state running', classId: 60, methodId: 40 }),
  },
  {
    name: 'a second connection.open on channel 0 → 504',
    act: ({ c }) => c.sendMethod(0, M.connectionOpen, enc.open('/')),
    expect: () => ({ replyCode: 504, replyText: 'CHANNEL_ERROR - unexpected method in connection state running', classId: 10, methodId: 40 }),
  },
  {
    name: 'connection.tune-ok after the handshake → 504',
    act: ({ c }) => c.sendMethod(0, M.connectionTuneOk, enc.tuneOk(1, 4096, 0)),
    expect: () => ({ replyCode: 504, replyText: 'CHANNEL_ERROR - unexpected method in connection state running', classId: 10, methodId: 31 }),
  },
  {
    name: 'unsolicited connection.close-ok on channel 0 → 504',
    act: ({ c }) => c.sendMethod(0, M.connectionCloseOk),
    expect: () => ({ replyCode: 504, replyText: 'CHANNEL_ERROR - unexpected method in connection state running', classId: 10, methodId: 51 }),
  },
  {
    name: 'connection.close on an open non-zero channel → 503 COMMAND_INVALID',
    channels: [1],
    act: ({ c }) => c.sendMethod(1, M.connectionClose, enc.close(200, 'x')),
    expect: () => ({ replyCode: 503, replyText: 'COMMAND_INVALID - unimplemented method', classId: 10, methodId: 50 }),
  },
  {
    name: 'connection.open on an open non-zero channel → 503 COMMAND_INVALID',
    channels: [1],
    act: ({ c }) => c.sendMethod(1, M.connectionOpen, enc.open('/')),
    expect: () => ({ replyCode: 503, replyText: 'COMMAND_INVALID - unimplemented method', classId: 10, methodId: 40 }),
  },
  {
    name: 'unsolicited channel.close-ok on an open channel → 503 COMMAND_INVALID',
    channels: [1],
    act: ({ c }) => c.sendMethod(1, M.channelCloseOk),
    expect: () => ({ replyCode: 503, replyText: 'COMMAND_INVALID - unimplemented method', classId: 20, methodId: 41 }),
  },
  // ---- method arguments ----
  {
    name: 'truncated basic.publish arguments → 501 FRAME_ERROR cannot decode',
    channels: [1],
    act: ({ c }) => c.send(frame(FRAME_METHOD, 1, methodPayload(M.basicPublish, Buffer.from([0, 0, 5, 97])))),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - cannot decode <<0,0,5,97>>', classId: 60, methodId: 40 }),
  },
  {
    name: 'truncated queue.declare arguments → 501 FRAME_ERROR cannot decode',
    channels: [1],
    act: ({ c }) => c.send(frame(FRAME_METHOD, 1, methodPayload(M.queueDeclare, Buffer.from([0, 0, 3, 97, 98])))),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - cannot decode <<0,0,3,97,98>>', classId: 50, methodId: 10 }),
  },
  {
    name: 'channel.open without its argument → 501 FRAME_ERROR cannot decode <<>>',
    act: ({ c }) => c.send(frame(FRAME_METHOD, 1, methodPayload(M.channelOpen))),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - cannot decode <<>>', classId: 20, methodId: 10 }),
  },
  {
    name: 'trailing bytes after the method arguments → 501 FRAME_ERROR cannot decode',
    act: ({ c }) => c.send(frame(FRAME_METHOD, 1, methodPayload(M.channelOpen, Buffer.from([0, 1, 2, 3])))),
    expect: () => ({ replyCode: 501, replyText: 'FRAME_ERROR - cannot decode <<0,1,2,3>>', classId: 20, methodId: 10 }),
  },
  // ---- not implemented ----
  {
    name: 'channel.flow active=false from the client → 540 NOT_IMPLEMENTED',
    channels: [1],
    act: ({ c }) => c.sendMethod(1, M.channelFlow, enc.channelFlow(false)),
    expect: () => ({ replyCode: 540, replyText: 'NOT_IMPLEMENTED - active=false', classId: 20, methodId: 20 }),
  },
  {
    name: 'basic.publish with immediate=true → 540 NOT_IMPLEMENTED (once the content is complete)',
    channels: [1],
    act: async ({ c, q }) => {
      c.sendMethod(1, M.basicPublish, enc.basicPublish('', q, { immediate: true }));
      // nothing happens until the content has arrived
      await assert.rejects(c.nextFrame(500), /timed out/);
      c.send(contentHeaderFrame(1, 2));
      c.send(bodyFrame(1, Buffer.from('hi')));
    },
    expect: () => ({ replyCode: 540, replyText: 'NOT_IMPLEMENTED - immediate=true', classId: 60, methodId: 40 }),
  },
];

async function runConnectionError(tc: ConnErrorCase): Promise<void> {
  const c = await openConnection(broker.host, broker.port, tc.opts ?? {});
  const ctx: Ctx = { c, q: uniqueName('wire-err') };
  try {
    for (const ch of tc.channels ?? []) await c.openChannel(ch);
    await tc.act(ctx);
    const close = await c.expectConnectionClose(undefined, 3000, true);
    assert.deepEqual(close, tc.expect(ctx));
    // RabbitMQ closes right after close-ok, or ~3 s after connection.close for fatal frame errors
    const ms = await c.waitForSocketClose(tc.fatal ? 6000 : 3000);
    if (!tc.fatal) assert.ok(ms <= 2000, `socket closed ${ms} ms after close-ok`);
  } finally {
    c.destroy();
  }
  await assertBrokerAlive(broker.host, broker.port);
}

describe('errors that close the connection', { concurrency: true, timeout: 20_000 }, () => {
  for (const tc of connectionErrors) it(tc.name, () => runConnectionError(tc));
});

describe('errors after which RabbitMQ drops the TCP connection without any frame', { concurrency: true, timeout: 20_000 }, () => {
  const cases: { name: string; channels?: number[]; act: (c: RawClient) => void }[] = [
    { name: 'unknown class id (99) on an open channel', channels: [1], act: (c) => c.sendMethod(1, [99, 10]) },
    { name: 'unknown class id (99) on channel 0', act: (c) => c.sendMethod(0, [99, 10]) },
    { name: 'unknown method id (basic 99)', channels: [1], act: (c) => c.sendMethod(1, [60, 99]) },
    { name: 'unknown method id (connection 99) on channel 0', act: (c) => c.sendMethod(0, [10, 99]) },
    { name: 'class 0 / method 0 (all-zero method payload)', channels: [1], act: (c) => c.send(frame(FRAME_METHOD, 1, Buffer.alloc(16))) },
    {
      name: 'a field table with an unknown field type',
      channels: [1],
      act: (c) =>
        c.send(
          frame(
            FRAME_METHOD,
            1,
            methodPayload(
              M.queueDeclare,
              new Writer()
                .short(0)
                .shortstr(uniqueName('wire-err'))
                .octet(0)
                .long(5)
                .raw(Buffer.from([3, 97, 98, 99, 90])) // key "abc", field type 'Z'
                .toBuffer(),
            ),
          ),
        ),
    },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const c = await openConnection(broker.host, broker.port);
      try {
        for (const ch of tc.channels ?? []) await c.openChannel(ch);
        tc.act(c);
        const ms = await c.expectSilentClose(5000);
        assert.ok(ms <= 3000, `dropped after ${ms} ms`);
      } finally {
        c.destroy();
      }
      await assertBrokerAlive(broker.host, broker.port);
    });
  }
});

describe('errors that close only the channel', { concurrency: true, timeout: 20_000 }, () => {
  /** Runs act on channel 1, expects channel.close, then checks channels 2 and a reopened 1 work. */
  async function channelError(act: (c: RawClient, q: string) => void, expected: (q: string) => Close): Promise<void> {
    const c = await openConnection(broker.host, broker.port);
    const q = uniqueName('wire-chan-err');
    try {
      await c.openChannel(1);
      await c.openChannel(2);
      act(c, q);
      const close = await c.expectChannelClose(1, undefined, 5000, true);
      assert.deepEqual(close, expected(q));
      // the connection keeps working on another channel ...
      const ok = await c.declareQueue(2, q, { exclusive: true });
      assert.equal(ok.queue, q);
      // ... and on the same channel number once reopened
      await c.openChannel(1);
      c.sendMethod(1, M.queueDeclare, enc.queueDeclare(q, { passive: true }));
      assert.deepEqual(dec.queueDeclareOk(await c.expectMethod(1, M.queueDeclareOk)), { queue: q, messageCount: 0, consumerCount: 0 });
      await c.close();
    } finally {
      c.destroy();
    }
    await assertBrokerAlive(broker.host, broker.port);
  }

  it("passive declare of a missing queue → channel.close 404 NOT_FOUND - no queue 'x' in vhost '/'", () =>
    channelError(
      (c, q) => c.sendMethod(1, M.queueDeclare, enc.queueDeclare(`missing-${q}`, { passive: true })),
      (q) => ({ replyCode: 404, replyText: `NOT_FOUND - no queue 'missing-${q}' in vhost '/'`, classId: 50, methodId: 10 }),
    ));

  it('publish to a missing exchange → channel.close 404 (after the content is complete)', () =>
    channelError(
      (c, q) => c.publish(1, `missing-ex-${q}`, 'rk', Buffer.from('hi')),
      (q) => ({ replyCode: 404, replyText: `NOT_FOUND - no exchange 'missing-ex-${q}' in vhost '/'`, classId: 60, methodId: 40 }),
    ));

  it('publish with an empty body to a missing exchange → channel.close 404', () =>
    channelError(
      (c, q) => c.publish(1, `missing-ex-${q}`, 'rk', Buffer.alloc(0)),
      (q) => ({ replyCode: 404, replyText: `NOT_FOUND - no exchange 'missing-ex-${q}' in vhost '/'`, classId: 60, methodId: 40 }),
    ));

  it('a message larger than max_message_size (128 MiB) → channel.close 406 PRECONDITION_FAILED', { timeout: 60_000 }, async () => {
    const size = 134217728 + 1;
    await channelError(
      (c, q) => c.publish(1, '', q, Buffer.alloc(size, 0x61)),
      () => ({ replyCode: 406, replyText: `PRECONDITION_FAILED - message size ${size} is larger than configured max size 134217728`, classId: 60, methodId: 40 }),
    );
  });

  it('a content header declaring more than max_message_size is not rejected by itself', async () => {
    const c = await openConnection(broker.host, broker.port);
    try {
      await c.openChannel(1);
      c.sendMethod(1, M.basicPublish, enc.basicPublish('', uniqueName('wire-err')));
      c.send(contentHeaderFrame(1, 134217729));
      await assert.rejects(c.nextFrame(1000), /timed out/);
      assert.equal(c.closed, false);
    } finally {
      c.destroy();
    }
  });
});
