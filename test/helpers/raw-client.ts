// A small, independent raw AMQP 0-9-1 client over node:net for wire-level tests.
//
// It deliberately imports nothing from src/: it is a second, independent implementation of the
// framing and of the few methods the wire tests need, so that it can check the broker's codec
// byte-for-byte. Every wait is bounded by a timeout; nothing here can hang a test forever.
import { connect as netConnect, type Socket } from 'node:net';

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
export const FRAME_END = 0xce;

/** 'AMQP' 0 0 9 1 */
export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

export const CLASS = {
  connection: 10,
  channel: 20,
  exchange: 40,
  queue: 50,
  basic: 60,
  confirm: 85,
  tx: 90,
} as const;

/** [classId, methodId] pairs of the methods the tests use. */
export const M = {
  connectionStart: [10, 10],
  connectionStartOk: [10, 11],
  connectionSecure: [10, 20],
  connectionSecureOk: [10, 21],
  connectionTune: [10, 30],
  connectionTuneOk: [10, 31],
  connectionOpen: [10, 40],
  connectionOpenOk: [10, 41],
  connectionClose: [10, 50],
  connectionCloseOk: [10, 51],
  channelOpen: [20, 10],
  channelOpenOk: [20, 11],
  channelFlow: [20, 20],
  channelFlowOk: [20, 21],
  channelClose: [20, 40],
  channelCloseOk: [20, 41],
  exchangeDeclare: [40, 10],
  exchangeDeclareOk: [40, 11],
  queueDeclare: [50, 10],
  queueDeclareOk: [50, 11],
  queueDelete: [50, 40],
  queueDeleteOk: [50, 41],
  basicQos: [60, 10],
  basicQosOk: [60, 11],
  basicConsume: [60, 20],
  basicConsumeOk: [60, 21],
  basicPublish: [60, 40],
  basicReturn: [60, 50],
  basicDeliver: [60, 60],
  basicGet: [60, 70],
  basicGetOk: [60, 71],
  basicGetEmpty: [60, 72],
  basicAck: [60, 80],
} as const;

export type MethodId = readonly [number, number];

// ---------------------------------------------------------------------------------------------
// Field values and tables
// ---------------------------------------------------------------------------------------------

/** A typed field value: the AMQP/RabbitMQ field-type tag plus a JS value. */
export type FieldValue =
  | { type: 't'; value: boolean }
  | { type: 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'f' | 'd'; value: number }
  | { type: 'l' | 'T'; value: bigint }
  | { type: 'D'; value: { scale: number; value: number } }
  | { type: 'S'; value: string }
  | { type: 'x'; value: Buffer }
  | { type: 'A'; value: FieldValue[] }
  | { type: 'F'; value: FieldTable }
  | { type: 'V'; value: null };

export type FieldTable = Record<string, FieldValue>;

/** Shorthand constructors for typed field values. */
export const F = {
  bool: (value: boolean): FieldValue => ({ type: 't', value }),
  str: (value: string): FieldValue => ({ type: 'S', value }),
  int: (value: number): FieldValue => ({ type: 'I', value }),
  long: (value: bigint): FieldValue => ({ type: 'l', value }),
  table: (value: FieldTable): FieldValue => ({ type: 'F', value }),
  array: (value: FieldValue[]): FieldValue => ({ type: 'A', value }),
};

/** Converts a decoded table into plain JS values (strings for S, booleans, numbers, nested). */
export function plain(t: FieldTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(t)) out[k] = plainValue(x);
  return out;
}

export function plainValue(v: FieldValue): unknown {
  switch (v.type) {
    case 'F':
      return plain(v.value);
    case 'A':
      return v.value.map((x) => plainValue(x));
    default:
      return v.value;
  }
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

export class Writer {
  private chunks: Buffer[] = [];
  private bitBuf: number[] | null = null;

  private flushBits(): void {
    if (this.bitBuf) {
      const bits = this.bitBuf;
      this.bitBuf = null;
      for (let i = 0; i < bits.length; i += 8) {
        let b = 0;
        for (let j = 0; j < 8 && i + j < bits.length; j++) if (bits[i + j]) b |= 1 << j;
        this.chunks.push(Buffer.from([b]));
      }
    }
  }

  bit(v: boolean): this {
    if (!this.bitBuf) this.bitBuf = [];
    this.bitBuf.push(v ? 1 : 0);
    return this;
  }
  raw(b: Buffer): this {
    this.flushBits();
    this.chunks.push(b);
    return this;
  }
  octet(v: number): this {
    return this.raw(Buffer.from([v & 0xff]));
  }
  short(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v & 0xffff);
    return this.raw(b);
  }
  long(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return this.raw(b);
  }
  longlong(v: bigint | number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(v));
    return this.raw(b);
  }
  shortstr(s: string | Buffer): this {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    if (b.length > 255) throw new Error('shortstr too long');
    return this.octet(b.length).raw(b);
  }
  longstr(s: string | Buffer): this {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    return this.long(b.length).raw(b);
  }
  table(t: FieldTable): this {
    return this.longstr(encodeTableBody(t));
  }
  toBuffer(): Buffer {
    this.flushBits();
    return Buffer.concat(this.chunks);
  }
}

