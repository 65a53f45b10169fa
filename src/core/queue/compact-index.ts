// Queue entries whose messages live only on disk, packed into typed-array chunks (21 bytes an
// entry instead of a few hundred for objects), in queue order. A queue keeps a window of entry
// objects at its head and tail and this in between, so a backlog costs little memory.
const CHUNK = 4096;

/** 4096 entries in one allocation: sequence numbers as 32-bit offsets from the chunk's first. */
class Chunk {
  private readonly buf = new ArrayBuffer(CHUNK * 21);
  /** seq of the chunk's first entry; the others are base + seq[i] */
  base = 0;
  readonly seq = new Uint32Array(this.buf, 0, CHUNK);
  readonly seg = new Uint32Array(this.buf, CHUNK * 4, CHUNK);
  readonly off = new Uint32Array(this.buf, CHUNK * 8, CHUNK);
  readonly len = new Uint32Array(this.buf, CHUNK * 12, CHUNK);
  readonly size = new Uint32Array(this.buf, CHUNK * 16, CHUNK);
  readonly flags = new Uint8Array(this.buf, CHUNK * 20, CHUNK);
  /** absolute expiry times (message TTL), allocated only when an entry in the chunk has one */
  exp: Float64Array | null = null;
  head = 0;
  tail = 0;
}

/** One entry as read out of the index (a reused object: copy what you keep). */
export interface CompactEntry {
  seq: number;
  seg: number;
  off: number;
  len: number;
  /** body size, for x-max-length-bytes */
  size: number;
  flags: number;
  /** absolute expiry time in ms (message TTL); 0: none */
  exp: number;
}

/** Entry flag bits. */
export const CE_REDELIVERED = 1;
/** an ENQ record exists for the entry (persistent message in a durable queue) */
export const CE_PERSISTED = 2;

export class CompactIndex {
  private chunks: Chunk[] = [];
  private first = 0;
  private count = 0;
  bytes = 0;

  get length(): number {
    return this.count;
  }

  push(seq: number, seg: number, off: number, len: number, size: number, flags: number, exp = 0): void {
    let c = this.chunks[this.chunks.length - 1];
    // entries arrive in queue order, so seq only grows; a new chunk also if it would not fit the offset
    if (c === undefined || c.tail === CHUNK || seq < c.base || seq - c.base > 0xffffffff) {
      c = new Chunk();
      c.base = seq;
      this.chunks.push(c);
    }
    const i = c.tail++;
    c.seq[i] = seq - c.base;
    c.seg[i] = seg;
    c.off[i] = off;
    c.len[i] = len;
    c.size[i] = size;
    c.flags[i] = flags;
    if (exp !== 0) (c.exp ??= new Float64Array(CHUNK))[i] = exp;
    this.count += 1;
    this.bytes += size;
  }

  /** Removes the oldest entry into `out`; false when empty. */
  shift(out: CompactEntry): boolean {
    if (this.count === 0) return false;
    const c = this.chunks[this.first] as Chunk;
    const i = c.head++;
    out.seq = c.base + (c.seq[i] as number);
    out.seg = c.seg[i] as number;
    out.off = c.off[i] as number;
    out.len = c.len[i] as number;
    out.size = c.size[i] as number;
    out.flags = c.flags[i] as number;
    out.exp = c.exp === null ? 0 : (c.exp[i] as number);
    this.count -= 1;
    this.bytes -= out.size;
    if (c.head === c.tail) {
      this.chunks[this.first] = undefined as unknown as Chunk;
      this.first += 1;
      if (this.first > 64 && this.first * 2 > this.chunks.length) {
        this.chunks = this.chunks.slice(this.first);
        this.first = 0;
      }
    }
    return true;
  }

  /** Visits every entry in order (checkpoints, purge). `out` is reused between calls. */
  forEach(fn: (e: CompactEntry) => void): void {
    const out: CompactEntry = { seq: 0, seg: 0, off: 0, len: 0, size: 0, flags: 0, exp: 0 };
    for (let k = this.first; k < this.chunks.length; k++) {
      const c = this.chunks[k] as Chunk;
      for (let i = c.head; i < c.tail; i++) {
        out.seq = c.base + (c.seq[i] as number);
        out.seg = c.seg[i] as number;
        out.off = c.off[i] as number;
        out.len = c.len[i] as number;
        out.size = c.size[i] as number;
        out.flags = c.flags[i] as number;
        out.exp = c.exp === null ? 0 : (c.exp[i] as number);
        fn(out);
      }
    }
  }

  /** Points entries in segment `seg` at their records' new places; returns how many moved. */
  relocate(seg: number, moved: ReadonlyMap<number, readonly [number, number, number]>, account: (oldLen: number, newSeg: number, newLen: number) => void): number {
    let n = 0;
    for (let k = this.first; k < this.chunks.length; k++) {
      const c = this.chunks[k] as Chunk;
      for (let i = c.head; i < c.tail; i++) {
        if (c.seg[i] !== seg) continue;
        const to = moved.get(c.off[i] as number);
        if (to === undefined) continue;
        account(c.len[i] as number, to[0], to[2]);
        c.seg[i] = to[0];
        c.off[i] = to[1];
        c.len[i] = to[2];
        n += 1;
      }
    }
    return n;
  }

  /** Visits the (offset, length) of every entry in segment `seg`. */
  collect(seg: number, fn: (off: number, len: number) => void): void {
    for (let k = this.first; k < this.chunks.length; k++) {
      const c = this.chunks[k] as Chunk;
      for (let i = c.head; i < c.tail; i++) if (c.seg[i] === seg) fn(c.off[i] as number, c.len[i] as number);
    }
  }

  clear(): void {
    this.chunks = [];
    this.first = 0;
    this.count = 0;
    this.bytes = 0;
  }
}
