// The on-disk record format shared by WAL segments and checkpoints (see docs/storage.md).
//   record = crc32c u32 | length u32 | type u8 | payload
// `length` counts type + payload; the CRC covers the same bytes. Integers are big-endian.
import { crc32c } from '@node-rs/crc32';

export const REC = {
  /** a message: exchange shortstr | routing key shortstr | props length u32 | props | body */
  MSG: 1,
  /** a durable queue's identity: id u32 | vhost shortstr | name shortstr | flags u8 | arguments (AMQP table) */
  QDEF: 2,
  /** a durable queue was deleted: id u32 */
  QDEL: 3,
  /**
   * queue id u32 | seq f64 | segment u32 | offset f64 | length u32 | flags u8 [| expires-at f64]
   * (the expiry time, ms since the epoch, is there only for an entry with a message TTL; in a
   * checkpoint such entries go in ENQX records instead)
   */
  ENQ: 4,
  /** first delivery of an entry: queue id u32 | seq f64 */
  DLV: 5,
  /** an entry is gone (acked, rejected, purged, dropped): queue id u32 | seq f64 */
  ACK: 6,
  /** checkpoint header: WAL replay position segment u32 | offset f64 | next queue id u32 */
  CKPT: 7,
  /** checkpoint trailer: entry count f64 (a checkpoint without it is incomplete) */
  END: 8,
  /** checkpoint: bulk ENQ whose entries each end with expires-at f64 (message TTL) */
  ENQX: 9,
} as const;

export const RECORD_HEADER = 8;
/** ENQ flag bits */
export const FLAG_REDELIVERED = 1;

/** Fills in length and CRC for a record whose type+payload occupy buf[start+8, end). */
export function sealRecord(buf: Buffer, start: number, end: number): void {
  buf.writeUInt32BE(end - start - RECORD_HEADER, start + 4);
  buf.writeUInt32BE(crc32c(buf.subarray(start + RECORD_HEADER, end)), start);
}

export type ParseResult =
  | { kind: 'ok'; type: number; payloadStart: number; end: number }
  | { kind: 'torn' } // fewer bytes left than the record claims: an interrupted write
  | { kind: 'corrupt'; end: number }; // CRC mismatch: skip `end` if the length looks sane

/** Reads the record at `pos`, checking its CRC. */
export function parseRecord(buf: Buffer, pos: number, limit: number): ParseResult {
  if (limit - pos < RECORD_HEADER + 1) return { kind: 'torn' };
  const len = buf.readUInt32BE(pos + 4);
  const end = pos + RECORD_HEADER + len;
  if (len === 0) return { kind: 'torn' }; // zero-filled tail (preallocated or never written)
  if (end > limit) return { kind: 'torn' };
  const crc = buf.readUInt32BE(pos);
  if (crc32c(buf.subarray(pos + RECORD_HEADER, end)) !== crc) return { kind: 'corrupt', end };
  return { kind: 'ok', type: buf[pos + RECORD_HEADER] as number, payloadStart: pos + RECORD_HEADER + 1, end };
}
