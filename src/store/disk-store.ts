// The durable MessageStore: a WAL of segment files plus periodic checkpoints, in <dataDir>/store.
//
// Write path: message records (MSG) and queue events (QDEF, ENQ, DLV, ACK, QDEL) are appended to
// the WAL batch; Wal commits batches with one fdatasync each (group commit); a waiter (a channel
// owing publisher confirms) hears back when its batch is durable.
// Checkpoint: every CHECKPOINT_BYTES of WAL, the live state (durable queues and their entries) is
// written to `checkpoint` (tmp + fsync + rename + fsync dir) together with the WAL position P it
// reflects. Recovery = checkpoint + replay of the WAL from P. Segments wholly before P whose message
// records no entry references any more are deleted.
import { closeSync, existsSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Message } from '../core/message.js';
import type { Logger } from '../log.js';
import { ByteReader } from '../protocol/byte-reader.js';
import { ByteWriter } from '../protocol/byte-writer.js';
import type { FieldTable } from '../protocol/field-value.js';
import { FLAG_REDELIVERED, parseRecord, REC, RECORD_HEADER, sealRecord } from './records.js';
import type { DurableWaiter, MessageStore, RecordHolder, RecoveredQueue, StoredQueue, StoreStats } from './store.js';
import { SEGMENT_SIZE, type Segment, segmentName, Wal } from './wal.js';

/** Checkpoint after this much WAL: bounds replay time and lets old segments go. */
const CHECKPOINT_BYTES = 128 * 1024 * 1024;
/** Entries per bulk ENQ record in a checkpoint. */
const BULK = 4096;
const DELETED = 0x80;
/** A drain triggers a checkpoint once at least this many entries (and as many as remain) have left. */
const MIN_DEAD_FOR_CHECKPOINT = 100_000;
/** Segments compacted per checkpoint, to bound the pause (each copies at most a quarter segment). */
const COMPACT_PER_CHECKPOINT = 2;

/** Growable columns of recovered entries for one queue, in seq order. */
class RecoveredEntries implements RecoveredQueue {
  seq = new Float64Array(1024);
  seg = new Uint32Array(1024);
  off = new Uint32Array(1024);
  len = new Uint32Array(1024);
  size = new Uint32Array(1024);
  flags = new Uint8Array(1024);
  /** expiry times, allocated when the first entry with a TTL is added */
  exp: Float64Array | null = null;
  n = 0;
  deleted = 0;
  sorted = true;

  arguments: FieldTable;

  constructor(
    public id: number,
    public vhost: string,
    public name: string,
    public autoDelete: boolean,
    args: FieldTable,
  ) {
    this.arguments = args;
  }

  get count(): number {
    return this.n - this.deleted;
  }

  add(seq: number, seg: number, off: number, len: number, size: number, flags: number, exp = 0): void {
    if (this.n === this.seq.length) this.grow();
    const i = this.n++;
    if (exp !== 0) (this.exp ??= new Float64Array(this.seq.length))[i] = exp;
    if (i > 0 && (this.seq[i - 1] as number) >= seq) this.sorted = false;
    this.seq[i] = seq;
    this.seg[i] = seg;
    this.off[i] = off;
    this.len[i] = len;
    this.size[i] = size;
    this.flags[i] = flags;
  }