function encodeFieldValue(w: Writer, v: FieldValue): void {
  w.octet(v.type.charCodeAt(0));
  switch (v.type) {
    case 't':
      w.octet(v.value ? 1 : 0);
      break;
    case 'b': {
      const b = Buffer.alloc(1);
      b.writeInt8(v.value);
      w.raw(b);
      break;
    }
    case 'B':
      w.octet(v.value);
      break;
    case 's': {
      const b = Buffer.alloc(2);
      b.writeInt16BE(v.value);
      w.raw(b);
      break;
    }
    case 'u':
      w.short(v.value);
      break;
    case 'I': {
      const b = Buffer.alloc(4);
      b.writeInt32BE(v.value);
      w.raw(b);
      break;
    }
    case 'i':
      w.long(v.value);
      break;
    case 'l': {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(v.value);
      w.raw(b);
      break;
    }
    case 'T':
      w.longlong(v.value);
      break;
    case 'f': {
      const b = Buffer.alloc(4);
      b.writeFloatBE(v.value);
      w.raw(b);
      break;
    }
    case 'd': {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v.value);
      w.raw(b);
      break;
    }
    case 'D': {
      w.octet(v.value.scale);
      const b = Buffer.alloc(4);
      b.writeInt32BE(v.value.value);
      w.raw(b);
      break;
    }
    case 'S':
    case 'x':
      w.longstr(v.value);
      break;
    case 'A': {
      const inner = new Writer();
      for (const x of v.value) encodeFieldValue(inner, x);
      w.longstr(inner.toBuffer());
      break;
    }
    case 'F':
      w.table(v.value);
      break;
    case 'V':
      break;
  }
}

/** Encodes the body of a field table (without the leading 4-byte length). */
export function encodeTableBody(t: FieldTable): Buffer {
  const w = new Writer();
  for (const [k, v] of Object.entries(t)) {
    w.shortstr(k);
    encodeFieldValue(w, v);
  }
  return w.toBuffer();
}

// ---------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------

