// The ready messages of a priority queue (x-max-priority): one FIFO per priority level, highest
// level first. A requeued message goes back to its original place within its level (a per-level
// heap by queue sequence number, taken before that level's never-delivered messages, as in the
// plain queue). Only priority queues create this, so a plain queue pays nothing for it.
import { Deque } from './deque.js';
import { SeqHeap } from './seq-heap.js';

export interface Prioritised {
  readonly seq: number;
  /** the level the entry lives in (0..maxPriority) */
  readonly priority: number;
  readonly msg: { readonly bodySize: number };
}

export class PriorityLevels<T extends Prioritised> {
  private readonly fresh: Deque<T>[] = [];
  private readonly requeued: SeqHeap<T>[] = [];
  /** highest level that may be non-empty (levels above it are empty) */
  private top = -1;
  length = 0;
  bytes = 0;

  constructor(readonly maxPriority: number) {
    for (let i = 0; i <= maxPriority; i++) {
      this.fresh.push(new Deque<T>());
      this.requeued.push(new SeqHeap<T>());
    }
  }

  /** RabbitMQ treats a priority above the maximum as the maximum (and a missing one as 0). */
  levelOf(priority: number | undefined): number {
    if (priority === undefined || priority < 0) return 0;
    return priority > this.maxPriority ? this.maxPriority : priority;
  }

  push(e: T): void {
    (this.fresh[e.priority] as Deque<T>).push(e);
    this.added(e);
  }

  requeue(e: T): void {
    (this.requeued[e.priority] as SeqHeap<T>).push(e);
    this.added(e);
  }

  private added(e: T): void {
    this.length += 1;
    this.bytes += e.msg.bodySize;
    if (e.priority > this.top) this.top = e.priority;
  }

  /** The next entry to deliver, without removing it. */
  peek(): T | undefined {
    for (let p = this.top; p >= 0; p--) {
      const r = (this.requeued[p] as SeqHeap<T>).peek();
      if (r !== undefined) return r;
      const f = (this.fresh[p] as Deque<T>).peek();
      if (f !== undefined) return f;
      this.top = p - 1; // this level is empty: don't look at it again until something arrives
    }
    return undefined;
  }

  shift(): T | undefined {
    const e = this.peek();
    if (e === undefined) return undefined;
    const heap = this.requeued[e.priority] as SeqHeap<T>;
    if (heap.peek() === e) heap.pop();
    else (this.fresh[e.priority] as Deque<T>).shift();
    this.length -= 1;
    this.bytes -= e.msg.bodySize;
    return e;
  }

  /** Every entry in delivery order. */
  *values(): IterableIterator<T> {
    for (let p = this.maxPriority; p >= 0; p--) {
      yield* [...(this.requeued[p] as SeqHeap<T>).values()].sort((a, b) => a.seq - b.seq);
      yield* this.fresh[p] as Deque<T>;
    }
  }

  /** Empties every level; returns what was there. */
  clear(): T[] {
    const all = [...this.values()];
    for (let p = 0; p <= this.maxPriority; p++) {
      (this.fresh[p] as Deque<T>).clear();
      (this.requeued[p] as SeqHeap<T>).clear();
    }
    this.top = -1;
    this.length = 0;
    this.bytes = 0;
    return all;
  }
}
