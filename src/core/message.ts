// A published message as the broker holds it. One Message object is shared by every queue it is
// routed to. Properties stay as the raw bytes the publisher sent (re-emitted unchanged on delivery);
// the few fields the broker itself needs are decoded lazily, once.
import { ByteReader } from '../protocol/byte-reader.js';
import { ByteWriter } from '../protocol/byte-writer.js';
import type { FieldTable } from '../protocol/field-value.js';
import { type BasicProperties, decodeProperties, encodeProperties, PROPERTY_FLAGS } from '../protocol/generated/properties.js';

const reader = new ByteReader();

let nextMessageId = 1;

export class Message {
  /** broker-wide, increasing: a queue's order and the store's key */
  readonly id: number;
  private props: BasicProperties | undefined;
  /** where the store keeps this message's record: segment (0 = not written), offset, length */
  seg = 0;
  off = 0;
  len = 0;

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    /** property flags + values, byte-for-byte as published */
    public propsRaw: Buffer,
    readonly body: Buffer,
  ) {
    this.id = nextMessageId++;
  }

  get bodySize(): number {
    return this.body.length;
  }

  /** All properties, decoded on first use. */
  properties(): BasicProperties {
    if (this.props === undefined) this.props = decodeProperties(reader.reset(this.propsRaw, 0, this.propsRaw.length));
    return this.props;
  }

  /**
   * delivery_mode 2 = persistent. Checked for every message routed to a durable queue, so it reads
   * the one octet in place: only content-type, content-encoding and headers can precede it, and
   * each is skipped by its length prefix. Falls back to a full decode if the bytes look short.
   */
  get persistent(): boolean {
    const raw = this.propsRaw;
    if (raw.length < 2) return false;
    const flags = raw.readUInt16BE(0);
    if ((flags & PROPERTY_FLAGS.deliveryMode) === 0) return false;
    if (this.props !== undefined) return this.props.deliveryMode === 2;
    let p = 2;
    if (flags & PROPERTY_FLAGS.contentType) p += 1 + (raw[p] ?? 0);
    if (flags & PROPERTY_FLAGS.contentEncoding) p += 1 + (raw[p] ?? 0);
    if (flags & PROPERTY_FLAGS.headers) p += p + 4 <= raw.length ? 4 + raw.readUInt32BE(p) : raw.length;
    return p < raw.length ? raw[p] === 2 : this.properties().deliveryMode === 2;
  }

  get headers(): FieldTable | undefined {
    if (this.propsRaw.length < 2 || (this.propsRaw.readUInt16BE(0) & PROPERTY_FLAGS.headers) === 0) return undefined;
    return this.properties().headers;
  }

  /** Replaces the properties (used where RabbitMQ rewrites them, e.g. direct reply-to). */
  setProperties(p: BasicProperties): void {
    const w = new ByteWriter(64 + this.propsRaw.length);
    encodeProperties(w, p);
    this.propsRaw = Buffer.from(w.bytes());
    this.props = p;
  }
}

/** Encodes properties into the raw form a Message keeps (for messages the broker itself makes). */
export function rawProperties(p: BasicProperties): Buffer {
  const w = new ByteWriter(64);
  encodeProperties(w, p);
  return Buffer.from(w.bytes());
}
