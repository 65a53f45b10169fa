// A minimal AMQP 0-9-1 client for the load generator, over node:net.
//
// It shares no code with src/ (it is a second, independent implementation), and it is written for
// low CPU use on the hot paths:
//   - FrameParser walks each socket chunk in place and hands frames on as (buf, start, end) views;
//     only a frame that straddles two chunks is copied, into one reused carry buffer.
//   - basic.deliver / basic.ack / basic.nack, content headers and bodies are read straight from the
//     chunk without building objects; everything else (handshake, declares, closes) is decoded into
//     small objects, which is fine because it is rare.
// Callers that publish build their own frames (see message.mjs) and write them in batches.
import net from 'node:net';

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
export const FRAME_END = 0xce;
const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

const id = (c, m) => ((c << 16) | m) >>> 0;
export const M = {
  connectionStart: id(10, 10), connectionStartOk: id(10, 11),
  connectionTune: id(10, 30), connectionTuneOk: id(10, 31),
  connectionOpen: id(10, 40), connectionOpenOk: id(10, 41),
  connectionClose: id(10, 50), connectionCloseOk: id(10, 51),
  connectionBlocked: id(10, 60), connectionUnblocked: id(10, 61),
  channelOpen: id(20, 10), channelOpenOk: id(20, 11),
  channelClose: id(20, 40), channelCloseOk: id(20, 41),
  exchangeDeclare: id(40, 10), exchangeDeclareOk: id(40, 11),
  exchangeDelete: id(40, 20), exchangeDeleteOk: id(40, 21),
  queueDeclare: id(50, 10), queueDeclareOk: id(50, 11),
  queueBind: id(50, 20), queueBindOk: id(50, 21),
  queuePurge: id(50, 30), queuePurgeOk: id(50, 31),
  queueDelete: id(50, 40), queueDeleteOk: id(50, 41),
  basicQos: id(60, 10), basicQosOk: id(60, 11),
  basicConsume: id(60, 20), basicConsumeOk: id(60, 21),
  basicCancel: id(60, 30), basicCancelOk: id(60, 31),
  basicPublish: id(60, 40), basicReturn: id(60, 50), basicDeliver: id(60, 60),
  basicAck: id(60, 80), basicReject: id(60, 90), basicNack: id(60, 120),
  confirmSelect: id(85, 10), confirmSelectOk: id(85, 11),
};

/** An error the broker sent (channel.close / connection.close) or a transport failure. */
export class AmqpError extends Error {
  constructor(message, { code = 0, classId = 0, methodId = 0, scope = 'connection' } = {}) {
    super(message);
    this.code = code;
    this.classId = classId;
    this.methodId = methodId;
    this.scope = scope;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding (used for rare frames only)
// ---------------------------------------------------------------------------------------------

export class Writer {
  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
    this.pos = 0;
  }
  ensure(n) {
    if (this.pos + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }
  u8(v) { this.ensure(1); this.buf[this.pos++] = v; return this; }
  u16(v) { this.ensure(2); this.buf.writeUInt16BE(v, this.pos); this.pos += 2; return this; }
  u32(v) { this.ensure(4); this.buf.writeUInt32BE(v >>> 0, this.pos); this.pos += 4; return this; }
  i64(v) { this.ensure(8); this.buf.writeBigInt64BE(BigInt(v), this.pos); this.pos += 8; return this; }
  u64(v) {
    this.ensure(8);
    this.buf.writeUInt32BE(Math.floor(v / 4294967296), this.pos);
    this.buf.writeUInt32BE(v >>> 0, this.pos + 4);
    this.pos += 8;
    return this;
  }
  bytes(b) { this.ensure(b.length); b.copy(this.buf, this.pos); this.pos += b.length; return this; }
  shortstr(s) {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 255) throw new Error(`shortstr too long: ${s}`);
    return this.u8(b.length).bytes(b);
  }
  longstr(s) {
    const b = Buffer.isBuffer(s) ? s : Buffer.from(String(s), 'utf8');
    return this.u32(b.length).bytes(b);
  }
  bits(...flags) {
    let v = 0;
    for (let i = 0; i < flags.length; i++) if (flags[i]) v |= 1 << i;
    return this.u8(v);
  }
  table(obj) {
    const start = this.pos;
    this.u32(0);
    for (const [k, v] of Object.entries(obj ?? {})) {
      this.shortstr(k);
      this.value(v);
    }
    this.buf.writeUInt32BE(this.pos - start - 4, start);
    return this;
  }
  value(v) {
    if (typeof v === 'string') return this.u8(0x53).longstr(v); // S
    if (typeof v === 'boolean') return this.u8(0x74).u8(v ? 1 : 0); // t
    if (typeof v === 'bigint') return this.u8(0x6c).i64(v); // l
    if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) { this.u8(0x49); this.ensure(4); this.buf.writeInt32BE(v, this.pos); this.pos += 4; return this; } // I
      if (Number.isInteger(v)) return this.u8(0x6c).i64(v); // l
      this.u8(0x64); this.ensure(8); this.buf.writeDoubleBE(v, this.pos); this.pos += 8; return this; // d
    }
    if (v && typeof v === 'object') return this.u8(0x46).table(v); // F
    throw new Error(`cannot encode field value ${v}`);
  }
}

