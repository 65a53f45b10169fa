// All bytes a connection sends go through one Outbound: frames are written into a slab, large
// bodies are queued as views, and everything written during one turn of the event loop leaves in a
// single corked burst (one writev). The slab only moves forward, so queued views stay valid until
// the socket has written them; a full slab is simply replaced.
//
// One slab serves every connection: the Outbound writing now owns it, and when another one starts
// writing, the previous owner cuts its bytes into its own pending list and hands over the position.
// So a connection costs no slab of its own (thousands of mostly idle connections stay small), and a
// turn's output for many connections shares one allocation.
import type { Socket } from 'node:net';
import { ByteWriter } from '../protocol/byte-writer.js';
import { FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_HEARTBEAT, FRAME_METHOD } from '../protocol/generated/constants.js';
import { type AnyMethod, encodeMethod, M } from '../protocol/generated/methods.js';

/** 64 KiB slabs: a few hundred small deliveries per allocation, and Node's own read size. */
const SLAB_SIZE = 64 * 1024;
/** Bodies at least this big are sent as views instead of being copied into the slab. */
const COPY_LIMIT = 4096;
const BASIC_CLASS = 60;

export interface ContentSource {
  /** property flags + property values exactly as the publisher sent them */
  readonly propsRaw: Buffer;
  readonly body: Buffer;
}

/** Called around each flush: the connection emits coalesced confirms before, resumes after. */
export interface OutboundHooks {
  beforeFlush(): void;
  afterFlush(): void;
}

/** The shared slab and the position the next writer starts at (see the file comment). */
const arena: { slab: Buffer; pos: number; owner: Outbound | null } = { slab: Buffer.allocUnsafe(SLAB_SIZE), pos: 0, owner: null };
const NO_SLAB = Buffer.alloc(0);

export class Outbound {
  /** the arena's slab and position while this Outbound owns it */
  private slab: Buffer = NO_SLAB;
  private pos = 0;
  private segStart = 0;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private scheduled = false;
  private closed = false;
  private readonly scratch = new ByteWriter(512);
  private readonly flushBound = (): void => this.flush();
  /** bytes written since the heartbeat timer last looked */
  wroteSinceTick = false;

  constructor(
    private readonly socket: Socket,
    private readonly hooks: OutboundHooks,
  ) {}

  /** Bytes accepted but not yet handed to the kernel: our queue plus the socket's. */
  get backlog(): number {
    return this.pendingLen + (this.pos - this.segStart) + this.socket.writableLength;
  }

  close(): void {
    this.closed = true;
    if (arena.owner === this) {
      this.release();
      arena.owner = null;
    }
  }

  /** Takes the shared slab over from its previous owner. */
  private claim(): void {
    const prev = arena.owner;
    if (prev !== null) prev.release();
    arena.owner = this;
    this.slab = arena.slab;
    this.pos = arena.pos;
    this.segStart = this.pos;
  }

  /** Another Outbound takes the slab: keep what we wrote as a pending view, hand back the position. */
  private release(): void {
    this.cut();
    arena.slab = this.slab;
    arena.pos = this.pos;
    this.slab = NO_SLAB;
  }