export class Reader {
  pos = 0;
  private bitByte = 0;
  private bitPos = 8;
  constructor(readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new Error(`read past end: need ${n} at ${this.pos}, have ${this.buf.length}`);
    }
  }
  private resetBits(): void {
    this.bitPos = 8;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  bit(): boolean {
    if (this.bitPos >= 8) {
      this.need(1);
      this.bitByte = this.buf[this.pos++];
      this.bitPos = 0;
    }
    return ((this.bitByte >> this.bitPos++) & 1) === 1;
  }
  octet(): number {
    this.resetBits();
    this.need(1);
    return this.buf[this.pos++];
  }
  short(): number {
    this.resetBits();
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  long(): number {
    this.resetBits();
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  longlong(): bigint {
    this.resetBits();
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  bytes(n: number): Buffer {
    this.resetBits();
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  shortstr(): string {
    return this.bytes(this.octet()).toString('utf8');
  }
  longstrBytes(): Buffer {
    return this.bytes(this.long());
  }
  longstr(): string {
    return this.longstrBytes().toString('utf8');
  }
  table(): FieldTable {
    return decodeTableBody(this.longstrBytes());
  }
}

function decodeFieldValue(r: Reader): FieldValue {
  const tag = String.fromCharCode(r.octet());
  switch (tag) {
    case 't':
      return { type: 't', value: r.octet() !== 0 };
    case 'b':
      return { type: 'b', value: r.bytes(1).readInt8(0) };
    case 'B':
      return { type: 'B', value: r.octet() };
    case 's':
      return { type: 's', value: r.bytes(2).readInt16BE(0) };
    case 'u':
      return { type: 'u', value: r.short() };
    case 'I':
      return { type: 'I', value: r.bytes(4).readInt32BE(0) };
    case 'i':
      return { type: 'i', value: r.long() };
    case 'l':
      return { type: 'l', value: r.bytes(8).readBigInt64BE(0) };
    case 'f':
      return { type: 'f', value: r.bytes(4).readFloatBE(0) };
    case 'd':
      return { type: 'd', value: r.bytes(8).readDoubleBE(0) };
    case 'D': {
      const scale = r.octet();
      return { type: 'D', value: { scale, value: r.bytes(4).readInt32BE(0) } };
    }
    case 'S':
      return { type: 'S', value: r.longstr() };
    case 'x':
      return { type: 'x', value: Buffer.from(r.longstrBytes()) };
    case 'A': {
      const inner = new Reader(r.longstrBytes());
      const arr: FieldValue[] = [];
      while (inner.remaining > 0) arr.push(decodeFieldValue(inner));
      return { type: 'A', value: arr };
    }
    case 'T':
      return { type: 'T', value: r.longlong() };
    case 'F':
      return { type: 'F', value: r.table() };
    case 'V':
      return { type: 'V', value: null };
    default:
      throw new Error(`unknown field type ${JSON.stringify(tag)} at ${r.pos - 1}`);
  }
}

/** Decodes the body of a field table (without the leading 4-byte length). */
export function decodeTableBody(buf: Buffer): FieldTable {
  const r = new Reader(buf);
  const out: FieldTable = {};
  while (r.remaining > 0) {
    const key = r.shortstr();
    out[key] = decodeFieldValue(r);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

export interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
}

/** Builds one raw frame. `end` overrides the frame-end octet (for error tests). */
export function frame(type: number, channel: number, payload: Buffer, end = FRAME_END): Buffer {
  const b = Buffer.alloc(7 + payload.length + 1);
  b.writeUInt8(type, 0);
  b.writeUInt16BE(channel, 1);
  b.writeUInt32BE(payload.length, 3);
  payload.copy(b, 7);
  b.writeUInt8(end, 7 + payload.length);
  return b;
}

/** Method frame payload: class id, method id, argument bytes. */
export function methodPayload(id: MethodId, args: Buffer = Buffer.alloc(0)): Buffer {
  return new Writer().short(id[0]).short(id[1]).raw(args).toBuffer();
}

export function methodFrame(channel: number, id: MethodId, args: Buffer = Buffer.alloc(0)): Buffer {
  return frame(FRAME_METHOD, channel, methodPayload(id, args));
}

export function heartbeatFrame(channel = 0): Buffer {
  return frame(FRAME_HEARTBEAT, channel, Buffer.alloc(0));
}

export interface BasicProperties {
  contentType?: string;
  deliveryMode?: number;
  headers?: FieldTable;
  messageId?: string;
}

/** Content header frame payload (class id, weight 0, body size, property flags + properties). */
export function contentHeaderPayload(classId: number, bodySize: number | bigint, props: BasicProperties = {}): Buffer {
  let flags = 0;
  const w = new Writer();
  if (props.contentType !== undefined) flags |= 1 << 15;
  if (props.headers !== undefined) flags |= 1 << 13;
  if (props.deliveryMode !== undefined) flags |= 1 << 12;
  if (props.messageId !== undefined) flags |= 1 << 7;
  const pw = new Writer();
  if (props.contentType !== undefined) pw.shortstr(props.contentType);
  if (props.headers !== undefined) pw.table(props.headers);
  if (props.deliveryMode !== undefined) pw.octet(props.deliveryMode);
  if (props.messageId !== undefined) pw.shortstr(props.messageId);
  w.short(classId).short(0).longlong(BigInt(bodySize)).short(flags).raw(pw.toBuffer());
  return w.toBuffer();
}

export function contentHeaderFrame(channel: number, bodySize: number | bigint, props: BasicProperties = {}): Buffer {
  return frame(FRAME_HEADER, channel, contentHeaderPayload(CLASS.basic, bodySize, props));
}

export function bodyFrame(channel: number, body: Buffer): Buffer {
  return frame(FRAME_BODY, channel, body);
}

// ---------------------------------------------------------------------------------------------
// Method encoders
// ---------------------------------------------------------------------------------------------

export const DEFAULT_CLIENT_CAPABILITIES: FieldTable = {
  publisher_confirms: F.bool(true),
  exchange_exchange_bindings: F.bool(true),
  'basic.nack': F.bool(true),
  consumer_cancel_notify: F.bool(true),
  'connection.blocked': F.bool(true),
  authentication_failure_close: F.bool(true),
};

export function clientProperties(capabilities: FieldTable = DEFAULT_CLIENT_CAPABILITIES): FieldTable {
  return {
    product: F.str('warren-raw-test-client'),
    version: F.str('0.0.1'),
    platform: F.str(`Node.js ${process.version}`),
    information: F.str('wire-level tests'),
    connection_name: F.str('raw-client'),
    capabilities: F.table(capabilities),
  };
}

/** PLAIN SASL response: \0user\0pass */
export function plainResponse(user: string, pass: string): Buffer {
  return Buffer.concat([Buffer.from([0]), Buffer.from(user, 'utf8'), Buffer.from([0]), Buffer.from(pass, 'utf8')]);
}

/** AMQPLAIN SASL response: a field table body (no length prefix) with LOGIN and PASSWORD. */
export function amqplainResponse(user: string, pass: string): Buffer {
  return encodeTableBody({ LOGIN: F.str(user), PASSWORD: F.str(pass) });
}

export const enc = {
  startOk(opts: { clientProperties?: FieldTable; mechanism?: string; response: Buffer; locale?: string }): Buffer {
    return new Writer()
      .table(opts.clientProperties ?? clientProperties())
      .shortstr(opts.mechanism ?? 'PLAIN')
      .longstr(opts.response)
      .shortstr(opts.locale ?? 'en_US')
      .toBuffer();
  },
  tuneOk(channelMax: number, frameMax: number, heartbeat: number): Buffer {
    return new Writer().short(channelMax).long(frameMax).short(heartbeat).toBuffer();
  },
  open(vhost: string): Buffer {
    return new Writer().shortstr(vhost).shortstr('').bit(false).toBuffer();
  },
  close(code: number, text: string, classId = 0, methodId = 0): Buffer {
    return new Writer().short(code).shortstr(text).short(classId).short(methodId).toBuffer();
  },
  channelOpen(): Buffer {
    return new Writer().shortstr('').toBuffer();
  },
  channelFlow(active: boolean): Buffer {
    return new Writer().bit(active).toBuffer();
  },
  queueDeclare(
    queue: string,
    o: { passive?: boolean; durable?: boolean; exclusive?: boolean; autoDelete?: boolean; nowait?: boolean; arguments?: FieldTable } = {},
  ): Buffer {
    return new Writer()
      .short(0)
      .shortstr(queue)
      .bit(!!o.passive)
      .bit(!!o.durable)
      .bit(!!o.exclusive)
      .bit(!!o.autoDelete)
      .bit(!!o.nowait)
      .table(o.arguments ?? {})
      .toBuffer();
  },
  queueDelete(queue: string, o: { ifUnused?: boolean; ifEmpty?: boolean; nowait?: boolean } = {}): Buffer {
    return new Writer().short(0).shortstr(queue).bit(!!o.ifUnused).bit(!!o.ifEmpty).bit(!!o.nowait).toBuffer();
  },
  basicPublish(exchange: string, routingKey: string, o: { mandatory?: boolean; immediate?: boolean } = {}): Buffer {
    return new Writer().short(0).shortstr(exchange).shortstr(routingKey).bit(!!o.mandatory).bit(!!o.immediate).toBuffer();
  },
  basicConsume(
    queue: string,
    o: { consumerTag?: string; noLocal?: boolean; noAck?: boolean; exclusive?: boolean; nowait?: boolean; arguments?: FieldTable } = {},
  ): Buffer {
    return new Writer()
      .short(0)
      .shortstr(queue)
      .shortstr(o.consumerTag ?? '')
      .bit(!!o.noLocal)
      .bit(!!o.noAck)
      .bit(!!o.exclusive)
      .bit(!!o.nowait)
      .table(o.arguments ?? {})
      .toBuffer();
  },
  basicGet(queue: string, noAck = false): Buffer {
    return new Writer().short(0).shortstr(queue).bit(noAck).toBuffer();
  },
  basicAck(deliveryTag: bigint | number, multiple = false): Buffer {
    return new Writer().longlong(BigInt(deliveryTag)).bit(multiple).toBuffer();
  },
};

// ---------------------------------------------------------------------------------------------
// Method decoders
// ---------------------------------------------------------------------------------------------

export interface Method {
  classId: number;
  methodId: number;
  args: Buffer;
}

export function decodeMethod(payload: Buffer): Method {
  if (payload.length < 4) throw new Error(`method payload too short (${payload.length} bytes)`);
  return { classId: payload.readUInt16BE(0), methodId: payload.readUInt16BE(2), args: payload.subarray(4) };
}

export function isMethod(f: Frame, id: MethodId): boolean {
  return f.type === FRAME_METHOD && f.payload.length >= 4 && f.payload.readUInt16BE(0) === id[0] && f.payload.readUInt16BE(2) === id[1];
}

export interface ConnectionStart {
  versionMajor: number;
  versionMinor: number;
  serverProperties: FieldTable;
  mechanisms: string;
  locales: string;
}

export interface Tune {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
}

export interface Close {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

export interface Deliver {
  consumerTag: string;
  deliveryTag: bigint;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
}

export interface GetOk {
  deliveryTag: bigint;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  messageCount: number;
}

export interface ContentHeader {
  classId: number;
  weight: number;
  bodySize: bigint;
  propertyFlags: number;
  propertyBytes: Buffer;
}

export interface QueueDeclareOk {
  queue: string;
  messageCount: number;
  consumerCount: number;
}

export const dec = {
  start(args: Buffer): ConnectionStart {
    const r = new Reader(args);
    return {
      versionMajor: r.octet(),
      versionMinor: r.octet(),
      serverProperties: r.table(),
      mechanisms: r.longstr(),
      locales: r.longstr(),
    };
  },
  tune(args: Buffer): Tune {
    const r = new Reader(args);
    return { channelMax: r.short(), frameMax: r.long(), heartbeat: r.short() };
  },
  close(args: Buffer): Close {
    const r = new Reader(args);
    return { replyCode: r.short(), replyText: r.shortstr(), classId: r.short(), methodId: r.short() };
  },
  deliver(args: Buffer): Deliver {
    const r = new Reader(args);
    return { consumerTag: r.shortstr(), deliveryTag: r.longlong(), redelivered: r.bit(), exchange: r.shortstr(), routingKey: r.shortstr() };
  },
  getOk(args: Buffer): GetOk {
    const r = new Reader(args);
    return { deliveryTag: r.longlong(), redelivered: r.bit(), exchange: r.shortstr(), routingKey: r.shortstr(), messageCount: r.long() };
  },
  queueDeclareOk(args: Buffer): QueueDeclareOk {
    const r = new Reader(args);
    return { queue: r.shortstr(), messageCount: r.long(), consumerCount: r.long() };
  },
  contentHeader(payload: Buffer): ContentHeader {
    const r = new Reader(payload);
    return { classId: r.short(), weight: r.short(), bodySize: r.longlong(), propertyFlags: r.short(), propertyBytes: Buffer.from(payload.subarray(14)) };
  },
};

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

export class SocketClosedError extends Error {
  constructor(readonly pendingBytes: Buffer) {
    super(`socket closed${pendingBytes.length ? ` (with ${pendingBytes.length} unparsed bytes)` : ''}`);
  }
}

export class TimeoutError extends Error {}

export interface HandshakeOptions {
  user?: string;
  pass?: string;
  /** heartbeat to send in tune-ok; default 0 (disabled) so tests see no stray heartbeats */
  heartbeat?: number;
  /** frame_max to send in tune-ok; default: the server's offer */
  frameMax?: number;
  /** channel_max to send in tune-ok; default: the server's offer */
  channelMax?: number;
  vhost?: string;
  mechanism?: 'PLAIN' | 'AMQPLAIN' | string;
  /** explicit SASL response (overrides user/pass encoding) */
  response?: Buffer;
  capabilities?: FieldTable;
  timeoutMs?: number;
}

export interface HandshakeResult {
  start: ConnectionStart;
  tune: Tune;
  /** the values the client sent in tune-ok */
  negotiated: Tune;
}

const DEFAULT_TIMEOUT = 5000;

export class RawClient {
  readonly socket: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private waiters = new Set<() => void>();
  /** true once the peer has closed (end or close) */
  closed = false;
  closedAt = 0;
  readonly closedPromise: Promise<void>;
  /** frames read so far, for debugging */
  readonly log: Frame[] = [];
  /** last negotiated frame_max (used by publish to split bodies) */
  frameMax = 131072;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake();
    });
    this.closedPromise = new Promise<void>((resolve) => {
      const done = () => {
        if (!this.closed) {
          this.closed = true;
          this.closedAt = Date.now();
        }
        this.wake();
        resolve();
      };
      socket.on('end', done);
      socket.on('close', done);
      socket.on('error', () => {
        /* ECONNRESET etc. are treated as closure */
        done();
      });
    });
  }

  static connect(host: string, port: number, timeoutMs = DEFAULT_TIMEOUT): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TimeoutError(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawClient(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  /** Waits until `pred` returns something non-undefined, re-checking on every data/close event. */
  private async waitFor<T>(pred: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pred();
      if (v !== undefined) return v;
      if (this.closed) throw new SocketClosedError(this.buf);
      const left = deadline - Date.now();
      if (left <= 0) throw new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.waiters.delete(onWake);
          resolve();
        }, left);
        const onWake = () => {
          clearTimeout(t);
          resolve();
        };
        this.waiters.add(onWake);
      });
    }
  }

  /** Sends raw bytes. Errors (peer already gone) are ignored; tests observe closure separately. */
  send(data: Buffer | string): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'binary') : data);
  }

  sendHeader(header: Buffer = PROTOCOL_HEADER): void {
    this.send(header);
  }

  sendMethod(channel: number, id: MethodId, args: Buffer = Buffer.alloc(0)): void {
    this.send(methodFrame(channel, id, args));
  }

  sendHeartbeat(channel = 0): void {
    this.send(heartbeatFrame(channel));
  }

  /** Reads exactly n raw bytes (e.g. a protocol header sent back by the server). */
  readBytes(n: number, timeoutMs = DEFAULT_TIMEOUT): Promise<Buffer> {
    return this.waitFor(
      () => {
        if (this.buf.length < n) return undefined;
        const b = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        return Buffer.from(b);
      },
      timeoutMs,
      `${n} raw bytes`,
    );
  }

  /** Bytes received and not yet consumed. */
  get pending(): Buffer {
    return this.buf;
  }

  private tryParseFrame(): Frame | undefined {
    if (this.buf.length < 7) return undefined;
    const type = this.buf.readUInt8(0);
    const channel = this.buf.readUInt16BE(1);
    const size = this.buf.readUInt32BE(3);
    if (this.buf.length < 7 + size + 1) return undefined;
    const end = this.buf.readUInt8(7 + size);
    if (end !== FRAME_END) throw new Error(`bad frame-end octet 0x${end.toString(16)} from server`);
    const payload = Buffer.from(this.buf.subarray(7, 7 + size));
    this.buf = this.buf.subarray(7 + size + 1);
    const f = { type, channel, payload };
    this.log.push(f);
    return f;
  }

  /**
   * Reads the next frame. Rejects with SocketClosedError when the socket closes first and with
   * TimeoutError after timeoutMs. Heartbeat frames are skipped unless `heartbeats` is true.
   */
  async nextFrame(timeoutMs = DEFAULT_TIMEOUT, heartbeats = false): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = await this.waitFor(() => this.tryParseFrame(), Math.max(0, deadline - Date.now()), 'a frame');
      if (f.type === FRAME_HEARTBEAT && !heartbeats) continue;
      return f;
    }
  }

  /** Reads frames until one satisfies pred (others are dropped); bounded by timeoutMs overall. */
  async nextMatching(pred: (f: Frame) => boolean, timeoutMs = DEFAULT_TIMEOUT, what = 'a matching frame'): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new TimeoutError(`timed out waiting for ${what}`);
      let f: Frame;
      try {
        f = await this.nextFrame(left, true);
      } catch (e) {
        if (e instanceof TimeoutError) throw new TimeoutError(`timed out waiting for ${what}`);
        throw e;
      }
      if (pred(f)) return f;
    }
  }

  /** Reads the next non-heartbeat frame and checks that it is the given method; returns its args. */
  async expectMethod(channel: number, id: MethodId, timeoutMs = DEFAULT_TIMEOUT): Promise<Buffer> {
    const f = await this.nextFrame(timeoutMs);
    if (f.type !== FRAME_METHOD || f.channel !== channel) {
      throw new Error(`expected method ${id.join('.')} on channel ${channel}, got ${describeFrame(f)}`);
    }
    const m = decodeMethod(f.payload);
    if (m.classId !== id[0] || m.methodId !== id[1]) {
      throw new Error(`expected method ${id.join('.')} on channel ${channel}, got ${describeFrame(f)}`);
    }
    return m.args;
  }

  /** Performs the whole opening handshake, from protocol header to connection.open-ok. */
  async handshake(opts: HandshakeOptions = {}): Promise<HandshakeResult> {
    const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT;
    this.sendHeader();
    const start = dec.start(await this.expectMethod(0, M.connectionStart, timeout));
    const user = opts.user ?? 'guest';
    const pass = opts.pass ?? 'guest';
    const mechanism = opts.mechanism ?? 'PLAIN';
    const response = opts.response ?? (mechanism === 'AMQPLAIN' ? amqplainResponse(user, pass) : plainResponse(user, pass));
    this.sendMethod(
      0,
      M.connectionStartOk,
      enc.startOk({ clientProperties: clientProperties(opts.capabilities ?? DEFAULT_CLIENT_CAPABILITIES), mechanism, response }),
    );
    const tune = dec.tune(await this.expectMethod(0, M.connectionTune, timeout));
    const negotiated: Tune = {
      channelMax: opts.channelMax ?? tune.channelMax,
      frameMax: opts.frameMax ?? tune.frameMax,
      heartbeat: opts.heartbeat ?? 0,
    };
    this.frameMax = negotiated.frameMax || 131072;
    this.sendMethod(0, M.connectionTuneOk, enc.tuneOk(negotiated.channelMax, negotiated.frameMax, negotiated.heartbeat));
    this.sendMethod(0, M.connectionOpen, enc.open(opts.vhost ?? '/'));
    await this.expectMethod(0, M.connectionOpenOk, timeout);
    return { start, tune, negotiated };
  }

  async openChannel(channel: number, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    this.sendMethod(channel, M.channelOpen, enc.channelOpen());
    await this.expectMethod(channel, M.channelOpenOk, timeoutMs);
  }

  async closeChannel(channel: number, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    this.sendMethod(channel, M.channelClose, enc.close(200, 'Goodbye'));
    await this.expectMethod(channel, M.channelCloseOk, timeoutMs);
  }

  async declareQueue(channel: number, queue: string, o: Parameters<typeof enc.queueDeclare>[1] = {}): Promise<QueueDeclareOk> {
    this.sendMethod(channel, M.queueDeclare, enc.queueDeclare(queue, o));
    return dec.queueDeclareOk(await this.expectMethod(channel, M.queueDeclareOk));
  }

  async deleteQueue(channel: number, queue: string): Promise<void> {
    this.sendMethod(channel, M.queueDelete, enc.queueDelete(queue));
    await this.expectMethod(channel, M.queueDeleteOk);
  }

  /** basic.publish + content header + body split into frames of at most frameMax - 8 bytes. */
  publish(channel: number, exchange: string, routingKey: string, body: Buffer, o: { mandatory?: boolean; immediate?: boolean; props?: BasicProperties; frameMax?: number } = {}): void {
    const max = (o.frameMax ?? this.frameMax) - 8;
    let batch: Buffer[] = [methodFrame(channel, M.basicPublish, enc.basicPublish(exchange, routingKey, o)), contentHeaderFrame(channel, body.length, o.props)];
    let batchBytes = 0;
    for (let off = 0; off < body.length; off += max) {
      const f = bodyFrame(channel, body.subarray(off, off + max));
      batch.push(f);
      batchBytes += f.length;
      if (batchBytes >= 1 << 20) {
        this.send(Buffer.concat(batch));
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length) this.send(Buffer.concat(batch));
  }

  /** Reads a content header and body frames on `channel` and returns the assembled body. */
  async readContent(channel: number, timeoutMs = DEFAULT_TIMEOUT): Promise<{ header: ContentHeader; body: Buffer; bodyFrames: number }> {
    const deadline = Date.now() + timeoutMs;
    const hf = await this.nextFrame(timeoutMs);
    if (hf.type !== FRAME_HEADER || hf.channel !== channel) throw new Error(`expected content header on ${channel}, got ${describeFrame(hf)}`);
    const header = dec.contentHeader(hf.payload);
    const parts: Buffer[] = [];
    let got = 0;
    let bodyFrames = 0;
    while (BigInt(got) < header.bodySize) {
      const bf = await this.nextFrame(Math.max(1, deadline - Date.now()));
      if (bf.type !== FRAME_BODY || bf.channel !== channel) throw new Error(`expected body frame on ${channel}, got ${describeFrame(bf)}`);
      parts.push(bf.payload);
      got += bf.payload.length;
      bodyFrames++;
    }
    return { header, body: Buffer.concat(parts), bodyFrames };
  }

  /**
   * Waits for connection.close from the server (other frames are skipped), checks the reply code
   * if given, and (by default) answers with connection.close-ok.
   */
  async expectConnectionClose(code?: number, timeoutMs = DEFAULT_TIMEOUT, replyCloseOk = true): Promise<Close> {
    const f = await this.nextMatching((x) => x.channel === 0 && isMethod(x, M.connectionClose), timeoutMs, 'connection.close');
    const c = dec.close(decodeMethod(f.payload).args);
    if (replyCloseOk) this.sendMethod(0, M.connectionCloseOk);
    if (code !== undefined && c.replyCode !== code) {
      throw new Error(`expected connection.close ${code}, got ${c.replyCode} ${JSON.stringify(c.replyText)} (${c.classId}.${c.methodId})`);
    }
    return c;
  }

  /** Waits for channel.close on `channel` (other frames skipped), checks code, answers close-ok. */
  async expectChannelClose(channel: number, code?: number, timeoutMs = DEFAULT_TIMEOUT, replyCloseOk = true): Promise<Close> {
    const f = await this.nextMatching((x) => isMethod(x, M.connectionClose) || (x.channel === channel && isMethod(x, M.channelClose)), timeoutMs, `channel.close on ${channel}`);
    const c = dec.close(decodeMethod(f.payload).args);
    if (isMethod(f, M.connectionClose)) {
      throw new Error(`expected channel.close on ${channel}, got connection.close ${c.replyCode} ${JSON.stringify(c.replyText)} (${c.classId}.${c.methodId})`);
    }
    if (replyCloseOk) this.sendMethod(channel, M.channelCloseOk);
    if (code !== undefined && c.replyCode !== code) {
      throw new Error(`expected channel.close ${code}, got ${c.replyCode} ${JSON.stringify(c.replyText)} (${c.classId}.${c.methodId})`);
    }
    return c;
  }

  /** Resolves with the ms waited once the peer closed the socket; rejects after timeoutMs. */
  async waitForSocketClose(timeoutMs = DEFAULT_TIMEOUT): Promise<number> {
    const t0 = Date.now();
    if (this.closed) return 0;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.closedPromise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new TimeoutError(`socket not closed by peer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return Date.now() - t0;
  }

  /**
   * Waits for the socket to close while discarding any frames the server sends meanwhile.
   * Returns the frames that were discarded.
   */
  async drainUntilClosed(timeoutMs = DEFAULT_TIMEOUT): Promise<Frame[]> {
    const frames: Frame[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        frames.push(await this.nextFrame(Math.max(1, deadline - Date.now()), true));
      } catch (e) {
        if (e instanceof SocketClosedError) return frames;
        throw e;
      }
    }
  }

  /**
   * Expects the peer to close the socket without sending any frame (heartbeats excepted) within
   * timeoutMs. Resolves with the ms waited; rejects if a frame arrives or on timeout.
   */
  async expectSilentClose(timeoutMs = DEFAULT_TIMEOUT): Promise<number> {
    const t0 = Date.now();
    const frames = (await this.drainUntilClosed(timeoutMs)).filter((f) => f.type !== FRAME_HEARTBEAT);
    if (frames.length) throw new Error(`expected a silent close, got ${frames.map(describeFrame).join(', ')}`);
    if (this.buf.length) throw new Error(`expected a silent close, got raw bytes ${this.buf.toString('hex')}`);
    return Date.now() - t0;
  }

  /**
   * Client-initiated orderly close: connection.close, wait for close-ok, then close the socket
   * from this side (as real clients do: RabbitMQ itself only drops the socket min(heartbeat, 30) s
   * after close-ok).
   */
  async close(timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    this.sendMethod(0, M.connectionClose, enc.close(200, 'Goodbye'));
    try {
      await this.nextMatching((f) => isMethod(f, M.connectionCloseOk), timeoutMs, 'connection.close-ok');
    } finally {
      this.destroy();
    }
  }

  /** Tears the socket down without ceremony (safe to call repeatedly). */
  destroy(): void {
    this.socket.destroy();
  }
}

export function describeFrame(f: Frame): string {
  if (f.type === FRAME_METHOD && f.payload.length >= 4) {
    const m = decodeMethod(f.payload);
    let extra = '';
    if ((m.classId === 10 && m.methodId === 50) || (m.classId === 20 && m.methodId === 40)) {
      try {
        const c = dec.close(m.args);
        extra = ` ${c.replyCode} ${JSON.stringify(c.replyText)} ${c.classId}.${c.methodId}`;
      } catch {
        /* ignore */
      }
    }
    return `method ${m.classId}.${m.methodId} on channel ${f.channel}${extra}`;
  }
  return `frame type ${f.type} on channel ${f.channel} (${f.payload.length} bytes)`;
}

/** Connects and performs the whole handshake; returns the client and the handshake result. */
export async function openConnection(host: string, port: number, opts: HandshakeOptions = {}): Promise<RawClient & { hs: HandshakeResult }> {
  const c = await RawClient.connect(host, port, opts.timeoutMs);
  try {
    const hs = await c.handshake(opts);
    return Object.assign(c, { hs });
  } catch (e) {
    c.destroy();
    throw e;
  }
}

export interface StalledConsumer {
  client: RawClient;
  socket: Socket;
  /** body frames read so far */
  received(): number;
  /** resolves once `n` body frames have been read */
  all(n: number): Promise<void>;
}

/**
 * A raw no-ack consumer (channel 1) whose socket is paused, so that "not reading" really means the
 * socket is not read. Once resumed it counts body frames as they stream in (one per message when
 * each body fits a frame), keeping only a partial frame between chunks.
 */
export async function stalledConsumer(host: string, port: number, queue: string, consumerTag: string): Promise<StalledConsumer> {
  const client = await openConnection(host, port);
  await client.openChannel(1);
  const socket = client.socket;
  socket.removeAllListeners('data');
  let bodies = 0;
  let rest: Buffer = Buffer.alloc(0);
  let want = Infinity;
  let done: () => void = () => {};
  socket.on('data', (d: Buffer) => {
    const buf = rest.length > 0 ? Buffer.concat([rest, d]) : d;
    let pos = 0;
    while (buf.length - pos >= 7) {
      const size = buf.readUInt32BE(pos + 3);
      if (buf.length - pos < size + 8) break;
      if (buf[pos] === FRAME_BODY) bodies += 1;
      pos += size + 8;
    }
    rest = buf.subarray(pos);
    if (bodies >= want) done();
  });
  socket.pause();
  client.sendMethod(1, M.basicConsume, enc.basicConsume(queue, { consumerTag, noAck: true }));
  return {
    client,
    socket,
    received: () => bodies,
    all: (n) =>
      new Promise<void>((resolve) => {
        want = n;
        done = resolve;
        if (bodies >= n) resolve();
      }),
  };
}

/**
 * Checks that the broker still serves a fresh connection: full handshake, channel.open, a
 * server-named exclusive queue.declare, orderly close. Throws if any step fails or times out.
 */
export async function assertBrokerAlive(host: string, port: number, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
  const c = await openConnection(host, port, { timeoutMs });
  try {
    await c.openChannel(1, timeoutMs);
    const ok = await c.declareQueue(1, '', { exclusive: true });
    if (!ok.queue) throw new Error('server-named queue has an empty name');
    await c.close(timeoutMs);
  } finally {
    c.destroy();
  }
}
