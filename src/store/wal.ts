// The write-ahead log: numbered segment files (00000001.wal, …) that records are appended to.
// Appends go into an in-memory batch; one commit writes the batch and fdatasyncs it, and every
// append that arrives while a commit runs joins the next one (group commit). Callers learn that
// their records are durable through the batch's completion callback. Nothing here knows what a
// record means (store.ts does).
import { closeSync, fdatasync, fsyncSync, openSync, readdirSync, readSync, unlinkSync, write, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sealRecord } from './records.js';

/** 64 MiB segments: big enough that rotation is rare, small enough that reclaiming one frees little. */
export const SEGMENT_SIZE = 64 * 1024 * 1024;
/** Reads are served from a window of this size, since deliveries mostly walk a segment forwards. */
const READ_WINDOW = 256 * 1024;
/** Batches are built in fixed 1 MiB chunks from a small pool, so commits allocate nothing. */
const CHUNK_SIZE = 1024 * 1024;
const POOL_MAX = 8;

export interface Segment {
  readonly id: number;
  readonly fd: number;
  /** logical size: every byte appended, durable or not */
  size: number;
  /** bytes known to be in the file (written, maybe not yet fsync'd) */
  written: number;
  /** queue entries (in memory, paged or unacked) whose message record lives here */
  live: number;
  /** bytes of the records those entries use (a record shared by several entries counts for each) */
  liveBytes: number;
}

interface Part {
  seg: Segment;
  /** file position of buf[0] */
  at: number;
  buf: Buffer;
  len: number;
}

export const segmentName = (id: number): string => `${String(id).padStart(8, '0')}.wal`;

export class Wal {
  readonly segments = new Map<number, Segment>();
  current!: Segment;
  private parts: Part[] = [];
  private committing = false;
  /** opaque tokens resolved when the batch they joined is durable */
  private waiters: unknown[] = [];
  private readCache: { seg: number; at: number; buf: Buffer; len: number } | null = null;
  /** the parts of the commit in flight (written or being written, not yet known to be in the file) */
  private inflight: Part[] = [];
  private readonly pool: Buffer[] = [];
  /** set when a write or fsync failed: the store stops confirming */
  failed: Error | null = null;
  /** extra work a commit includes (see MessageStore.setSideWork) */
  sideWork: () => Promise<void> | undefined = () => undefined;

  constructor(
    readonly dir: string,
    /** called with the waiters of each batch once it is durable (or with an error) */
    private readonly onDurable: (waiters: unknown[], err: Error | null) => void,
    readonly segmentSize: number = SEGMENT_SIZE,
  ) {}

  /** Existing segment ids, ascending. */
  listSegments(): number[] {
    return readdirSync(this.dir)
      .filter((f) => /^\d{8}\.wal$/.test(f))
      .map((f) => Number(f.slice(0, 8)))
      .sort((a, b) => a - b);
  }

  /** Opens an existing segment (for recovery and reads), size as given. */
  openSegment(id: number, size: number): Segment {
    const fd = openSync(join(this.dir, segmentName(id)), 'r+');
    const seg: Segment = { id, fd, size, written: size, live: 0, liveBytes: 0 };
    this.segments.set(id, seg);
    return seg;
  }

  /** Starts appending to a fresh segment numbered after every existing one. */
  startSegment(id: number): void {
    const fd = openSync(join(this.dir, segmentName(id)), 'w+');
    const seg: Segment = { id, fd, size: 0, written: 0, live: 0, liveBytes: 0 };
    this.segments.set(id, seg);
    this.current = seg;
    this.parts.push(this.newPart(seg, 0, 0));
  }

  private part(): Part {
    return this.parts[this.parts.length - 1] as Part;
  }

