// Splits a byte stream into AMQP frames. Frames that lie inside one socket chunk are handed on as
// views (no copy); only a frame that spans chunks is assembled into its own buffer, allocated once
// at its final size. The frame size is checked against frame-max before anything is buffered, so a
// peer cannot make us hold more than one oversized header's worth of bytes.
import { FRAME_END } from './generated/constants.js';

export interface FrameSink {
  /**
   * One complete frame; payload is buf[start, end). Called synchronously from push(). Returning
   * false holds the frame unprocessed: the reader keeps it and everything after it until the
   * next push() (e.g. a publish that arrives while the connection is blocked).
   */
  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): boolean | undefined;
}

export class FrameTooLargeError extends Error {
  constructor(
    readonly frameType: number,
    readonly payloadSize: number,
    /** the largest payload the peer was told about: frame_max minus 8 octets of framing */
    readonly limit: number,
  ) {
    super(`frame payload of ${payloadSize} octets exceeds ${limit}`);
  }
}
export class BadFrameEndError extends Error {
  constructor(
    readonly frameType: number,
    readonly payload: Buffer,
    readonly marker: number,
  ) {
    super(`bad frame end octet ${marker}`);
  }
}

const HEADER_SIZE = 7; // type(1) channel(2) size(4)

export class FrameReader {
  /** The negotiated frame_max; 0 means no limit. As in RabbitMQ, a payload of up to frame_max
   * octets is tolerated (8 octets of slack over the spec's frame_max − 8). */
  maxFrameSize: number;
  /** Set by the sink to stop parsing the rest of the current chunk (e.g. after a fatal error). */
  stopped = false;
  private partial: Buffer | null = null;
  /** bytes from a held frame onwards, re-parsed by the next push() */
  private held: Buffer | null = null;
  private partialLen = 0;
  /** 0 while the partial frame's header is not yet complete */
  private partialNeed = 0;

  constructor(
    private readonly sink: FrameSink,
    maxFrameSize: number,
  ) {
    this.maxFrameSize = maxFrameSize;
  }

  /** Bytes held for a frame that is not complete yet. */
  get buffered(): number {
    return this.partialLen;
  }

  /** True while a frame is held (see FrameSink.onFrame). */
  get holding(): boolean {
    return this.held !== null;
  }

  push(chunk: Buffer): void {
    if (this.held !== null) {
      const held = this.held;
      this.held = null;
      chunk = chunk.length === 0 ? held : Buffer.concat([held, chunk]);
    }
    let buf = chunk;
    let pos = 0;
    if (this.partial !== null) {
      if (this.partialNeed === 0) {
        // header incomplete: join the few bytes held with the new chunk
        buf = Buffer.concat([this.partial.subarray(0, this.partialLen), chunk]);
        this.partial = null;
        this.partialLen = 0;
      } else {
        const take = Math.min(this.partialNeed - this.partialLen, chunk.length);
        chunk.copy(this.partial, this.partialLen, 0, take);
        this.partialLen += take;
        pos = take;
        if (this.partialLen < this.partialNeed) return;
        const frame = this.partial;
        this.partial = null;
        this.partialLen = 0;
        this.partialNeed = 0;
        if (!this.emit(frame, 0)) {
          this.held = pos < chunk.length ? Buffer.concat([frame, chunk.subarray(pos)]) : frame;
          return;
        }
      }
    }
    while (!this.stopped) {
      const avail = buf.length - pos;
      if (avail < HEADER_SIZE) {
        if (avail > 0) {
          this.partial = Buffer.from(buf.subarray(pos));
          this.partialLen = avail;
          this.partialNeed = 0;
        }
        return;
      }
      const size = buf.readUInt32BE(pos + 3);
      const total = size + 8;
      if (this.maxFrameSize > 0 && size > this.maxFrameSize) {
        throw new FrameTooLargeError(buf[pos] as number, size, this.maxFrameSize - 8);
      }
      if (avail < total) {
        this.partial = Buffer.allocUnsafe(total);
        buf.copy(this.partial, 0, pos);
        this.partialLen = avail;
        this.partialNeed = total;
        return;
      }
      if (!this.emit(buf, pos)) {
        this.held = buf.subarray(pos);
        return;
      }
      pos += total;
    }
  }

  /** Hands one frame to the sink; false when the sink holds it. */
  private emit(buf: Buffer, pos: number): boolean {
    const size = buf.readUInt32BE(pos + 3);
    const end = pos + HEADER_SIZE + size;
    if (buf[end] !== FRAME_END) throw new BadFrameEndError(buf[pos] as number, buf.subarray(pos + HEADER_SIZE, end), buf[end] as number);
    return this.sink.onFrame(buf[pos] as number, buf.readUInt16BE(pos + 1), buf, pos + HEADER_SIZE, end) !== false;
  }
}