/** One method frame as a fresh Buffer; `fill(writer)` writes the arguments. */
export function methodFrame(channel, methodId, fill) {
  const w = new Writer(64);
  w.u8(FRAME_METHOD).u16(channel).u32(0).u32(methodId);
  if (fill) fill(w);
  w.u8(FRAME_END);
  w.buf.writeUInt32BE(w.pos - 8, 3);
  return w.buf.subarray(0, w.pos);
}

// ---------------------------------------------------------------------------------------------
// Decoding (rare frames)
// ---------------------------------------------------------------------------------------------

class Reader {
  constructor(buf, pos, end) { this.buf = buf; this.pos = pos; this.end = end; }
  u8() { return this.buf[this.pos++]; }
  u16() { const v = this.buf.readUInt16BE(this.pos); this.pos += 2; return v; }
  u32() { const v = this.buf.readUInt32BE(this.pos); this.pos += 4; return v; }
  u64() { const v = this.buf.readUInt32BE(this.pos) * 4294967296 + this.buf.readUInt32BE(this.pos + 4); this.pos += 8; return v; }
  shortstr() { const n = this.u8(); const s = this.buf.toString('utf8', this.pos, this.pos + n); this.pos += n; return s; }
  longstr() { const n = this.u32(); const s = this.buf.toString('utf8', this.pos, this.pos + n); this.pos += n; return s; }
  skipTable() { const n = this.u32(); this.pos += n; }
}

/** u64 at buf[off] as a JS number (exact below 2^53). */
function u64At(buf, off) {
  return buf.readUInt32BE(off) * 4294967296 + buf.readUInt32BE(off + 4);
}

// ---------------------------------------------------------------------------------------------
// Frame parser
// ---------------------------------------------------------------------------------------------

/**
 * Splits a byte stream into frames and calls sink.onFrame(type, channel, buf, start, end) with the
 * payload as a view [start, end) of `buf`. `buf` is the socket chunk, or the carry buffer for a
 * frame that straddled chunks: either way it is only valid during the call.
 */
export class FrameParser {
  constructor(sink, maxFrame = 131072) {
    this.sink = sink;
    this.carry = Buffer.allocUnsafe(maxFrame + 8);
    this.carryLen = 0;
    this.need = 0; // total length of the frame in carry, once its header is known
  }

  push(chunk) {
    const len = chunk.length;
    let off = 0;
    if (this.carryLen > 0) {
      off = this.fillCarry(chunk);
      if (off < 0) return; // still incomplete
    }
    const sink = this.sink;
    while (len - off >= 7) {
      const size = chunk.readUInt32BE(off + 3);
      const total = size + 8;
      if (len - off < total) break;
      if (chunk[off + total - 1] !== FRAME_END) throw new AmqpError(`bad frame end byte 0x${chunk[off + total - 1].toString(16)}`);
      sink.onFrame(chunk[off], chunk.readUInt16BE(off + 1), chunk, off + 7, off + 7 + size);
      off += total;
    }
    if (off < len) {
      this.ensureCarry(Math.max(len - off, 7));
      chunk.copy(this.carry, 0, off, len);
      this.carryLen = len - off;
      this.need = 0;
      if (this.carryLen >= 7) this.setNeed();
    }
  }