  private newPart(seg: Segment, at: number, need: number): Part {
    const buf = need <= CHUNK_SIZE ? (this.pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK_SIZE)) : Buffer.allocUnsafeSlow(need);
    return { seg, at, buf, len: 0 };
  }

  private release(p: Part): void {
    if (p.buf.length === CHUNK_SIZE && this.pool.length < POOL_MAX) this.pool.push(p.buf);
  }

  /**
   * Reserves room for a record of up to `max` bytes and returns [buffer, offset] to write its
   * type and payload at offset + 8. finish(end) seals it. One record at a time.
   */
  reserve(max: number): { buf: Buffer; start: number } {
    if (this.current.size >= this.segmentSize) this.startSegment(this.current.id + 1);
    let p = this.part();
    if (p.seg !== this.current || p.len + max > p.buf.length) {
      // a full chunk is not grown: the next records go into a new part at the following position
      p = this.newPart(this.current, this.current.size, max);
      this.parts.push(p);
    }
    return { buf: p.buf, start: p.len };
  }

  /** Seals the reserved record ending at `end`; returns its [segment id, offset, length]. */
  finish(start: number, end: number): [number, number, number] {
    const p = this.part();
    sealRecord(p.buf, start, end);
    const len = end - start;
    const offset = p.at + start;
    p.len = end;
    this.current.size += len;
    return [this.current.id, offset, len];
  }

  /** Asks for `token` to be handed to onDurable once everything appended so far is on disk. */
  sync(token: unknown): void {
    this.waiters.push(token);
    if (!this.committing) this.commit();
  }

  /** Starts a commit if one is not running; appends made meanwhile join the next. */
  kick(): void {
    if (!this.committing && (this.waiters.length > 0 || this.parts.some((p) => p.len > 0))) this.commit();
  }

  private commit(): void {
    const parts = this.parts.filter((p) => p.len > 0);
    for (const p of this.parts) if (p.len === 0) this.release(p);
    const waiters = this.waiters;
    this.waiters = [];
    const cur = this.current;
    this.parts = [this.newPart(cur, cur.size, 0)];
    const side = this.sideWork();
    if (parts.length === 0 && side === undefined) {
      if (waiters.length > 0) this.onDurable(waiters, this.failed);
      return;
    }
    this.committing = true;
    this.inflight = parts;
    // the side work runs alongside the log write; the commit completes when both have
    let sidePending = side !== undefined;
    let logDone: Error | null | undefined;
    // (side work reports its own failures; the commit only waits for it to settle)
    const sideSettled = (): void => {
      sidePending = false;
      if (logDone !== undefined) done(logDone);
    };
    side?.then(sideSettled, sideSettled);
    let i = 0;
    const fds = new Set<number>();
    const next = (err: NodeJS.ErrnoException | null): void => {
      if (err) return logFinished(err);
      if (i < parts.length) {
        const p = parts[i++] as Part;
        fds.add(p.seg.fd);
        write(p.seg.fd, p.buf, 0, p.len, p.at, (e) => {
          if (!e) p.seg.written = Math.max(p.seg.written, p.at + p.len);
          next(e);
        });
        return;
      }
      const list = [...fds];
      let pendingSyncs = list.length;
      let syncErr: Error | null = null;
      if (pendingSyncs === 0) return logFinished(null);
      for (const fd of list) {
        fdatasync(fd, (e) => {
          if (e) syncErr = e;
          if (--pendingSyncs === 0) logFinished(syncErr);
        });
      }
    };
    const logFinished = (err: Error | null): void => {
      logDone = err;
      if (!sidePending) done(err);
    };
    const done = (err: Error | null): void => {
      this.committing = false;
      this.inflight = [];
      for (const p of parts) this.release(p);
      if (err) this.failed = err;
      this.onDurable(waiters, err);
      this.kick();
    };
    next(null);
  }

  /** Whether every byte of [offset, offset+len) of a segment is in the file. */
  isWritten(segId: number, offset: number, len: number): boolean {
    const s = this.segments.get(segId);
    return s !== undefined && offset + len <= s.written;
  }

  /** A record still in a batch (appended, not yet in the file), or undefined. */
  private pending(segId: number, offset: number, len: number): Buffer | undefined {
    for (const list of [this.inflight, this.parts]) {
      for (const p of list) {
        if (p.seg.id === segId && offset >= p.at && offset + len <= p.at + p.len) return p.buf.subarray(offset - p.at, offset - p.at + len);
      }
    }
    return undefined;
  }

  /** Reads len bytes at offset of a segment, from the file or, if not written yet, from the batch. */
  read(segId: number, offset: number, len: number): Buffer {
    const seg0 = this.segments.get(segId);
    if (seg0 && offset + len > seg0.written) {
      const p = this.pending(segId, offset, len);
      if (p) return p;
    }
    const c = this.readCache;
    if (c && c.seg === segId && offset >= c.at && offset + len <= c.at + c.len) {
      return c.buf.subarray(offset - c.at, offset - c.at + len);
    }
    const seg = this.segments.get(segId);
    if (!seg) throw new Error(`segment ${segId} is missing`);
    const size = Math.max(READ_WINDOW, len);
    const buf = c && c.buf.length >= size ? c.buf : Buffer.allocUnsafe(size);
    const want = Math.min(size, Math.max(len, seg.written - offset));
    const got = readSync(seg.fd, buf, 0, want, offset);
    if (got < len) throw new Error(`short read in segment ${segId} at ${offset}`);
    this.readCache = { seg: segId, at: offset, buf, len: got };
    return buf.subarray(0, len);
  }

  /** Deletes a segment file (it holds nothing anyone needs). */
  drop(segId: number): void {
    const s = this.segments.get(segId);
    if (!s || s === this.current) return;
    this.segments.delete(segId);
    if (this.readCache?.seg === segId) this.readCache = null;
    closeSync(s.fd);
    unlinkSync(join(this.dir, segmentName(segId)));
  }

  get busy(): boolean {
    return this.committing;
  }

  /** Synchronous final flush (shutdown, after any running commit finished): write and fsync what is pending. */
  flushSync(): void {
    for (const p of this.parts) {
      if (p.len === 0) continue;
      let off = 0;
      while (off < p.len) off += writeSync(p.seg.fd, p.buf, off, p.len - off, p.at + off);
      p.seg.written = Math.max(p.seg.written, p.at + p.len);
      p.len = 0;
      p.at = p.seg.size;
    }
    for (const s of this.segments.values()) fsyncSync(s.fd);
  }

  close(): void {
    for (const s of this.segments.values()) closeSync(s.fd);
    this.segments.clear();
  }
}
