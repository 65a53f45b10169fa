// A bounds-checked cursor over one frame payload. Every read past `end` throws SyntaxError so a
// truncated method becomes 502 SYNTAX_ERROR in exactly one place (the connection's error path).
import type { FieldTable, FieldValue } from './field-value.js';

export class FrameSyntaxError extends Error {}
/** A field value tag outside t b B s u I i l f d D S x A T F V (RabbitMQ drops such a peer). */
export class UnknownFieldTypeError extends Error {}

export class ByteReader {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;

  reset(buf: Buffer, pos: number, end: number): this {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    return this;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new FrameSyntaxError('frame payload too short');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }
  i8(): number {
    this.need(1);
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  /** Unsigned 64-bit as a JS number: delivery tags and timestamps stay far below 2^53. */
  u64(): number {
    this.need(8);
    const hi = this.buf.readUInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }
  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  f32(): number {
    this.need(4);
    const v = this.buf.readFloatBE(this.pos);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }
  shortstr(): string {
    const len = this.u8();
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
  longstrBytes(): Buffer {
    const len = this.u32();
    this.need(len);
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  longstr(): string {
    const len = this.u32();
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  table(): FieldTable {
    const len = this.u32();
    this.need(len);
    const stop = this.pos + len;
    const out: FieldTable = {};
    while (this.pos < stop) {
      const key = this.shortstr();
      out[key] = this.fieldValue();
    }
    if (this.pos !== stop) throw new FrameSyntaxError('field table overruns its length');
    return out;
  }

  array(): FieldValue[] {
    const len = this.u32();
    this.need(len);
    const stop = this.pos + len;
    const out: FieldValue[] = [];
    while (this.pos < stop) out.push(this.fieldValue());
    if (this.pos !== stop) throw new FrameSyntaxError('field array overruns its length');
    return out;
  }

  fieldValue(): FieldValue {
    const tag = this.u8();
    switch (tag) {
      case 0x74: // t
        return this.u8() !== 0;
      case 0x62: // b
        return { type: 'b', value: this.i8() };
      case 0x42: // B
        return { type: 'B', value: this.u8() };
      case 0x73: // s
        return { type: 's', value: this.i16() };
      case 0x75: // u
        return { type: 'u', value: this.u16() };
      case 0x49: // I
        return this.i32();
      case 0x69: // i
        return { type: 'i', value: this.u32() };
      case 0x6c: // l
        return this.i64();
      case 0x66: // f
        return { type: 'f', value: this.f32() };
      case 0x64: {
        // d: a double that happens to be an int32 integer would re-encode as I, so it stays typed
        const v = this.f64();
        return Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff && !Object.is(v, -0)
          ? { type: 'd', value: v }
          : v;
      }
      case 0x44: {
        // D: scale octet + int32 value
        const scale = this.u8();
        return { type: 'D', value: { scale, value: this.i32() } };
      }
      case 0x53: // S
        return this.longstr();
      case 0x78: // x
        return Buffer.from(this.longstrBytes());
      case 0x41: // A
        return this.array();
      case 0x54: // T
        return { type: 'T', value: this.u64() };
      case 0x46: // F
        return this.table();
      case 0x56: // V
        return null;
      default:
        throw new UnknownFieldTypeError(`unknown field type 0x${tag.toString(16)}`);
    }
  }
}