  setNeed() {
    this.need = this.carry.readUInt32BE(3) + 8;
    this.ensureCarry(this.need);
  }

  ensureCarry(n) {
    if (n <= this.carry.length) return;
    const b = Buffer.allocUnsafe(n);
    this.carry.copy(b, 0, 0, this.carryLen);
    this.carry = b;
  }

  /** Completes the carried frame from `chunk`; returns the offset consumed, or -1 if still short. */
  fillCarry(chunk) {
    let off = 0;
    if (this.need === 0) {
      const n = Math.min(7 - this.carryLen, chunk.length);
      chunk.copy(this.carry, this.carryLen, 0, n);
      this.carryLen += n;
      off = n;
      if (this.carryLen < 7) return -1;
      this.setNeed();
    }
    const n = Math.min(this.need - this.carryLen, chunk.length - off);
    chunk.copy(this.carry, this.carryLen, off, off + n);
    this.carryLen += n;
    off += n;
    if (this.carryLen < this.need) return -1;
    const c = this.carry;
    if (c[this.need - 1] !== FRAME_END) throw new AmqpError('bad frame end byte');
    this.carryLen = 0;
    const need = this.need;
    this.need = 0;
    this.sink.onFrame(c[0], c.readUInt16BE(1), c, 7, need - 1);
    return off;
  }
}

// ---------------------------------------------------------------------------------------------
// Connection and channels
// ---------------------------------------------------------------------------------------------

export function parseUrl(url) {
  const u = new URL(url);
  if (u.protocol !== 'amqp:') throw new Error(`only amqp:// URLs are supported: ${url}`);
  let vhost = u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/';
  if (vhost === '') vhost = '/';
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 5672),
    user: decodeURIComponent(u.username || 'guest'),
    pass: decodeURIComponent(u.password || 'guest'),
    vhost,
  };
}

export function hrtimeNs() {
  const t = process.hrtime();
  return t[0] * 1e9 + t[1];
}

/**
 * Connects and completes the handshake. Options: frameMax (client maximum, default 131072),
 * timeout ms (default 10000), name (connection_name client property).
 */
export function connect(url, opts = {}) {
  const cfg = parseUrl(url);
  const conn = new Connection(cfg, opts);
  return conn.open(opts.timeout ?? 10000);
}

export class Connection {
  constructor(cfg, opts) {
    this.cfg = cfg;
    this.opts = opts;
    this.frameMax = opts.frameMax ?? 131072;
    this.channelMax = 2047;
    this.channels = [];
    this.nextChannel = 1;
    this.parser = new FrameParser(this, this.frameMax);
    this.socket = null;
    this.closed = null; // AmqpError once closed
    this.closing = false;
    /** hrtime (ns) at which the current chunk arrived, if stampChunks is set. */
    this.recvNs = 0;
    this.stampChunks = false;
    /** called after each socket chunk has been parsed */
    this.onChunkEnd = null;
    /** called once when the connection is lost or closed by the broker: (err) */
    this.onClose = null;
    this.blocked = false;
    this.blockedSince = 0;
    this.blockedNs = 0;
    this.blockedCount = 0;
    this.handshake = null;
    this.closeWaiter = null;
  }

