// Wire-level tests of the AMQP 0-9-1 opening handshake, checked against RabbitMQ 3.10 behaviour:
// protocol header, connection.start/tune/open, authentication and tuning failures, handshake timeout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import {
  DEFAULT_CLIENT_CAPABILITIES,
  F,
  FRAME_METHOD,
  M,
  RawClient,
  amqplainResponse,
  assertBrokerAlive,
  clientProperties,
  dec,
  enc,
  openConnection,

  plainResponse,
  type FieldTable,
} from '../helpers/raw-client.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

const connect = () => RawClient.connect(broker.host, broker.port);

/** Sends the header and start-ok; returns the client positioned right after start-ok. */
async function startOk(mechanism: string, response: Buffer, capabilities: FieldTable = DEFAULT_CLIENT_CAPABILITIES, locale = 'en_US'): Promise<RawClient> {
  const c = await connect();
  c.sendHeader();
  await c.expectMethod(0, M.connectionStart);
  c.sendMethod(0, M.connectionStartOk, enc.startOk({ clientProperties: clientProperties(capabilities), mechanism, response, locale }));
  return c;
}

/** Gets through start-ok and tune, then sends the given tune-ok (and connection.open). */
async function tuneOk(channelMax: number, frameMax: number, heartbeat: number, vhost = '/'): Promise<RawClient> {
  const c = await startOk('PLAIN', plainResponse('guest', 'guest'));
  await c.expectMethod(0, M.connectionTune);
  c.sendMethod(0, M.connectionTuneOk, enc.tuneOk(channelMax, frameMax, heartbeat));
  c.sendMethod(0, M.connectionOpen, enc.open(vhost));
  return c;
}

const withoutAuthFailureClose = (): FieldTable => {
  const caps = { ...DEFAULT_CLIENT_CAPABILITIES };
  delete caps.authentication_failure_close;
  return caps;
};

const ACCESS_REFUSED_PLAIN = 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.';
const ACCESS_REFUSED_AMQPLAIN = 'ACCESS_REFUSED - Login was refused using authentication mechanism AMQPLAIN. For details see the broker logfile.';

