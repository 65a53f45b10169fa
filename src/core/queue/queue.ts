// A queue: its ready messages in order, its consumers, and dispatch. It knows nothing of AMQP
// channels or sockets: consumers are ConsumerSinks, and the channel layer decides what "deliver"
// means. Ordering follows RabbitMQ's classic queues: FIFO, and a requeued message returns to its
// original position (requeued entries wait in a heap by sequence number ahead of fresh ones).
import type { FieldTable } from '../../protocol/field-value.js';
import { type QueueLimits, queueLimits } from '../arguments.js';
import type { Binding, Destination } from '../exchange/index.js';
import type { Message } from '../message.js';
import { Deque } from './deque.js';
import { SeqHeap } from './seq-heap.js';

export interface QueueEntry {
  readonly msg: Message;
  /** position in this queue; requeue restores order by it */
  readonly seq: number;
  redelivered: boolean;
}

export interface ConsumerSink {
  readonly tag: string;
  readonly noAck: boolean;
  readonly exclusive: boolean;
  /** May this consumer take one more delivery now (prefetch, channel flow, socket backpressure)? */
  canTake(): boolean;
  /** Hands over an entry already removed from the ready list. */
  deliver(queue: Queue, entry: QueueEntry): void;
  /** The queue is going away: tell the client (basic.cancel) if it wants to know. */
  cancelledByQueue(queue: Queue): void;
}

export interface QueueSettings {
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  arguments: FieldTable;
}

export interface QueueEvents {
  /** the last consumer of an auto-delete queue went away */
  autoDeleteQueue(q: Queue): void;
}

export class Queue implements Destination {
  readonly kind = 'queue' as const;
  routeMark = 0;
  readonly incoming = new Set<Binding>();
  /** connection that owns an exclusive queue (opaque to the core) */
  exclusiveOwner: object | null = null;
  readonly consumers: ConsumerSink[] = [];
  private rr = 0;
  private readonly fresh = new Deque<QueueEntry>();
  private readonly requeued = new SeqHeap<QueueEntry>();
  private nextSeq = 1;
  private dispatching = false;
  /** entries handed to consumers or basic.get and not yet settled */
  unacked = 0;
  /** ready bytes (bodies), for stats */
  readyBytes = 0;
  deleted = false;
  private hadConsumer = false;
  readonly stats = { published: 0, delivered: 0, acked: 0, redelivered: 0, gets: 0, dropped: 0, rejected: 0 };
  readonly limits: QueueLimits;

  constructor(
    readonly name: string,
    readonly vhost: string,
    readonly settings: QueueSettings,
    private readonly events: QueueEvents,
  ) {
    this.limits = queueLimits(settings.arguments);
  }

  get durable(): boolean {
    return this.settings.durable;
  }
  get exclusive(): boolean {
    return this.settings.exclusive;
  }
  get autoDelete(): boolean {
    return this.settings.autoDelete;
  }
  get arguments(): FieldTable {
    return this.settings.arguments;
  }
  /** messages ready for delivery */
  get messageCount(): number {
    return this.fresh.length + this.requeued.length;
  }
  get consumerCount(): number {
    return this.consumers.length;
  }

  /**
   * Adds a message. Returns false when the queue refuses it (x-overflow reject-publish at its
   * x-max-length / x-max-length-bytes); with drop-head the oldest ready messages make room instead.
   * Limits count ready messages only, as in RabbitMQ.
   */
  enqueue(msg: Message): boolean {
    const lim = this.limits;
    if (lim.overflow !== 'drop-head' && (this.messageCount >= lim.maxLength || this.readyBytes + msg.bodySize > lim.maxLengthBytes)) {
      this.stats.rejected += 1;
      return false;
    }
    this.fresh.push({ msg, seq: this.nextSeq++, redelivered: false });
    this.readyBytes += msg.bodySize;
    this.stats.published += 1;
    if (this.consumers.length > 0) this.dispatch();
    while (this.messageCount > lim.maxLength || this.readyBytes > lim.maxLengthBytes) this.dropHead();
    return true;
  }

  /** Discards the oldest ready message (overflow drop-head). Dead-lettering hooks in here. */
  private dropHead(): void {
    const e = this.requeued.length > 0 ? this.requeued.pop() : this.fresh.shift();
    if (e === undefined) return;
    this.readyBytes -= e.msg.bodySize;
    this.stats.dropped += 1;
  }

  /** The next ready entry, removed from the ready list (basic.get or a delivery). */
  private take(): QueueEntry | undefined {
    const e = this.requeued.length > 0 ? this.requeued.pop() : this.fresh.shift();
    if (e !== undefined) {
      this.readyBytes -= e.msg.bodySize;
      this.unacked += 1;
      if (e.redelivered) this.stats.redelivered += 1;
    }
    return e;
  }

  get(): QueueEntry | undefined {
    const e = this.take();
    if (e) this.stats.gets += 1;
    return e;
  }

  /** Puts an unacked entry back in its original place, marked redelivered. Call dispatch() after. */
  requeue(e: QueueEntry): void {
    this.unacked -= 1;
    if (this.deleted) return;
    e.redelivered = true;
    this.requeued.push(e);
    this.readyBytes += e.msg.bodySize;
  }

  /** A delivered entry was acked (or rejected without requeue, or delivered with no-ack). */
  settle(_e: QueueEntry): void {
    this.unacked -= 1;
    this.stats.acked += 1;
  }

  /** Delivers ready messages round-robin to consumers that can take them. */
  dispatch(): void {
    if (this.dispatching || this.deleted) return; // a delivery may re-enter through a settle
    this.dispatching = true;
    try {
      const cs = this.consumers;
      while (this.messageCount > 0 && cs.length > 0) {
        let chosen: ConsumerSink | undefined;
        for (let n = 0; n < cs.length; n++) {
          if (this.rr >= cs.length) this.rr = 0;
          const c = cs[this.rr++] as ConsumerSink;
          if (c.canTake()) {
            chosen = c;
            break;
          }
        }
        if (chosen === undefined) break;
        const e = this.take() as QueueEntry;
        this.stats.delivered += 1;
        chosen.deliver(this, e);
      }
    } finally {
      this.dispatching = false;
    }
  }

  addConsumer(c: ConsumerSink): void {
    this.consumers.push(c);
    this.hadConsumer = true;
    this.dispatch();
  }

  removeConsumer(c: ConsumerSink): void {
    const i = this.consumers.indexOf(c);
    if (i < 0) return;
    this.consumers.splice(i, 1);
    if (this.rr > i) this.rr -= 1;
    if (this.consumers.length === 0 && this.autoDelete && this.hadConsumer && !this.deleted) {
      this.events.autoDeleteQueue(this);
    }
  }

  hasExclusiveConsumer(): boolean {
    return this.consumers.some((c) => c.exclusive);
  }

  /** Drops every ready message; returns how many. Unacked messages are not touched. */
  purge(): number {
    const n = this.messageCount;
    this.fresh.clear();
    this.requeued.clear();
    this.readyBytes = 0;
    return n;
  }

  /** Marks the queue deleted and cancels its consumers; returns the ready count it had. */
  destroy(): number {
    const n = this.purge();
    this.deleted = true;
    const cs = this.consumers.splice(0, this.consumers.length);
    for (const c of cs) c.cancelledByQueue(this);
    return n;
  }

  /** Ready entries in delivery order (for inspection; not a hot path). */
  *readyEntries(): IterableIterator<QueueEntry> {
    const req = [...this.requeued.values()].sort((a, b) => a.seq - b.seq);
    yield* req;
    yield* this.fresh;
  }
}
