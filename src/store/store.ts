// The message store contract. Queues talk to a MessageStore; two implementations pass the same
// contract tests (test/unit/store/contract.test.ts): MemoryStore (nothing survives a restart) and
// DiskStore (WAL + checkpoints in the data dir). The store knows nothing of AMQP: it keeps message
// records (exchange, routing key, raw properties, body) at locations, and per-queue entry events.
import type { Message } from '../core/message.js';
import type { FieldTable } from '../protocol/field-value.js';

/** A durable queue as the store sees it. */
export interface StoredQueue {
  storeId: number;
  readonly vhost: string;
  readonly name: string;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
  /** Visits every entry with an ENQ record (ready, paged or unacked): for checkpoints. */
  forEachPersisted(fn: (seq: number, seg: number, off: number, len: number, size: number, flags: number, expiresAt: number) => void): void;
  /** Called after a commit when the queue asked to page entries out (their records are now written). */
  pageOut(): void;
}

/**
 * Anything holding references to message records (every queue): compaction asks holders which
 * records in a segment they use, copies those records forward, and has the holders repoint.
 */
export interface RecordHolder {
  /** Visits the (offset, length) of each record in segment `seg` this holder references. */
  collectRecords(seg: number, fn: (off: number, len: number) => void): void;
  /**
   * Repoints references into `seg` per `moved` (old offset → [segment, offset, length]); returns how
   * many references moved. Message objects shared between holders are repointed once: `touched`
   * collects them so the next holder still counts its reference.
   */
  relocateRecords(
    seg: number,
    moved: ReadonlyMap<number, readonly [number, number, number]>,
    touched: Set<object>,
    /** called once per moved reference, so the store moves its count to the right segment */
    account: (oldLen: number, newSeg: number, newLen: number) => void,
  ): number;
}

/** Something waiting for its records to be durable (a channel with a pending publisher confirm). */
export interface DurableWaiter {
  durable(err: Error | null): void;
}

/** What recovery found for one durable queue. */
export interface RecoveredQueue {
  id: number;
  vhost: string;
  name: string;
  autoDelete: boolean;
  arguments: FieldTable;
  /** entries in queue order (expiresAt: ms since the epoch, 0 when the entry has no TTL) */
  forEach(fn: (seq: number, seg: number, off: number, len: number, size: number, flags: number, expiresAt: number) => void): void;
  readonly count: number;
}

export interface StoreStats {
  segments: number;
  diskBytes: number;
  liveEntries: number;
  pendingBytes: number;
}

export interface MessageStore {
  /** false: nothing survives a restart */
  readonly durable: boolean;
  /** Loads what the last run left; call once before use. */
  recover(): RecoveredQueue[];
  /** Registers a durable queue (new, or recovered with its id); returns its id. */
  addQueue(q: StoredQueue, recoveredId?: number): number;
  /** The queue is gone: its entries no longer count. */
  removeQueue(id: number): void;
  /** Appends the message record (once per message) and sets msg.seg/off/len. */
  write(msg: Message): void;
  /** Is the message's record in the file (so it may be dropped from memory and read back)? */
  isWritten(msg: Message): boolean;
  /** Reads a message record back. Throws if the record is missing or damaged. */
  read(seg: number, off: number, len: number): Message;
  /** expiresAt: when the entry's message TTL runs out (ms since the epoch), 0 for none */
  enqueue(queueId: number, seq: number, msg: Message, flags: number, expiresAt?: number): void;
  delivered(queueId: number, seq: number): void;
  ack(queueId: number, seq: number): void;
  /** An entry now references a record of `len` bytes in segment `seg` (reclamation counts these). */
  ref(seg: number, len: number): void;
  unref(seg: number, len: number): void;
  /**
   * Work every commit must include (the broker's definitions file): called at the start of each
   * commit; a returned promise is awaited before the commit's waiters are told it is durable.
   */
  setSideWork(work: () => Promise<void> | undefined): void;
  /** Starts a commit soon even if nothing was appended (so side work gets done). */
  requestCommit(): void;
  /** Where compaction finds the holders of records (the broker's queues). */
  setHolders(holders: () => Iterable<RecordHolder>): void;
  /** waiter.durable() runs once everything appended so far is on disk. */
  sync(waiter: DurableWaiter): void;
  /** Asks for q.pageOut() after the next commit. */
  pageLater(q: StoredQueue): void;
  stats(): StoreStats;
  /** Flushes, writes a final checkpoint and closes. */
  close(): Promise<void>;
}