  private ensure(n: number): void {
    if (arena.owner !== this) this.claim();
    if (this.pos + n <= this.slab.length) return;
    this.cut();
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_SIZE, n));
    this.pos = 0;
    this.segStart = 0;
  }

  /** Writes a frame's 7-byte header at the current position (room already ensured); returns the payload offset. */
  private head(type: number, channel: number, size: number): number {
    const s = this.slab;
    const p = this.pos;
    s[p] = type;
    s.writeUInt16BE(channel, p + 1);
    s.writeUInt32BE(size, p + 3);
    return p + 7;
  }

  /** Move the slab bytes written so far into the pending list. */
  private cut(): void {
    if (arena.owner === this && this.pos > this.segStart) {
      this.pending.push(this.slab.subarray(this.segStart, this.pos));
      this.pendingLen += this.pos - this.segStart;
      this.segStart = this.pos;
    }
  }

  private schedule(): void {
    this.wroteSinceTick = true;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
  }

  /** Asks for a flush at the end of this turn even if nothing was written yet. */
  requestFlush(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
  }

  /** Hands everything queued to the socket in one corked write. */
  flush(): void {
    this.scheduled = false;
    this.hooks.beforeFlush();
    this.cut();
    if (this.pending.length === 0) return;
    const list = this.pending;
    this.pending = [];
    this.pendingLen = 0;
    if (this.closed || this.socket.destroyed) return;
    if (list.length === 1) this.socket.write(list[0] as Buffer);
    else {
      this.socket.cork();
      for (const b of list) this.socket.write(b);
      this.socket.uncork();
    }
    this.hooks.afterFlush();
  }

  raw(bytes: Buffer): void {
    this.ensure(bytes.length);
    bytes.copy(this.slab, this.pos);
    this.pos += bytes.length;
    this.schedule();
  }

  heartbeat(): void {
    this.ensure(8);
    const p = this.head(FRAME_HEARTBEAT, 0, 0);
    this.slab[p] = FRAME_END;
    this.pos = p + 1;
    this.schedule();
  }

  /** Any method, encoded through the generated codec (not the hot path). */
  method(channel: number, m: AnyMethod): void {
    const w = this.scratch;
    w.pos = 0;
    encodeMethod(w, m);
    const size = w.pos;
    this.ensure(size + 8);
    const p = this.head(FRAME_METHOD, channel, size);
    w.buf.copy(this.slab, p, 0, size);
    this.slab[p + size] = FRAME_END;
    this.pos = p + size + 1;
    this.schedule();
  }

  /** basic.deliver + content, written straight into the slab (the delivery hot path). */
  deliver(
    channel: number,
    consumerTag: string,
    deliveryTag: number,
    redelivered: boolean,
    exchange: string,
    routingKey: string,
    msg: ContentSource,
    frameMax: number,
  ): void {
    const ctLen = Buffer.byteLength(consumerTag);
    const exLen = Buffer.byteLength(exchange);
    const rkLen = Buffer.byteLength(routingKey);
    const size = 4 + 1 + ctLen + 8 + 1 + 1 + exLen + 1 + rkLen;
    this.ensure(size + 8);
    const s = this.slab;
    let p = this.head(FRAME_METHOD, channel, size);
    s.writeUInt32BE(M.BasicDeliver, p);
    p += 4;
    s[p++] = ctLen;
    p += s.write(consumerTag, p, ctLen, 'utf8');
    s.writeUInt32BE(Math.floor(deliveryTag / 0x100000000), p);
    s.writeUInt32BE(deliveryTag >>> 0, p + 4);
    p += 8;
    s[p++] = redelivered ? 1 : 0;
    s[p++] = exLen;
    p += s.write(exchange, p, exLen, 'utf8');
    s[p++] = rkLen;
    p += s.write(routingKey, p, rkLen, 'utf8');
    s[p++] = FRAME_END;
    this.pos = p;
    this.content(channel, msg, frameMax);
  }

  /** basic.get-ok + content. */
  getOk(
    channel: number,
    deliveryTag: number,
    redelivered: boolean,
    exchange: string,
    routingKey: string,
    messageCount: number,
    msg: ContentSource,
    frameMax: number,
  ): void {
    this.method(channel, { id: M.BasicGetOk, deliveryTag, redelivered, exchange, routingKey, messageCount });
    this.content(channel, msg, frameMax);
  }

  /** basic.return + content. */
  basicReturn(channel: number, replyCode: number, replyText: string, exchange: string, routingKey: string, msg: ContentSource, frameMax: number): void {
    this.method(channel, { id: M.BasicReturn, replyCode, replyText, exchange, routingKey });
    this.content(channel, msg, frameMax);
  }

  /** Content header frame and body frames, each body frame at most frameMax bytes in all. */
  content(channel: number, msg: ContentSource, frameMax: number): void {
    const props = msg.propsRaw;
    const body = msg.body;
    const hsize = 12 + props.length;
    this.ensure(hsize + 8);
    const s = this.slab;
    let p = this.head(FRAME_HEADER, channel, hsize);
    s.writeUInt16BE(BASIC_CLASS, p);
    s.writeUInt16BE(0, p + 2); // weight, always 0
    s.writeUInt32BE(Math.floor(body.length / 0x100000000), p + 4);
    s.writeUInt32BE(body.length >>> 0, p + 8);
    p += 12;
    props.copy(s, p);
    p += props.length;
    s[p++] = FRAME_END;
    this.pos = p;
    const maxChunk = frameMax - 8;
    for (let off = 0; off < body.length; off += maxChunk) {
      const n = Math.min(maxChunk, body.length - off);
      if (n < COPY_LIMIT) {
        this.ensure(n + 8);
        const q = this.head(FRAME_BODY, channel, n);
        body.copy(this.slab, q, off, off + n);
        this.slab[q + n] = FRAME_END;
        this.pos = q + n + 1;
      } else {
        this.ensure(8);
        this.pos = this.head(FRAME_BODY, channel, n);
        this.cut();
        this.pending.push(body.subarray(off, off + n));
        this.pendingLen += n;
        this.slab[this.pos++] = FRAME_END;
      }
    }
    this.schedule();
  }
}
