// A MessageStore that keeps records in memory: nothing survives a restart and nothing is paged.
// Used when the broker runs without durability (and as the reference in the store contract tests).
import { Message } from '../core/message.js';
import type { DurableWaiter, MessageStore, RecoveredQueue, StoredQueue, StoreStats } from './store.js';

export class MemoryStore implements MessageStore {
  readonly durable = false;
  private readonly records = new Map<number, Message>();
  private nextOff = 1;
  private nextQueue = 1;
  private live = 0;

  recover(): RecoveredQueue[] {
    return [];
  }
  addQueue(_q: StoredQueue, recoveredId?: number): number {
    return recoveredId ?? this.nextQueue++;
  }
  removeQueue(_id: number): void {}
  write(msg: Message): void {
    if (msg.seg !== 0) return;
    msg.seg = 1;
    msg.off = this.nextOff++;
    msg.len = 1;
    this.records.set(msg.off, msg);
  }
  isWritten(msg: Message): boolean {
    return msg.seg !== 0;
  }
  read(_seg: number, off: number, _len: number): Message {
    const m = this.records.get(off);
    if (!m) throw new Error(`no record at ${off}`);
    const copy = new Message(m.exchange, m.routingKey, m.propsRaw, m.body);
    copy.seg = m.seg;
    copy.off = m.off;
    copy.len = m.len;
    return copy;
  }
  enqueue(): void {}
  delivered(): void {}
  ack(): void {}
  ref(): void {
    this.live += 1;
  }
  unref(): void {
    this.live -= 1;
    if (this.live === 0) this.records.clear();
  }
  setHolders(): void {}
  setSideWork(): void {}
  requestCommit(): void {}
  sync(waiter: DurableWaiter): void {
    queueMicrotask(() => waiter.durable(null));
  }
  pageLater(q: StoredQueue): void {
    queueMicrotask(() => q.pageOut());
  }
  stats(): StoreStats {
    return { segments: 0, diskBytes: 0, liveEntries: this.live, pendingBytes: 0 };
  }
  async close(): Promise<void> {
    this.records.clear();
  }
}
