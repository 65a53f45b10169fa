// Message layout and pre-encoded publish frames.
//
// Every body starts with a 32-byte header, little-endian:
//   0  u32  MAGIC
//   4  u32  run id (a random number per load-generator run; stale messages are told apart)
//   8  u32  producer id
//   12 u32  body size in bytes (checked against the content header and the bytes received)
//   16 u32  sequence number, 1, 2, 3 ... per producer
//   20 u32  reserved (0)
//   24 f64  send time, process.hrtime() in ns (CLOCK_MONOTONIC, so comparable across processes)
// and the rest of the body is the byte pattern (i & 0xff); the consumer checks the last byte.
// Bodies of 16 to 31 bytes carry a compact header instead (no magic, no size field; the pattern
// follows from byte 16 on):
//   0  u32  sequence number
//   4  u16  producer id
//   6  u16  run id & 0xffff
//   8  f64  send time
import { FRAME_METHOD, FRAME_HEADER, FRAME_BODY, FRAME_END, M } from './amqp.mjs';

export const MAGIC = 0x424e5257; // "WRNB" read as LE u32
export const BODY_HEADER = 32;
export const OFF_MAGIC = 0, OFF_RUN = 4, OFF_PRODUCER = 8, OFF_SIZE = 12, OFF_SEQ = 16, OFF_TIME = 24;
export const SMALL_HEADER = 16;
export const S_OFF_SEQ = 0, S_OFF_PRODUCER = 4, S_OFF_RUN = 6, S_OFF_TIME = 8;

/**
 * Builds the frames of one basic.publish (method + content header + body frames) with the body
 * header filled in except seq and time. Returns { buf, seqOffset, timeOffset, keyOffset } where the
 * offsets are where to patch the sequence number (u32 LE), the send time (f64 LE) and the routing
 * key (another key of the same length may be written there).
 */
export function buildPublish({ channel, exchange = '', routingKey, size, persistent = true, priority, frameMax = 131072, runId, producerId }) {
  if (size < SMALL_HEADER) throw new Error(`message size must be at least ${SMALL_HEADER} bytes`);
  const ex = Buffer.from(exchange, 'utf8');
  const rk = Buffer.from(routingKey, 'utf8');
  const methodPayload = 4 + 2 + 1 + ex.length + 1 + rk.length + 1;
  // content header: class u16, weight u16, body size u64, flags u16, [delivery-mode u8], [priority u8]
  const withPriority = priority !== undefined;
  const headerPayload = 2 + 2 + 8 + 2 + (persistent ? 1 : 0) + (withPriority ? 1 : 0);
  const maxBody = frameMax - 8;
  const nBodyFrames = Math.ceil(size / maxBody);
  const total = (8 + methodPayload) + (8 + headerPayload) + nBodyFrames * 8 + size;
  const b = Buffer.alloc(total);
  let p = 0;
  // method frame
  b[p] = FRAME_METHOD; b.writeUInt16BE(channel, p + 1); b.writeUInt32BE(methodPayload, p + 3); p += 7;
  b.writeUInt32BE(M.basicPublish, p); p += 4;
  b.writeUInt16BE(0, p); p += 2;
  b[p++] = ex.length; ex.copy(b, p); p += ex.length;
  b[p++] = rk.length; const keyOffset = p; rk.copy(b, p); p += rk.length;
  b[p++] = 0; // mandatory, immediate
  b[p++] = FRAME_END;
  // content header frame
  b[p] = FRAME_HEADER; b.writeUInt16BE(channel, p + 1); b.writeUInt32BE(headerPayload, p + 3); p += 7;
  b.writeUInt16BE(60, p); p += 2;
  b.writeUInt16BE(0, p); p += 2;
  b.writeUInt32BE(Math.floor(size / 4294967296), p); b.writeUInt32BE(size >>> 0, p + 4); p += 8;
  b.writeUInt16BE((persistent ? 0x1000 : 0) | (withPriority ? 0x0800 : 0), p); p += 2;
  if (persistent) b[p++] = 2;
  if (withPriority) b[p++] = priority;
  b[p++] = FRAME_END;
  // body frames
  let bodyStart = -1;
  let done = 0;
  while (done < size) {
    const n = Math.min(maxBody, size - done);
    b[p] = FRAME_BODY; b.writeUInt16BE(channel, p + 1); b.writeUInt32BE(n, p + 3); p += 7;
    if (bodyStart < 0) bodyStart = p;
    for (let i = 0; i < n; i++) b[p + i] = (done + i) & 0xff;
    p += n;
    done += n;
    b[p++] = FRAME_END;
  }
  if (size < BODY_HEADER) {
    b.fill(0, bodyStart, bodyStart + SMALL_HEADER);
    b.writeUInt16LE(producerId & 0xffff, bodyStart + S_OFF_PRODUCER);
    b.writeUInt16LE(runId & 0xffff, bodyStart + S_OFF_RUN);
    if (p !== total) throw new Error('publish template size mismatch');
    return { buf: b, seqOffset: bodyStart + S_OFF_SEQ, timeOffset: bodyStart + S_OFF_TIME, keyOffset };
  }
  b.writeUInt32LE(MAGIC, bodyStart + OFF_MAGIC);
  b.writeUInt32LE(runId >>> 0, bodyStart + OFF_RUN);
  b.writeUInt32LE(producerId >>> 0, bodyStart + OFF_PRODUCER);
  b.writeUInt32LE(size >>> 0, bodyStart + OFF_SIZE);
  b.writeUInt32LE(0, bodyStart + OFF_SEQ);
  b.writeUInt32LE(0, bodyStart + 20);
  b.writeDoubleLE(0, bodyStart + OFF_TIME);
  if (p !== total) throw new Error('publish template size mismatch');
  return { buf: b, seqOffset: bodyStart + OFF_SEQ, timeOffset: bodyStart + OFF_TIME, keyOffset };
}