  open(timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new AmqpError(`handshake with ${this.cfg.host}:${this.cfg.port} timed out after ${timeoutMs} ms`)), timeoutMs);
      const fail = (err) => {
        clearTimeout(timer);
        if (this.handshake) { this.handshake = null; this.socket?.destroy(); reject(err); }
      };
      this.handshake = {
        resolve: () => { clearTimeout(timer); this.handshake = null; resolve(this); },
        reject: fail,
      };
      const s = net.connect({ host: this.cfg.host, port: this.cfg.port });
      this.socket = s;
      s.setNoDelay(true);
      s.on('connect', () => s.write(PROTOCOL_HEADER));
      s.on('data', (chunk) => this.onData(chunk));
      s.on('error', (err) => this.lost(new AmqpError(`socket error: ${err.message}`, { code: err.code })));
      s.on('close', () => this.lost(new AmqpError('connection closed by peer')));
    });
  }

  onData(chunk) {
    if (this.stampChunks) this.recvNs = hrtimeNs();
    try {
      this.parser.push(chunk);
    } catch (err) {
      this.lost(err instanceof AmqpError ? err : new AmqpError(`client error: ${err.stack ?? err}`));
      this.socket.destroy();
      return;
    }
    if (this.onChunkEnd !== null) this.onChunkEnd();
  }

  lost(err) {
    if (this.closed) return;
    this.closed = err;
    if (this.handshake) this.handshake.reject(err);
    for (const ch of this.channels) if (ch) ch.lost(err);
    if (this.closeWaiter) { this.closeWaiter(); this.closeWaiter = null; }
    if (this.onClose) this.onClose(err);
  }

  write(buf, cb) {
    return this.socket.write(buf, cb);
  }

  onFrame(type, channel, buf, start, end) {
    if (channel === 0) {
      if (type === FRAME_METHOD) this.onConnectionMethod(buf, start, end);
      return; // heartbeats (we negotiate none) and anything else on channel 0
    }
    const ch = this.channels[channel];
    if (ch === undefined || ch === null) return;
    if (type === FRAME_METHOD) ch.onMethod(buf, start, end);
    else if (type === FRAME_HEADER) ch.onHeader(buf, start, end);
    else if (type === FRAME_BODY) ch.onBody(buf, start, end);
  }

  onConnectionMethod(buf, start, end) {
    const mid = buf.readUInt32BE(start);
    const r = new Reader(buf, start + 4, end);
    switch (mid) {
      case M.connectionStart: {
        const user = this.cfg.user, pass = this.cfg.pass;
        this.write(methodFrame(0, M.connectionStartOk, (w) => {
          w.table({
            product: 'warren-bench-loadgen',
            platform: `Node.js ${process.version}`,
            connection_name: this.opts.name ?? `loadgen-${process.pid}`,
            capabilities: {
              publisher_confirms: true, 'basic.nack': true, consumer_cancel_notify: true,
              'connection.blocked': true, exchange_exchange_bindings: true,
            },
          });
          w.shortstr('PLAIN');
          w.longstr(`\u0000${user}\u0000${pass}`);
          w.shortstr('en_US');
        }));
        return;
      }
      case M.connectionTune: {
        const channelMax = r.u16(), frameMax = r.u32();
        this.channelMax = channelMax === 0 ? 2047 : Math.min(channelMax, 2047);
        this.frameMax = frameMax === 0 ? this.frameMax : Math.min(frameMax, this.frameMax);
        this.write(methodFrame(0, M.connectionTuneOk, (w) => w.u16(this.channelMax).u32(this.frameMax).u16(0)));
        this.write(methodFrame(0, M.connectionOpen, (w) => w.shortstr(this.cfg.vhost).shortstr('').u8(0)));
        return;
      }
      case M.connectionOpenOk:
        if (this.handshake) this.handshake.resolve();
        return;
      case M.connectionClose: {
        const code = r.u16(), text = r.shortstr(), classId = r.u16(), methodId = r.u16();
        this.write(methodFrame(0, M.connectionCloseOk));
        this.socket.end();
        this.lost(new AmqpError(`connection.close ${code} ${text}`, { code, classId, methodId }));
        return;
      }
      case M.connectionCloseOk:
        this.socket.end();
        this.lost(new AmqpError('closed by client', { code: 200 }));
        return;
      case M.connectionBlocked:
        if (!this.blocked) { this.blocked = true; this.blockedSince = hrtimeNs(); this.blockedCount++; }
        return;
      case M.connectionUnblocked:
        if (this.blocked) { this.blocked = false; this.blockedNs += hrtimeNs() - this.blockedSince; }
        return;
      default:
        return;
    }
  }

  async openChannel() {
    if (this.closed) throw this.closed;
    let n = this.nextChannel;
    while (this.channels[n]) n = n >= this.channelMax ? 1 : n + 1;
    this.nextChannel = n >= this.channelMax ? 1 : n + 1;
    const ch = new Channel(this, n);
    this.channels[n] = ch;
    await ch.rpc(M.channelOpen, (w) => w.shortstr(''), M.channelOpenOk);
    return ch;
  }

  /** Graceful close (connection.close → close-ok), bounded by timeoutMs; then the socket is gone. */
  async close(timeoutMs = 5000) {
    if (this.closed) { this.socket?.destroy(); return; }
    if (this.closing) return;
    this.closing = true;
    const done = new Promise((resolve) => { this.closeWaiter = resolve; });
    this.write(methodFrame(0, M.connectionClose, (w) => w.u16(200).shortstr('bye').u16(0).u16(0)));
    let timer;
    await Promise.race([done, new Promise((r) => { timer = setTimeout(r, timeoutMs); })]);
    clearTimeout(timer);
    this.socket.destroy();
  }

  destroy() {
    this.socket?.destroy();
  }
}

