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
import { FRAME_METHOD, FRAME_HEADER, FRAME_BODY, FRAME_END, M } from './amqp.mjs';

export const MAGIC = 0x424e5257; // "WRNB" read as LE u32
export const BODY_HEADER = 32;
export const OFF_MAGIC = 0, OFF_RUN = 4, OFF_PRODUCER = 8, OFF_SIZE = 12, OFF_SEQ = 16, OFF_TIME = 24;

/**
 * Builds the frames of one basic.publish (method + content header + body frames) with the body
 * header filled in except seq and time. Returns { buf, seqOffset, timeOffset } where the offsets
 * are where to patch the sequence number (u32 LE) and the send time (f64 LE).
 */
export function buildPublish({ channel, exchange = '', routingKey, size, persistent = true, frameMax = 131072, runId, producerId }) {
  if (size < BODY_HEADER) throw new Error(`message size must be at least ${BODY_HEADER} bytes`);
  const ex = Buffer.from(exchange, 'utf8');
  const rk = Buffer.from(routingKey, 'utf8');
  const methodPayload = 4 + 2 + 1 + ex.length + 1 + rk.length + 1;
  // content header: class u16, weight u16, body size u64, flags u16, [delivery-mode u8]
  const headerPayload = 2 + 2 + 8 + 2 + (persistent ? 1 : 0);
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
  b[p++] = rk.length; rk.copy(b, p); p += rk.length;
  b[p++] = 0; // mandatory, immediate
  b[p++] = FRAME_END;
  // content header frame
  b[p] = FRAME_HEADER; b.writeUInt16BE(channel, p + 1); b.writeUInt32BE(headerPayload, p + 3); p += 7;
  b.writeUInt16BE(60, p); p += 2;
  b.writeUInt16BE(0, p); p += 2;
  b.writeUInt32BE(Math.floor(size / 4294967296), p); b.writeUInt32BE(size >>> 0, p + 4); p += 8;
  if (persistent) { b.writeUInt16BE(0x1000, p); p += 2; b[p++] = 2; } else { b.writeUInt16BE(0, p); p += 2; }
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
  b.writeUInt32LE(MAGIC, bodyStart + OFF_MAGIC);
  b.writeUInt32LE(runId >>> 0, bodyStart + OFF_RUN);
  b.writeUInt32LE(producerId >>> 0, bodyStart + OFF_PRODUCER);
  b.writeUInt32LE(size >>> 0, bodyStart + OFF_SIZE);
  b.writeUInt32LE(0, bodyStart + OFF_SEQ);
  b.writeUInt32LE(0, bodyStart + 20);
  b.writeDoubleLE(0, bodyStart + OFF_TIME);
  if (p !== total) throw new Error('publish template size mismatch');
  return { buf: b, seqOffset: bodyStart + OFF_SEQ, timeOffset: bodyStart + OFF_TIME };
}
