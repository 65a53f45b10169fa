// Growable big-endian writer used by every encoder (methods, properties, tables).
// Subclasses (the connection's outbound buffer) override `grow` to move to a new slab.
import { type FieldTable, type FieldValue, isTypedValue } from './field-value.js';

export class EncodeError extends Error {}

export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Make room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  protected grow(n: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  i8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }
  i16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeUInt32BE(Math.floor(v / 0x100000000) >>> 0, this.pos);
    this.buf.writeUInt32BE(v >>> 0, this.pos + 4);
    this.pos += 8;
  }
  i64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatBE(v, this.pos);
    this.pos += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }
  raw(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  shortstr(s: string): void {
    const len = Buffer.byteLength(s);
    if (len > 255) throw new EncodeError(`shortstr longer than 255 bytes: ${len}`);
    this.ensure(1 + len);
    this.buf[this.pos] = len;
    this.buf.write(s, this.pos + 1, len, 'utf8');
    this.pos += 1 + len;
  }
  longstr(s: string | Buffer): void {
    if (typeof s === 'string') {
      const len = Buffer.byteLength(s);
      this.ensure(4 + len);
      this.buf.writeUInt32BE(len, this.pos);
      this.buf.write(s, this.pos + 4, len, 'utf8');
      this.pos += 4 + len;
    } else {
      this.u32(s.length);
      this.raw(s);
    }
  }

  table(t: FieldTable | undefined): void {
    this.ensure(4);
    const lenAt = this.pos;
    this.pos += 4;
    if (t) {
      for (const key of Object.keys(t)) {
        const v = t[key];
        if (v === undefined) continue;
        this.shortstr(key);
        this.fieldValue(v);
      }
    }
    // `grow` may have replaced this.buf, so patch the length through the current buffer
    this.buf.writeUInt32BE(this.pos - lenAt - 4, lenAt);
  }

  array(a: FieldValue[]): void {
    this.ensure(4);
    const lenAt = this.pos;
    this.pos += 4;
    for (const v of a) this.fieldValue(v);
    this.buf.writeUInt32BE(this.pos - lenAt - 4, lenAt);
  }

  fieldValue(v: FieldValue): void {
    if (typeof v === 'string') {
      this.u8(0x53);
      this.longstr(v);
    } else if (typeof v === 'boolean') {
      this.u8(0x74);
      this.u8(v ? 1 : 0);
    } else if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff && !Object.is(v, -0)) {
        this.u8(0x49);
        this.i32(v);
      } else {
        this.u8(0x64);
        this.f64(v);
      }
    } else if (typeof v === 'bigint') {
      this.u8(0x6c);
      this.i64(v);
    } else if (v === null) {
      this.u8(0x56);
    } else if (Buffer.isBuffer(v)) {
      this.u8(0x78);
      this.longstr(v);
    } else if (Array.isArray(v)) {
      this.u8(0x41);
      this.array(v);
    } else if (isTypedValue(v)) {
      this.typed(v.type, v.value);
    } else {
      this.u8(0x46);
      this.table(v);
    }
  }

  private typed(type: string, value: unknown): void {
    this.u8(type.charCodeAt(0));
    switch (type) {
      case 'b':
        return this.i8(value as number);
      case 'B':
        return this.u8(value as number);
      case 's':
        return this.i16(value as number);
      case 'u':
        return this.u16(value as number);
      case 'I':
        return this.i32(value as number);
      case 'i':
        return this.u32(value as number);
      case 'l':
        return this.i64(BigInt(value as bigint | number));
      case 'f':
        return this.f32(value as number);
      case 'd':
        return this.f64(value as number);
      case 'T':
        return this.u64(value as number);
      case 'D': {
        const d = value as { scale: number; value: number };
        this.u8(d.scale);
        return this.i32(d.value);
      }
      default:
        throw new EncodeError(`cannot encode field type ${type}`);
    }
  }
}