describe('opening handshake', { concurrency: true, timeout: 30_000 }, () => {
  it('answers a correct protocol header with connection.start', async () => {
    const c = await connect();
    try {
      c.sendHeader(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'));
      const f = await c.nextFrame();
      assert.equal(f.type, FRAME_METHOD);
      assert.equal(f.channel, 0);
      assert.deepEqual([f.payload.readUInt16BE(0), f.payload.readUInt16BE(2)], [10, 10]);
      const start = dec.start(f.payload.subarray(4));
      assert.equal(start.versionMajor, 0);
      assert.equal(start.versionMinor, 9);
      const mechs = start.mechanisms.split(' ');
      assert.ok(mechs.includes('PLAIN'), `mechanisms ${start.mechanisms}`);
      assert.ok(mechs.includes('AMQPLAIN'), `mechanisms ${start.mechanisms}`);
      assert.equal(start.locales, 'en_US');

      const sp = start.serverProperties;
      for (const key of ['product', 'version', 'platform', 'copyright', 'information']) {
        assert.equal(sp[key]?.type, 'S', `server property ${key} must be a longstr`);
        assert.ok(String(sp[key].value).length > 0, `server property ${key} must not be empty`);
      }
      assert.equal(sp.capabilities?.type, 'F', 'capabilities must be a table');
      const caps = sp.capabilities.value as FieldTable;
      for (const cap of [
        'publisher_confirms',
        'exchange_exchange_bindings',
        'basic.nack',
        'consumer_cancel_notify',
        'connection.blocked',
        'authentication_failure_close',
        'per_consumer_qos',
        'direct_reply_to',
      ]) {
        assert.deepEqual(caps[cap], { type: 't', value: true }, `capability ${cap}`);
      }
    } finally {
      c.destroy();
    }
  });

  it('offers channel_max 2047, frame_max 131072, heartbeat 60 and answers open with open-ok', async () => {
    const c = await connect();
    try {
      const hs = await c.handshake();
      assert.deepEqual(hs.tune, { channelMax: 2047, frameMax: 131072, heartbeat: 60 });
      // connection.open-ok carries one empty shortstr (known-hosts)
      const openOk = c.log.at(-1)!;
      assert.equal(openOk.channel, 0);
      assert.equal(openOk.payload.toString('hex'), '000a002900');
      await c.close();
    } finally {
      c.destroy();
    }
  });

  it('accepts AMQPLAIN login', async () => {
    const c = await openConnection(broker.host, broker.port, { mechanism: 'AMQPLAIN' });
    try {
      await c.openChannel(1);
      await c.close();
    } finally {
      c.destroy();
    }
  });

  it('accepts an unknown locale in start-ok', async () => {
    const c = await startOk('PLAIN', plainResponse('guest', 'guest'), DEFAULT_CLIENT_CAPABILITIES, 'xx_XX');
    try {
      await c.expectMethod(0, M.connectionTune);
    } finally {
      c.destroy();
    }
  });

  it("treats the legacy 0-9 header 'AMQP\\x01\\x01\\x00\\x09' as 0-9-1", async () => {
    const c = await connect();
    try {
      c.send(Buffer.from('AMQP\x01\x01\x00\x09', 'latin1'));
      const start = dec.start(await c.expectMethod(0, M.connectionStart));
      assert.equal(start.versionMajor, 0);
      assert.equal(start.versionMinor, 9);
    } finally {
      c.destroy();
    }
  });

  for (const [name, header] of [
    ['AMQP 0-9-0', 'AMQP\x00\x00\x09\x00'],
    ['HTTP request line', 'HTTP/1.1\r\n'],
    ['HTTP GET', 'GET / HTTP/1.1\r\n\r\n'],
    ['AMQP 0-10', 'AMQP\x01\x01\x00\x0a'],
    ['AMQP 1.0 (plugin not enabled)', 'AMQP\x00\x01\x00\x00'],
    ['AMQP 0-10-0', 'AMQP\x00\x00\x0a\x00'],
  ] as const) {
    it(`answers a bad protocol header (${name}) with AMQP 0-9-1 and closes`, async () => {
      const c = await connect();
      try {
        c.send(Buffer.from(header, 'latin1'));
        const back = await c.readBytes(8, 3000);
        assert.equal(back.toString('hex'), Buffer.from('AMQP\x00\x00\x09\x01', 'latin1').toString('hex'));
        await c.waitForSocketClose(3000);
        assert.equal(c.pending.length, 0, 'nothing after the protocol header');
      } finally {
        c.destroy();
      }
    });
  }

  it('closes a connection that sends nothing within the 10 s handshake timeout', { timeout: 25_000 }, async () => {
    // RabbitMQ's handshake_timeout is 10 s; it applies before the header, after the header
    // (connection.start sent, no start-ok) and after start-ok / tune-ok (no connection.open).
    const silent = await connect();
    const headerOnly = await connect();
    const afterTuneOk = await connect();
    try {
      const t0 = Date.now();
      headerOnly.sendHeader();
      await headerOnly.expectMethod(0, M.connectionStart);
      afterTuneOk.sendHeader();
      await afterTuneOk.expectMethod(0, M.connectionStart);
      afterTuneOk.sendMethod(0, M.connectionStartOk, enc.startOk({ response: plainResponse('guest', 'guest') }));
      await afterTuneOk.expectMethod(0, M.connectionTune);
      afterTuneOk.sendMethod(0, M.connectionTuneOk, enc.tuneOk(2047, 131072, 0));
      await Promise.all([silent.expectSilentClose(20_000), headerOnly.expectSilentClose(20_000), afterTuneOk.expectSilentClose(20_000)]);
      for (const c of [silent, headerOnly, afterTuneOk]) {
        const elapsed = c.closedAt - t0;
        assert.ok(elapsed >= 8_000 && elapsed <= 15_000, `closed after ${elapsed} ms, expected ~10 s`);
      }
    } finally {
      silent.destroy();
      headerOnly.destroy();
      afterTuneOk.destroy();
    }
  });

  it('refuses a wrong password with connection.close 403 when the client has authentication_failure_close', async () => {
    const c = await startOk('PLAIN', plainResponse('guest', 'wrong-password'));
    try {
      const close = await c.expectConnectionClose(403);
      assert.deepEqual(close, { replyCode: 403, replyText: ACCESS_REFUSED_PLAIN, classId: 0, methodId: 0 });
      assert.ok(close.replyText.startsWith('ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN'));
      await c.waitForSocketClose(5000);
    } finally {
      c.destroy();
    }
    await assertBrokerAlive(broker.host, broker.port);
  });

  it('refuses an unknown user the same way as a wrong password', async () => {
    const c = await startOk('PLAIN', plainResponse(uniqueName('no-such-user'), 'x'));
    try {
      const close = await c.expectConnectionClose(403);
      assert.deepEqual(close, { replyCode: 403, replyText: ACCESS_REFUSED_PLAIN, classId: 0, methodId: 0 });
      await c.waitForSocketClose(5000);
    } finally {
      c.destroy();
    }
  });

  it('names AMQPLAIN in the refusal of a wrong AMQPLAIN password', async () => {
    const c = await startOk('AMQPLAIN', amqplainResponse('guest', 'wrong-password'));
    try {
      const close = await c.expectConnectionClose(403);
      assert.deepEqual(close, { replyCode: 403, replyText: ACCESS_REFUSED_AMQPLAIN, classId: 0, methodId: 0 });
      await c.waitForSocketClose(5000);
    } finally {
      c.destroy();
    }
  });

  it('without authentication_failure_close, a wrong password just closes the socket (no frame)', async () => {
    for (const caps of [withoutAuthFailureClose(), { ...DEFAULT_CLIENT_CAPABILITIES, authentication_failure_close: F.bool(false) }]) {
      const c = await startOk('PLAIN', plainResponse('guest', 'wrong-password'), caps);
      try {
        await c.expectSilentClose(6000); // RabbitMQ waits ~3 s before closing
      } finally {
        c.destroy();
      }
    }
  });

  for (const [name, mechanism, response] of [
    ['an unknown mechanism', 'FOO', plainResponse('guest', 'guest')],
    ['a lower-case mechanism name', 'plain', plainResponse('guest', 'guest')],
    ['EXTERNAL (not enabled)', 'EXTERNAL', Buffer.alloc(0)],
    ['a malformed PLAIN response', 'PLAIN', Buffer.from('garbage')],
    ['an empty PLAIN response', 'PLAIN', Buffer.alloc(0)],
  ] as const) {
    it(`closes the socket without a frame for ${name}, even with authentication_failure_close`, async () => {
      const c = await startOk(mechanism, response);
      try {
        await c.expectSilentClose(6000); // RabbitMQ: ~3 s delay, then TCP close
      } finally {
        c.destroy();
      }
    });
  }

  for (const [name, channelMax, frameMax, heartbeat] of [
    ['frame_max 4095 (below the 4096 minimum)', 2047, 4095, 0],
    ['frame_max 0 (unlimited)', 2047, 0, 0],
    ['frame_max 131073 (above the server maximum)', 2047, 131073, 0],
    ['channel_max 2048 (above the server maximum)', 2048, 131072, 0],
    ['channel_max 0 (unlimited)', 0, 131072, 0],
  ] as const) {
    it(`closes the socket without a frame for tune-ok with ${name}`, async () => {
      const c = await tuneOk(channelMax, frameMax, heartbeat);
      try {
        await c.expectSilentClose(6000); // RabbitMQ: ~3 s delay, then TCP close
      } finally {
        c.destroy();
      }
    });
  }

  for (const [name, channelMax, frameMax, heartbeat] of [
    ['frame_max 4096 (the minimum)', 2047, 4096, 0],
    ['channel_max 1', 1, 131072, 0],
    ['heartbeat 65535 (above the offer)', 2047, 131072, 65535],
  ] as const) {
    it(`accepts tune-ok with ${name}`, async () => {
      const c = await tuneOk(channelMax, frameMax, heartbeat);
      try {
        await c.expectMethod(0, M.connectionOpenOk);
        await c.close();
      } finally {
        c.destroy();
      }
    });
  }

  it('refuses connection.open to a nonexistent vhost with 530 NOT_ALLOWED', async () => {
    const vhost = uniqueName('no-such-vhost');
    const c = await tuneOk(2047, 131072, 0, vhost);
    try {
      const close = await c.expectConnectionClose(530);
      assert.deepEqual(close, { replyCode: 530, replyText: `NOT_ALLOWED - vhost ${vhost} not found`, classId: 10, methodId: 40 });
      await c.waitForSocketClose(3000); // closed right after our close-ok
    } finally {
      c.destroy();
    }
    await assertBrokerAlive(broker.host, broker.port);
  });

  it('refuses connection.open to the empty vhost name', async () => {
    const c = await tuneOk(2047, 131072, 0, '');
    try {
      const close = await c.expectConnectionClose(530);
      assert.deepEqual(close, { replyCode: 530, replyText: 'NOT_ALLOWED - vhost  not found', classId: 10, methodId: 40 });
    } finally {
      c.destroy();
    }
  });
});