export class Channel {
  constructor(conn, n) {
    this.conn = conn;
    this.n = n;
    this.pending = null; // { expect, decode, resolve, reject }
    this.closed = null;
    // hot-path hooks, set by users
    this.onDeliver = null; // (deliveryTag, redelivered)
    this.onContentHeader = null; // (bodySize)
    this.onContentBody = null; // (buf, start, end)
    this.onAck = null; // (tag, multiple, isNack)
    this.onReturn = null; // (replyCode, text)
    this.onCancel = null; // ()
    this.onError = null; // (err) when the broker closes the channel outside an rpc
  }

  lost(err) {
    if (this.closed) return;
    this.closed = err;
    const p = this.pending;
    this.pending = null;
    if (p) p.reject(err);
  }

  /** Sends a method and waits for the reply with id `expect`; resolves to decode(reader) or undefined. */
  rpc(methodId, fill, expect, decode, timeoutMs = 30000) {
    if (this.closed) return Promise.reject(this.closed);
    if (this.pending) return Promise.reject(new Error('rpc already pending on this channel'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending === p) this.pending = null;
        reject(new AmqpError(`timed out after ${timeoutMs} ms waiting for the reply to method ${methodId >>> 16}.${methodId & 0xffff}`, { scope: 'timeout' }));
      }, timeoutMs);
      const p = {
        expect, decode,
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      this.pending = p;
      this.conn.write(methodFrame(this.n, methodId, fill));
    });
  }

  onMethod(buf, start, end) {
    const mid = buf.readUInt32BE(start);
    // hot path first
    if (mid === M.basicDeliver) {
      if (this.onDeliver === null) return;
      let p = start + 4;
      p += 1 + buf[p]; // consumer tag
      const tag = u64At(buf, p);
      this.onDeliver(tag, (buf[p + 8] & 1) === 1);
      return;
    }
    if (mid === M.basicAck) {
      if (this.onAck !== null) this.onAck(u64At(buf, start + 4), (buf[start + 12] & 1) === 1, false);
      return;
    }
    if (mid === M.basicNack) {
      if (this.onAck !== null) this.onAck(u64At(buf, start + 4), (buf[start + 12] & 1) === 1, true);
      return;
    }
    const r = new Reader(buf, start + 4, end);
    if (mid === M.channelClose) {
      const code = r.u16(), text = r.shortstr(), classId = r.u16(), methodId = r.u16();
      const err = new AmqpError(`channel.close ${code} ${text}`, { code, classId, methodId, scope: 'channel' });
      this.conn.write(methodFrame(this.n, M.channelCloseOk));
      this.conn.channels[this.n] = null;
      const hadPending = this.pending !== null;
      this.lost(err);
      if (!hadPending && this.onError) this.onError(err);
      return;
    }
    if (mid === M.channelCloseOk) {
      this.conn.channels[this.n] = null;
      this.lost(new AmqpError('channel closed', { code: 200, scope: 'channel' }));
      return;
    }
    if (mid === M.basicReturn) {
      const code = r.u16(), text = r.shortstr();
      if (this.onReturn) this.onReturn(code, text);
      return;
    }
    if (mid === M.basicCancel) {
      if (this.onCancel) this.onCancel();
      return;
    }
    const p = this.pending;
    if (p !== null && p.expect === mid) {
      this.pending = null;
      p.resolve(p.decode ? p.decode(r) : undefined);
    }
  }

  onHeader(buf, start, end) {
    if (this.onContentHeader !== null) this.onContentHeader(u64At(buf, start + 4));
  }

  onBody(buf, start, end) {
    if (this.onContentBody !== null) this.onContentBody(buf, start, end);
  }

  // ---- convenience RPCs

  confirmSelect() {
    return this.rpc(M.confirmSelect, (w) => w.u8(0), M.confirmSelectOk);
  }

  qos(prefetchCount, global = false) {
    return this.rpc(M.basicQos, (w) => w.u32(0).u16(prefetchCount).bits(global), M.basicQosOk);
  }

  /** Resolves to { queue, messageCount, consumerCount }. */
  queueDeclare(queue, { passive = false, durable = true, exclusive = false, autoDelete = false, args = {}, timeoutMs = 30000 } = {}) {
    return this.rpc(
      M.queueDeclare,
      (w) => w.u16(0).shortstr(queue).bits(passive, durable, exclusive, autoDelete, false).table(args),
      M.queueDeclareOk,
      (r) => ({ queue: r.shortstr(), messageCount: r.u32(), consumerCount: r.u32() }),
      timeoutMs,
    );
  }

  exchangeDeclare(exchange, type, { durable = false, args = {} } = {}) {
    return this.rpc(
      M.exchangeDeclare,
      (w) => w.u16(0).shortstr(exchange).shortstr(type).bits(false, durable, false, false, false).table(args),
      M.exchangeDeclareOk,
    );
  }

  exchangeDelete(exchange) {
    return this.rpc(M.exchangeDelete, (w) => w.u16(0).shortstr(exchange).bits(false, false), M.exchangeDeleteOk);
  }

  queueBind(queue, exchange, routingKey) {
    return this.rpc(M.queueBind, (w) => w.u16(0).shortstr(queue).shortstr(exchange).shortstr(routingKey).bits(false).table({}), M.queueBindOk);
  }

  queuePurge(queue, timeoutMs = 120000) {
    return this.rpc(M.queuePurge, (w) => w.u16(0).shortstr(queue).bits(false), M.queuePurgeOk, (r) => r.u32(), timeoutMs);
  }

  queueDelete(queue, timeoutMs = 120000) {
    return this.rpc(M.queueDelete, (w) => w.u16(0).shortstr(queue).bits(false, false, false), M.queueDeleteOk, (r) => r.u32(), timeoutMs);
  }

  /** Resolves to the consumer tag. */
  consume(queue, { noAck = false, exclusive = false, tag = '' } = {}) {
    return this.rpc(
      M.basicConsume,
      (w) => w.u16(0).shortstr(queue).shortstr(tag).bits(false, noAck, exclusive, false).table({}),
      M.basicConsumeOk,
      (r) => r.shortstr(),
    );
  }

  /** basic.ack as one 21-byte frame. */
  ack(tag, multiple) {
    const b = Buffer.allocUnsafe(21);
    b[0] = FRAME_METHOD;
    b.writeUInt16BE(this.n, 1);
    b.writeUInt32BE(13, 3);
    b.writeUInt32BE(M.basicAck, 7);
    b.writeUInt32BE(Math.floor(tag / 4294967296), 11);
    b.writeUInt32BE(tag >>> 0, 15);
    b[19] = multiple ? 1 : 0;
    b[20] = FRAME_END;
    return this.conn.write(b);
  }

  async close() {
    if (this.closed) return;
    await this.rpc(M.channelClose, (w) => w.u16(200).shortstr('bye').u16(0).u16(0), M.channelCloseOk).catch(() => {});
  }
}