  private grow(): void {
    const cap = this.seq.length * 2;
    const g = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(cap);
      b.set(a);
      return b;
    };
    this.seq = g(this.seq, Float64Array);
    this.seg = g(this.seg, Uint32Array);
    this.off = g(this.off, Uint32Array);
    this.len = g(this.len, Uint32Array);
    this.size = g(this.size, Uint32Array);
    this.flags = g(this.flags, Uint8Array);
    if (this.exp !== null) this.exp = g(this.exp, Float64Array);
  }

  private find(seq: number): number {
    if (!this.sorted) this.sort();
    let lo = 0;
    let hi = this.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.seq[mid] as number;
      if (v === seq) return mid;
      if (v < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private sort(): void {
    const idx = Array.from({ length: this.n }, (_v, i) => i).sort((a, b) => (this.seq[a] as number) - (this.seq[b] as number));
    const pick = <T extends Float64Array | Uint32Array | Uint8Array>(a: T): void => {
      const copy = a.slice(0, this.n) as T;
      idx.forEach((from, to) => {
        a[to] = copy[from] as number;
      });
    };
    pick(this.seq);
    pick(this.seg);
    pick(this.off);
    pick(this.len);
    pick(this.size);
    pick(this.flags);
    if (this.exp !== null) pick(this.exp);
    this.sorted = true;
  }

  mark(seq: number, bit: number): void {
    const i = this.find(seq);
    if (i < 0) return;
    const f = this.flags[i] as number;
    if (bit === DELETED && (f & DELETED) === 0) this.deleted += 1;
    this.flags[i] = f | bit;
  }

  forEach(fn: (seq: number, seg: number, off: number, len: number, size: number, flags: number, expiresAt: number) => void): void {
    if (!this.sorted) this.sort();
    const exp = this.exp;
    for (let i = 0; i < this.n; i++) {
      const f = this.flags[i] as number;
      if ((f & DELETED) !== 0) continue;
      fn(this.seq[i] as number, this.seg[i] as number, this.off[i] as number, this.len[i] as number, this.size[i] as number, f, exp === null ? 0 : (exp[i] as number));
    }
  }
}

const tableReader = new ByteReader();

export class DiskStore implements MessageStore {
  readonly durable = true;
  private readonly dir: string;
  private readonly wal: Wal;
  private readonly queues = new Map<number, StoredQueue>();
  private nextQueueId = 1;
  private checkpointAt = { seg: 0, off: 0 };
  private walSinceCheckpoint = 0;
  /** entries acked since the last checkpoint */
  private deadSinceCheckpoint = 0;
  private checkpointing = false;
  private readonly paging = new Set<StoredQueue>();
  private kickScheduled = false;
  private liveEntries = 0;
  private closed = false;
  private readonly scratch = new ByteWriter(256);
  private holders: () => Iterable<RecordHolder> = () => [];
  /** compactions whose copies are not yet durable */
  private compacting = 0;
  /** segments the published checkpoint's entries point into: never deleted while it is current */
  private checkpointRefs = new Set<number>();

  private readonly checkpointBytes: number;

  constructor(
    dataDir: string,
    private readonly log: Logger,
    options: { segmentSize?: number; checkpointBytes?: number } = {},
  ) {
    this.dir = join(dataDir, 'store');
    this.wal = new Wal(this.dir, (waiters, err) => this.onDurable(waiters, err), options.segmentSize ?? SEGMENT_SIZE);
    this.checkpointBytes = options.checkpointBytes ?? CHECKPOINT_BYTES;
  }

  // --- recovery -------------------------------------------------------------------------------

  recover(): RecoveredQueue[] {
    const started = Date.now();
    mkdirSync(this.dir, { recursive: true });
    const recovered = new Map<number, RecoveredEntries>();
    this.loadCheckpoint(recovered);
    const ids = this.wal.listSegments();
    let replayed = 0;
    for (const id of ids) {
      const size = statSync(join(this.dir, segmentName(id))).size;
      const seg = this.wal.openSegment(id, size);
      if (id < this.checkpointAt.seg) continue; // before the checkpoint: only its MSG records matter
      const from = id === this.checkpointAt.seg ? this.checkpointAt.off : 0;
      replayed += this.replaySegment(seg.id, seg.fd, from, recovered, id === ids[ids.length - 1]);
    }
    // entries whose segment is gone cannot be delivered: report and drop them
    const out: RecoveredQueue[] = [];
    for (const q of recovered.values()) {
      let missing = 0;
      q.forEach((seq, seg) => {
        if (!this.wal.segments.has(seg)) {
          q.mark(seq, DELETED);
          missing += 1;
        }
      });
      if (missing > 0) this.log.error({ queue: q.name, vhost: q.vhost, missing }, 'message store: segment files missing; messages lost');
      q.forEach((_s, seg, _off, len) => {
        const s = this.wal.segments.get(seg);
        if (s) {
          s.live += 1;
          s.liveBytes += len;
        }
      });
      this.liveEntries += q.count;
      out.push(q);
    }
    const next = ids.length > 0 ? (ids[ids.length - 1] as number) + 1 : 1;
    this.wal.startSegment(Math.max(next, this.checkpointAt.seg + 1));
    this.collect();
    const messages = out.reduce((n, q) => n + q.count, 0);
    this.log.info({ queues: out.length, messages, replayedBytes: replayed, ms: Date.now() - started }, 'message store recovered');
    return out;
  }

  private loadCheckpoint(into: Map<number, RecoveredEntries>): void {
    const path = join(this.dir, 'checkpoint');
    if (!existsSync(path)) return;
    const buf = readFileSync(path);
    const r = tableReader;
    let pos = 0;
    let complete = false;
    const staged = new Map<number, RecoveredEntries>();
    let at = { seg: 0, off: 0 };
    let nextQueueId = 1;
    while (pos < buf.length) {
      const rec = parseRecord(buf, pos, buf.length);
      if (rec.kind !== 'ok') break;
      r.reset(buf, rec.payloadStart, rec.end);
      if (rec.type === REC.CKPT) {
        at = { seg: r.u32(), off: r.f64() };
        nextQueueId = r.u32();
      } else if (rec.type === REC.QDEF) {
        const q = this.readQdef(r);
        staged.set(q.id, q);
      } else if (rec.type === REC.ENQ || rec.type === REC.ENQX) {
        const withExpiry = rec.type === REC.ENQX;
        const id = r.u32();
        const q = staged.get(id);
        const count = r.u32();
        for (let i = 0; i < count; i++) {
          const seq = r.f64();
          const seg = r.u32();
          const off = r.u32();
          const len = r.u32();
          const size = r.u32();
          const flags = r.u8();
          q?.add(seq, seg, off, len, size, flags, withExpiry ? r.f64() : 0);
          this.checkpointRefs.add(seg);
        }
      } else if (rec.type === REC.END) {
        complete = true;
      }
      pos = rec.end;
    }
    if (!complete) {
      // written atomically, so this means damage: fall back to replaying every segment
      this.log.error({ path }, 'message store: checkpoint is damaged; replaying the whole log');
      return;
    }
    for (const [id, q] of staged) into.set(id, q);
    this.checkpointAt = at;
    this.nextQueueId = nextQueueId;
  }

  private readQdef(r: ByteReader): RecoveredEntries {
    const id = r.u32();
    const vhost = r.shortstr();
    const name = r.shortstr();
    const flags = r.u8();
    const args = r.table();
    if (id >= this.nextQueueId) this.nextQueueId = id + 1;
    return new RecoveredEntries(id, vhost, name, (flags & 1) !== 0, args);
  }

  /** Replays one segment from `from`; cuts a torn tail of the last segment. Returns bytes read. */
  private replaySegment(id: number, fd: number, from: number, into: Map<number, RecoveredEntries>, last: boolean): number {
    const buf = readFileSync(join(this.dir, segmentName(id)));
    const r = tableReader;
    let pos = from;
    while (pos < buf.length) {
      const rec = parseRecord(buf, pos, buf.length);
      if (rec.kind === 'torn') {
        this.log.warn({ segment: id, offset: pos, dropped: buf.length - pos }, 'message store: torn record at the end of a segment; truncating');
        if (last) {
          ftruncateSync(fd, pos);
          const s = this.wal.segments.get(id);
          if (s) {
            s.size = pos;
            s.written = pos;
          }
        }
        break;
      }
      if (rec.kind === 'corrupt') {
        this.log.error({ segment: id, offset: pos }, 'message store: corrupt record (checksum mismatch); skipped');
        pos = rec.end;
        continue;
      }
      r.reset(buf, rec.payloadStart, rec.end);
      switch (rec.type) {
        case REC.QDEF: {
          const q = this.readQdef(r);
          into.set(q.id, q);
          break;
        }
        case REC.QDEL:
          into.delete(r.u32());
          break;
        case REC.ENQ: {
          const q = into.get(r.u32());
          const seq = r.f64();
          const seg = r.u32();
          const off = r.u32();
          const len = r.u32();
          const msgSize = r.u32();
          const flags = r.u8();
          // older records end here; newer ones carry the expiry time of an entry with a TTL
          q?.add(seq, seg, off, len, msgSize, flags, r.end - r.pos >= 8 ? r.f64() : 0);
          break;
        }
        case REC.DLV:
          into.get(r.u32())?.mark(r.f64(), FLAG_REDELIVERED);
          break;
        case REC.ACK:
          into.get(r.u32())?.mark(r.f64(), DELETED);
          break;
        default:
          break; // MSG records are read on demand
      }
      pos = rec.end;
    }
    return buf.length - from;
  }

  // --- queues ---------------------------------------------------------------------------------

  addQueue(q: StoredQueue, recoveredId?: number): number {
    const id = recoveredId ?? this.nextQueueId++;
    this.queues.set(id, q);
    if (recoveredId === undefined) {
      const w = this.scratch;
      w.pos = 0;
      w.table(q.arguments);
      const args = w.bytes();
      const { buf, start } = this.wal.reserve(RECORD_HEADER + 1 + 4 + 512 + 1 + args.length);
      let p = start + RECORD_HEADER;
      buf[p++] = REC.QDEF;
      buf.writeUInt32BE(id, p);
      p += 4;
      p = writeShortstr(buf, p, q.vhost);
      p = writeShortstr(buf, p, q.name);
      buf[p++] = q.autoDelete ? 1 : 0;
      args.copy(buf, p);
      p += args.length;
      this.appended(this.wal.finish(start, p)[2]);
    }
    return id;
  }

  removeQueue(id: number): void {
    if (!this.queues.delete(id)) return;
    const { buf, start } = this.wal.reserve(RECORD_HEADER + 5);
    let p = start + RECORD_HEADER;
    buf[p++] = REC.QDEL;
    buf.writeUInt32BE(id, p);
    this.appended(this.wal.finish(start, p + 4)[2]);
  }

  // --- messages -------------------------------------------------------------------------------

  write(msg: Message): void {
    if (msg.seg !== 0) return;
    const props = msg.propsRaw;
    const body = msg.body;
    const { buf, start } = this.wal.reserve(RECORD_HEADER + 1 + 512 + 4 + props.length + body.length);
    let p = start + RECORD_HEADER;
    buf[p++] = REC.MSG;
    p = writeShortstr(buf, p, msg.exchange);
    p = writeShortstr(buf, p, msg.routingKey);
    buf.writeUInt32BE(props.length, p);
    p += 4;
    props.copy(buf, p);
    p += props.length;
    body.copy(buf, p);
    p += body.length;
    const [seg, off, len] = this.wal.finish(start, p);
    msg.seg = seg;
    msg.off = off;
    msg.len = len;
    this.appended(len);
  }

  isWritten(msg: Message): boolean {
    return msg.seg !== 0 && this.wal.isWritten(msg.seg, msg.off, msg.len);
  }

  read(seg: number, off: number, len: number): Message {
    const buf = this.wal.read(seg, off, len);
    const rec = parseRecord(buf, 0, len);
    if (rec.kind !== 'ok' || rec.type !== REC.MSG) throw new Error(`damaged message record in segment ${seg} at ${off}`);
    const r = tableReader.reset(buf, rec.payloadStart, rec.end);
    const exchange = r.shortstr();
    const routingKey = r.shortstr();
    const plen = r.u32();
    const props = Buffer.from(buf.subarray(r.pos, r.pos + plen));
    const body = Buffer.from(buf.subarray(r.pos + plen, rec.end));
    const m = new Message(exchange, routingKey, props, body);
    m.seg = seg;
    m.off = off;
    m.len = len;
    return m;
  }

  // --- queue entries --------------------------------------------------------------------------

  enqueue(queueId: number, seq: number, msg: Message, flags: number, expiresAt = 0): void {
    const { buf, start } = this.wal.reserve(RECORD_HEADER + 38);
    let p = start + RECORD_HEADER;
    buf[p++] = REC.ENQ;
    buf.writeUInt32BE(queueId, p);
    buf.writeDoubleBE(seq, p + 4);
    buf.writeUInt32BE(msg.seg, p + 12);
    buf.writeUInt32BE(msg.off, p + 16);
    buf.writeUInt32BE(msg.len, p + 20);
    buf.writeUInt32BE(msg.bodySize, p + 24);
    buf[p + 28] = flags;
    let end = p + 29;
    if (expiresAt !== 0) {
      buf.writeDoubleBE(expiresAt, end);
      end += 8;
    }
    this.liveEntries += 1;
    this.appended(this.wal.finish(start, end)[2]);
  }

  private event(type: number, queueId: number, seq: number): void {
    if (!this.queues.has(queueId)) return;
    const { buf, start } = this.wal.reserve(RECORD_HEADER + 13);
    const p = start + RECORD_HEADER;
    buf[p] = type;
    buf.writeUInt32BE(queueId, p + 1);
    buf.writeDoubleBE(seq, p + 5);
    this.appended(this.wal.finish(start, p + 13)[2]);
  }

  delivered(queueId: number, seq: number): void {
    this.event(REC.DLV, queueId, seq);
  }

  ack(queueId: number, seq: number): void {
    this.liveEntries -= 1;
    this.deadSinceCheckpoint += 1;
    this.event(REC.ACK, queueId, seq);
  }

  ref(seg: number, len: number): void {
    const s = this.wal.segments.get(seg);
    if (!s) return;
    s.live += 1;
    s.liveBytes += len;
  }

  unref(seg: number, len: number): void {
    const s = this.wal.segments.get(seg);
    if (!s) return;
    s.live -= 1;
    s.liveBytes -= len;
    if (this.droppable(s)) this.wal.drop(s.id);
  }

  setSideWork(work: () => Promise<void> | undefined): void {
    this.wal.sideWork = work;
  }

  requestCommit(): void {
    this.wal.sync({ durable: () => {} });
  }

  setHolders(holders: () => Iterable<RecordHolder>): void {
    this.holders = holders;
  }

  /**
   * Copies the live records of a segment that only a few old messages pin to the end of the log and
   * repoints every holder. The copies become authoritative with the next checkpoint, after which the
   * old segment (now unreferenced) is deleted. Holders the broker cannot reach (e.g. unacked
   * deliveries of a deleted queue) keep the old segment until they settle.
   */
  private compact(seg: Segment): void {
    if (this.compacting > 0) return; // one compaction in flight at a time
    const offsets = new Map<number, number>();
    for (const h of this.holders()) h.collectRecords(seg.id, (off, len) => offsets.set(off, len));
    const moved = new Map<number, readonly [number, number, number]>();
    for (const [off, len] of [...offsets].sort((a, b) => a[0] - b[0])) {
      let rec: Buffer;
      try {
        rec = this.wal.read(seg.id, off, len);
      } catch {
        continue;
      }
      const { buf, start } = this.wal.reserve(len);
      rec.copy(buf, start, 0, len);
      const [nseg, noff, nlen] = this.wal.finish(start, start + len);
      moved.set(off, [nseg, noff, nlen]);
    }
    if (moved.size === 0) return;
    // Repoint only once the copies are on disk: until then readers keep using the old records.
    this.compacting += 1;
    this.wal.sync({
      durable: (err: Error | null) => {
        this.compacting -= 1;
        if (err || this.closed) return;
        let n = 0;
        const touched = new Set<object>();
        const account = (oldLen: number, newSeg: number, newLen: number): void => {
          seg.live -= 1;
          seg.liveBytes -= oldLen;
          const t = this.wal.segments.get(newSeg);
          if (t) {
            t.live += 1;
            t.liveBytes += newLen;
          }
        };
        for (const h of this.holders()) n += h.relocateRecords(seg.id, moved, touched, account);
        if (n === 0) return; // nothing reachable moved (all settled meanwhile)
        this.walSinceCheckpoint = this.checkpointBytes; // the next commit checkpoints the new places
        this.log.info({ segment: seg.id, records: moved.size, entries: n }, 'message store: compacted a sparsely used segment');
      },
    });
  }

  // --- commits --------------------------------------------------------------------------------

  private appended(bytes: number): void {
    this.walSinceCheckpoint += bytes;
    if (!this.kickScheduled) {
      // acks and deliveries become durable in the next group commit even if nobody waits on them
      this.kickScheduled = true;
      setImmediate(() => {
        this.kickScheduled = false;
        this.wal.kick();
      });
    }
  }

  sync(waiter: DurableWaiter): void {
    this.wal.sync(waiter);
  }

  pageLater(q: StoredQueue): void {
    this.paging.add(q);
    this.wal.kick();
  }

  private onDurable(waiters: unknown[], err: Error | null): void {
    if (err) this.log.error({ err: err.message }, 'message store: write failed; publishes will be nacked');
    for (let i = 0; i < waiters.length; i++) (waiters[i] as DurableWaiter).durable(err);
    if (this.paging.size > 0) {
      const qs = [...this.paging];
      this.paging.clear();
      for (const q of qs) q.pageOut();
    }
    // a checkpoint rewrites every live entry (25 bytes each): with a big backlog, checkpoint less often
    // so that cost stays at most half of the WAL written meanwhile
    // A drain writes little log (acks), yet frees segments only a checkpoint can release: so also
    // checkpoint once as many entries have left as remain (at least MIN_DEAD_FOR_CHECKPOINT).
    const due = Math.max(this.checkpointBytes, this.liveEntries * 25 * 2);
    const drained = this.deadSinceCheckpoint >= MIN_DEAD_FOR_CHECKPOINT && this.deadSinceCheckpoint >= this.liveEntries;
    if (!this.checkpointing && !this.closed && (this.walSinceCheckpoint >= due || drained)) this.checkpoint();
  }

  // --- checkpoints and reclamation ------------------------------------------------------------

  /**
   * Writes the live state to checkpoint.tmp now (synchronously, so it is a consistent snapshot at
   * WAL position P), then — once the WAL is durable up to P — fsyncs it and renames it into place.
   * Only then may segments before P go.
   */
  private checkpoint(done?: () => void): void {
    this.checkpointing = true;
    const at = { seg: this.wal.current.id, off: this.wal.current.size };
    this.walSinceCheckpoint = 0;
    this.deadSinceCheckpoint = 0;
    const path = join(this.dir, 'checkpoint');
    const tmp = `${path}.tmp`;
    let fd: number;
    const refs = new Set<number>();
    try {
      fd = openSync(tmp, 'w');
      this.serializeState(at, refs, (chunk) => {
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      });
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'message store: checkpoint write failed');
      this.checkpointing = false;
      done?.();
      return;
    }
    this.wal.sync({
      durable: (err: Error | null) => {
        fsync(fd, (e) => {
          closeSync(fd);
          if (err || e) {
            this.log.error({ err: (err ?? e)?.message }, 'message store: checkpoint not published');
          } else {
            try {
              renameSync(tmp, path);
              fsyncDir(this.dir);
              this.checkpointAt = at;
              this.checkpointRefs = refs;
              this.collect();
            } catch (e2) {
              this.log.error({ err: (e2 as Error).message }, 'message store: checkpoint rename failed');
            }
          }
          this.checkpointing = false;
          done?.();
        });
      },
    });
  }

  /** Serializes the live state as checkpoint records, handing out ~1 MiB chunks as they fill. */
  private serializeState(at: { seg: number; off: number }, refs: Set<number>, emit: (chunk: Buffer) => void): void {
    const FLUSH_AT = 1024 * 1024;
    const w = new ByteWriter(FLUSH_AT + 64 * 1024);
    const drain = (): void => {
      if (w.pos > 0) emit(w.bytes());
      w.pos = 0;
    };
    const record = (fill: () => void): void => {
      const start = w.pos;
      w.ensure(RECORD_HEADER);
      w.pos += RECORD_HEADER;
      fill();
      sealRecord(w.buf, start, w.pos);
      if (w.pos >= FLUSH_AT) drain();
    };
    record(() => {
      w.u8(REC.CKPT);
      w.u32(at.seg);
      w.f64(at.off);
      w.u32(this.nextQueueId);
    });
    let total = 0;
    for (const [id, q] of this.queues) {
      record(() => {
        w.u8(REC.QDEF);
        w.u32(id);
        w.shortstr(q.vhost);
        w.shortstr(q.name);
        w.u8(q.autoDelete ? 1 : 0);
        w.table(q.arguments);
      });
      // bulk ENQ records of up to BULK entries (~100 KiB each)
      let countAt = -1;
      let start = -1;
      let inRecord = 0;
      let recordHasExpiry = false;
      const close = (): void => {
        if (start < 0) return;
        w.buf.writeUInt32BE(inRecord, countAt);
        sealRecord(w.buf, start, w.pos);
        start = -1;
        if (w.pos >= FLUSH_AT) drain();
      };
      q.forEachPersisted((seq, seg, off, len, size, flags, expiresAt) => {
        // entries with a TTL go in ENQX records (each with its expiry time), the rest in ENQ
        const hasExpiry = expiresAt !== 0;
        if (start < 0 || inRecord === BULK || hasExpiry !== recordHasExpiry) {
          close();
          recordHasExpiry = hasExpiry;
          start = w.pos;
          w.ensure(RECORD_HEADER);
          w.pos += RECORD_HEADER;
          w.u8(hasExpiry ? REC.ENQX : REC.ENQ);
          w.u32(id);
          countAt = w.pos;
          w.u32(0);
          inRecord = 0;
        }
        w.f64(seq);
        w.u32(seg);
        w.u32(off);
        w.u32(len);
        w.u32(size);
        w.u8(flags);
        if (hasExpiry) w.f64(expiresAt);
        refs.add(seg);
        inRecord += 1;
        total += 1;
      });
      close();
    }
    record(() => {
      w.u8(REC.END);
      w.f64(total);
    });
    drain();
  }

  /**
   * A segment can go when it lies wholly before the checkpoint, no entry references it, and the
   * published checkpoint does not either (a snapshot taken before a compaction repointed its
   * entries still names the old segment until the next checkpoint replaces it).
   */
  private droppable(s: Segment): boolean {
    return s.live <= 0 && s.id < this.checkpointAt.seg && s !== this.wal.current && !this.checkpointRefs.has(s.id);
  }

  /**
   * Deletes segments before the checkpoint that no entry references, and compacts (a few at a time)
   * those whose live records fill less than a quarter of them, so disk use stays near the live data.
   */
  private collect(): void {
    let budget = COMPACT_PER_CHECKPOINT;
    for (const s of [...this.wal.segments.values()]) {
      if (s.id >= this.checkpointAt.seg || s === this.wal.current) continue;
      if (this.droppable(s)) this.wal.drop(s.id);
      else if (budget > 0 && s.size > 0 && s.liveBytes * 4 < s.size && !this.closed) {
        budget -= 1;
        this.compact(s);
      }
    }
  }

  stats(): StoreStats {
    let disk = 0;
    for (const s of this.wal.segments.values()) disk += s.size;
    return { segments: this.wal.segments.size, diskBytes: disk, liveEntries: this.liveEntries, pendingBytes: 0 };
  }

  /** Waits until everything appended so far is durable. */
  flush(): Promise<void> {
    return new Promise<void>((resolve) => this.wal.sync({ durable: () => resolve() }));
  }

  /** Closes the files as they are, without a final checkpoint: what a crash leaves (tests). */
  async abandon(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.wal.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => this.wal.sync({ durable: () => resolve() }));
    await new Promise<void>((resolve) => {
      const wait = (): void => {
        if (this.checkpointing) setTimeout(wait, 5);
        else resolve();
      };
      wait();
    });
    // a final checkpoint makes the next start replay nothing
    await new Promise<void>((resolve) => this.checkpoint(resolve));
    this.closed = true;
    this.wal.close();
  }
}

function writeShortstr(buf: Buffer, p: number, s: string): number {
  const n = buf.write(s, p + 1, 255, 'utf8');
  buf[p] = n;
  return p + 1 + n;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export { SEGMENT_SIZE };
