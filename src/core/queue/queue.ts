// A queue: its ready messages in order, its consumers, and dispatch. It knows nothing of AMQP
// channels or sockets: consumers are ConsumerSinks. Ordering follows RabbitMQ's classic queues:
// FIFO, and a requeued message returns to its original position.
//
// Ready messages live in four regions, in delivery order:
//   requeued  heap of entries returned by nack/reject/recover/channel close (all older than the rest)
//   head      entry objects, at most HEAD_COUNT / HEAD_BYTES, ready to deliver
//   middle    entries paged out to the message store (CompactIndex: numbers only, no bodies)
//   tail      entry objects newly enqueued while the middle is non-empty or the head is full
// When the tail outgrows its limits its oldest entries are paged into the middle (a transient
// message is written to the store for that); when the head runs dry it is refilled from the middle
// by reading records back. So memory stays bounded whatever the backlog.
//
// Persistence: a persistent message in a durable queue gets an ENQ record when enqueued, a DLV record
// at its first delivery and an ACK record when it leaves (ack, reject, purge, drop, delete).
//
// Queue features (see docs/queue-features.md): message TTL expires from the head, on a timer set for
// the head's expiry time, in bounded batches; messages leaving as expired, rejected or over the
// length limit go to the dead-letter hook; x-expires deletes an unused queue on a timer; a priority
// queue keeps its ready messages in PriorityLevels instead of the four regions.
import type { FieldTable } from '../../protocol/field-value.js';
import type { MessageStore, RecordHolder, RecoveredQueue, StoredQueue } from '../../store/store.js';
import { PROPERTY_FLAGS } from '../../protocol/generated/properties.js';
import { type PolicyDefinition, type QueueLimits, queueLimits } from '../arguments.js';
import { type Clock, systemClock, type TimerHandle } from '../clock.js';
import type { DeadLetterReason } from '../dead-letter.js';
import type { Binding, Destination } from '../exchange/index.js';
import type { Message } from '../message.js';
import { CE_PERSISTED, CE_REDELIVERED, CompactIndex, type CompactEntry } from './compact-index.js';
import { Deque } from './deque.js';
import { PriorityLevels } from './priority-levels.js';
import { SeqHeap } from './seq-heap.js';

/** Head window: entry objects kept ready for delivery. */
const HEAD_COUNT = 2048;
const HEAD_BYTES = 8 * 1024 * 1024;
/** Tail window: entries beyond these are paged out to the store. */
const TAIL_COUNT = 1024;
const TAIL_BYTES = 4 * 1024 * 1024;
/** Entries read back from the middle per refill. */
const REFILL = 512;
/**
 * Transient messages cost a write to page out, so they stay in memory up to this much per queue,
 * unless the broker is under memory pressure (then they go like persistent ones).
 */
const TRANSIENT_TAIL_COUNT = 65536;
const TRANSIENT_TAIL_BYTES = 64 * 1024 * 1024;
/**
 * Expired messages removed per turn: a backlog expiring all at once goes in slices, so deliveries
 * and other queues keep running in between.
 */
const EXPIRE_BATCH = 1000;

/** Set by the resource monitor when memory use passes half the high watermark. */
export const memoryPressure = { on: false };

export interface QueueEntry {
  msg: Message;
  /** position in this queue; requeue restores order by it */
  readonly seq: number;
  redelivered: boolean;
  /** an ENQ record exists (persistent message in a durable queue) */
  persisted: boolean;
  /** the entry holds a reference on its record's segment */
  refd: boolean;
  /** when the message expires (ms since the epoch; message TTL); 0: never */
  expiresAt: number;
  /** its level in a priority queue; 0 elsewhere */
  priority: number;
}

export interface ConsumerSink {
  readonly tag: string;
  readonly noAck: boolean;
  readonly exclusive: boolean;
  /** x-priority (basic.consume argument; default 0): higher-priority consumers are served first */
  readonly priority: number;
  /** May this consumer take one more delivery now (prefetch, channel flow, socket backpressure)? */
  canTake(): boolean;
  /** Is this consumer held back by its connection's unsent output (not by its prefetch)? */
  outputBlocked(): boolean;
  /** Hands over an entry already removed from the ready list. */
  deliver(queue: Queue, entry: QueueEntry): void;
  /** The queue is going away: tell the client (basic.cancel) if it wants to know. */
  cancelledByQueue(queue: Queue): void;
}

/** The consumers of one x-priority, with their own round-robin position. */
interface PriorityGroup {
  readonly priority: number;
  readonly members: ConsumerSink[];
  /** index of the member to try first next time */
  next: number;
}

export interface QueueSettings {
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  arguments: FieldTable;
}

export interface QueueEvents {
  /** the last consumer of an auto-delete queue went away, or the queue expired (x-expires) */
  autoDeleteQueue(q: Queue): void;
  /** the broker's clock (message TTL, queue expiry); the system clock when absent */
  readonly clock?: Clock;
  /** republishes a message leaving q to q's dead-letter exchange; returns how many queues took it */
  deadLetter?(q: Queue, msg: Message, reason: DeadLetterReason, nowMs: number): number;
}

/**
 * A publisher held back by a queue's flow control (see Queue.flowLimited): told when the queue
 * has caught up.
 */
export interface FlowListener {
  queueFlowReleased(q: Queue): void;
}

/**
 * Flow control: a queue with more than FLOW_HIGH ready messages whose consumers are held back by
 * their sockets (deliveries lag behind publishes) asks its publishers to stop reading until it is
 * down to FLOW_LOW, like RabbitMQ's credit flow. A queue without consumers, or whose consumers are
 * only limited by their prefetch, never holds publishers back: that backlog is the queue's job.
 */
const FLOW_HIGH = 2048;
const FLOW_LOW = 1024;

/** enqueue() results */
export const REFUSED = 0;
export const ACCEPTED = 1;
/** accepted, and the publisher confirm must wait for the store's next commit */
export const ACCEPTED_DURABLE = 2;

export class Queue implements Destination, StoredQueue, RecordHolder {
  readonly kind = 'queue' as const;
  routeMark = 0;
  readonly incoming = new Set<Binding>();
  /** connection that owns an exclusive queue (opaque to the core) */
  exclusiveOwner: object | null = null;
  /** consumers in registration order; with single active consumer the first one is the active one */
  readonly consumers: ConsumerSink[] = [];
  /** the same consumers grouped by priority, highest first: the order dispatch tries them in */
  private readonly byPriority: PriorityGroup[] = [];
  private readonly requeued = new SeqHeap<QueueEntry>();
  private head = new Deque<QueueEntry>();
  private readonly middle = new CompactIndex();
  private tail = new Deque<QueueEntry>();
  private headBytes = 0;
  private tailBytes = 0;
  private requeuedBytes = 0;
  private nextSeq = 1;
  private dispatching = false;
  private pagingRequested = false;
  /** delivered entries not yet settled that are persisted or hold a record (checkpoints, compaction) */
  private readonly unackedHeld = new Set<QueueEntry>();
  /** entries handed to consumers or basic.get and not yet settled */
  unacked = 0;
  deleted = false;
  /** the store's id for this queue (0: not stored — transient or exclusive) */
  storeId = 0;
  private hadConsumer = false;
  /** deliveries lag behind publishes: publishers should pause (see FLOW_HIGH) */
  flowLimited = false;
  private flowHeld: Set<FlowListener> | null = null;
  readonly stats = { published: 0, delivered: 0, acked: 0, redelivered: 0, gets: 0, dropped: 0, rejected: 0 };
  /** what the queue's features read: arguments + policy + operator policy (see queueLimits) */
  limits: QueueLimits;
  /** names of the policy and operator policy in force (management API: policy, operator_policy) */
  policyName: string | undefined;
  operatorPolicyName: string | undefined;
  private readonly clock: Clock;
  /** ready messages of a priority queue (x-max-priority); null for a plain queue */
  private readonly levels: PriorityLevels<QueueEntry> | null;
  /** the message-TTL timer and the time it is set for */
  private expiryTimer: TimerHandle | null = null;
  private expiryTimerAt = 0;
  /** the x-expires timer (runs while the queue is unused) */
  private unusedTimer: TimerHandle | null = null;

  constructor(
    readonly name: string,
    readonly vhost: string,
    readonly settings: QueueSettings,
    private readonly events: QueueEvents,
    private readonly store: MessageStore,
  ) {
    this.limits = queueLimits(settings.arguments);
    this.clock = events.clock ?? systemClock;
    const maxPriority = this.limits.maxPriority;
    this.levels = maxPriority > 0 ? new PriorityLevels<QueueEntry>(maxPriority) : null;
    this.touch();
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
    return this.requeued.length + this.head.length + this.middle.length + this.tail.length + (this.levels === null ? 0 : this.levels.length);
  }
  /** bytes of ready message bodies */
  get readyBytes(): number {
    return this.requeuedBytes + this.headBytes + this.middle.bytes + this.tailBytes + (this.levels === null ? 0 : this.levels.bytes);
  }
  get consumerCount(): number {
    return this.consumers.length;
  }
  /** ready messages whose bodies are only on disk */
  get pagedOut(): number {
    return this.middle.length;
  }

  // --- enqueue --------------------------------------------------------------------------------

  /**
   * Adds a message: REFUSED when the queue refuses it (x-overflow reject-publish at its
   * x-max-length / x-max-length-bytes; with drop-head the oldest ready messages make room instead,
   * counting ready messages only, as RabbitMQ does), ACCEPTED_DURABLE when a publisher confirm must
   * wait for the store, else ACCEPTED.
   */
  enqueue(msg: Message): number {
    const lim = this.limits;
    if (lim.overflow !== 'drop-head' && (this.messageCount >= lim.maxLength || this.readyBytes + msg.bodySize > lim.maxLengthBytes)) {
      this.stats.rejected += 1;
      // reject-publish-dlx: the refused message is dead-lettered (the publisher still gets its nack)
      if (lim.overflow === 'reject-publish-dlx') this.deadLetter(msg, 'maxlen');
      return REFUSED;
    }
    const levels = this.levels;
    const e: QueueEntry = {
      msg,
      seq: this.nextSeq++,
      redelivered: false,
      persisted: false,
      refd: false,
      expiresAt: this.expiryFor(msg),
      priority: levels === null ? 0 : levels.levelOf(msg.properties().priority),
    };
    let result = ACCEPTED;
    if (this.storeId !== 0 && msg.persistent) {
      this.store.write(msg);
      this.store.enqueue(this.storeId, e.seq, msg, 0, e.expiresAt); // the expiry survives a restart
      e.persisted = true;
      result = ACCEPTED_DURABLE;
    }
    if (msg.seg !== 0) {
      this.store.ref(msg.seg, msg.len);
      e.refd = true;
    }
    this.stats.published += 1;
    if (levels !== null) {
      levels.push(e); // priority queues keep their ready messages in memory (no paging)
    } else if (this.middle.length === 0 && this.tail.length === 0 && this.head.length < HEAD_COUNT && this.headBytes < HEAD_BYTES) {
      this.head.push(e);
      this.headBytes += msg.bodySize;
    } else {
      this.tail.push(e);
      this.tailBytes += msg.bodySize;
    }
    if (this.consumers.length > 0) this.dispatch();
    while (this.messageCount > lim.maxLength || this.readyBytes > lim.maxLengthBytes) this.dropHead();
    // a TTL of 0 that found no consumer expires now; otherwise the head's timer is set
    if (e.expiresAt !== 0) this.expireDue();
    if (this.tail.length > TAIL_COUNT || this.tailBytes > TAIL_BYTES) {
      // while a paging pass waits for the store's commit, newcomers are only written (O(1) each)
      if (!this.pagingRequested) this.pageOut();
      else if (msg.seg === 0) this.store.write(msg);
    }
    return result;
  }

  // --- paging ---------------------------------------------------------------------------------

  /**
   * Moves the oldest tail entries into the middle until the tail is within its limits. An entry
   * whose record is not yet in the file waits: its message is written now and paging resumes
   * after the store's next commit.
   */
  pageOut(): void {
    this.pagingRequested = false;
    if (this.deleted) return;
    while (this.tail.length > TAIL_COUNT / 2 || this.tailBytes > TAIL_BYTES / 2) {
      const e = this.tail.peek() as QueueEntry;
      const msg = e.msg;
      if (msg.seg === 0 && !memoryPressure.on && this.tail.length <= TRANSIENT_TAIL_COUNT && this.tailBytes <= TRANSIENT_TAIL_BYTES) {
        return; // a transient message is not worth a write yet
      }
      if (!this.store.isWritten(msg)) {
        // write what must go (only the excess over half the window), then come back once it is on disk
        let excess = this.tail.length - TAIL_COUNT / 2;
        for (const t of this.tail) {
          if (excess-- <= 0) break;
          if (t.msg.seg === 0) this.store.write(t.msg);
        }
        this.pagingRequested = true;
        this.store.pageLater(this);
        return;
      }
      this.tail.shift();
      this.tailBytes -= msg.bodySize;
      if (!e.refd) this.store.ref(msg.seg, msg.len);
      this.middle.push(e.seq, msg.seg, msg.off, msg.len, msg.bodySize, (e.redelivered ? CE_REDELIVERED : 0) | (e.persisted ? CE_PERSISTED : 0), e.expiresAt);
    }
  }

  private readonly ce: CompactEntry = { seq: 0, seg: 0, off: 0, len: 0, size: 0, flags: 0, exp: 0 };

  /** Refills an empty head: from the middle (reading records back), else by taking over the tail. */
  private refill(): void {
    if (this.middle.length > 0) {
      const ce = this.ce;
      for (let n = 0; n < REFILL && this.middle.shift(ce); n++) {
        let msg: Message;
        try {
          msg = this.store.read(ce.seg, ce.off, ce.len);
        } catch {
          // a damaged or missing record: this message cannot be delivered; forget it
          if ((ce.flags & CE_PERSISTED) !== 0) this.store.ack(this.storeId, ce.seq);
          this.store.unref(ce.seg, ce.len);
          this.stats.dropped += 1;
          continue;
        }
        this.head.push({ msg, seq: ce.seq, redelivered: (ce.flags & CE_REDELIVERED) !== 0, persisted: (ce.flags & CE_PERSISTED) !== 0, refd: true, expiresAt: ce.exp, priority: 0 });
        this.headBytes += msg.bodySize;
      }
      return;
    }
    if (this.tail.length > 0) {
      const t = this.head;
      this.head = this.tail;
      this.tail = t;
      this.headBytes = this.tailBytes;
      this.tailBytes = 0;
    }
  }

  // --- taking and settling --------------------------------------------------------------------

  /** The next ready entry in delivery order, left in place (expiry looks at it). */
  private peekReady(): QueueEntry | undefined {
    if (this.levels !== null) return this.levels.peek();
    if (this.requeued.length > 0) return this.requeued.peek();
    if (this.head.length === 0) this.refill();
    return this.head.peek();
  }

  /** Removes the next ready entry in delivery order. */
  private shiftReady(): QueueEntry | undefined {
    if (this.levels !== null) return this.levels.shift();
    let e: QueueEntry | undefined;
    if (this.requeued.length > 0) {
      e = this.requeued.pop() as QueueEntry;
      this.requeuedBytes -= e.msg.bodySize;
    } else {
      if (this.head.length === 0) this.refill();
      e = this.head.shift();
      if (e === undefined) return undefined;
      this.headBytes -= e.msg.bodySize;
    }
    return e;
  }

  /**
   * The next ready entry, removed from the ready list (basic.get or a delivery). A message already
   * past its expiry time is expired here instead of delivered (strictly past: a TTL of 0 still
   * reaches a consumer that can take it at once).
   */
  private take(): QueueEntry | undefined {
    let e: QueueEntry | undefined;
    for (;;) {
      e = this.shiftReady();
      if (e === undefined) return undefined;
      if (e.expiresAt === 0 || e.expiresAt >= this.clock.now()) break;
      this.discard(e, 'expired');
    }
    this.unacked += 1;
    if (e.redelivered) this.stats.redelivered += 1;
    else if (e.persisted) this.store.delivered(this.storeId, e.seq);
    if (e.persisted || e.refd) this.unackedHeld.add(e);
    return e;
  }

  get(): QueueEntry | undefined {
    this.touch(); // basic.get counts as use (x-expires)
    const e = this.take();
    if (e) this.stats.gets += 1;
    return e;
  }

  /** Puts an unacked entry back in its original place, marked redelivered. Call dispatch() after. */
  requeue(e: QueueEntry): void {
    this.unacked -= 1;
    if (this.deleted) {
      this.forget(e);
      return;
    }
    this.unackedHeld.delete(e);
    e.redelivered = true;
    if (this.levels !== null) this.levels.requeue(e);
    else {
      this.requeued.push(e);
      this.requeuedBytes += e.msg.bodySize;
    }
    // it keeps its expiry time; if it is now the head, the TTL timer must cover it
    if (e.expiresAt !== 0) this.expireDue();
  }

  /** A delivered entry was acked (or delivered with no-ack). */
  settle(e: QueueEntry): void {
    this.unacked -= 1;
    this.stats.acked += 1;
    this.forget(e);
  }

  /** A delivered entry was rejected or nacked without requeue: it is dead-lettered (reason rejected). */
  reject(e: QueueEntry): void {
    if (!this.deleted) this.deadLetter(e.msg, 'rejected');
    this.settle(e);
  }

  /** The entry leaves the queue for good: its ACK record and its segment reference go. */
  private forget(e: QueueEntry): void {
    this.unackedHeld.delete(e);
    if (e.persisted && !this.deleted) this.store.ack(this.storeId, e.seq);
    if (e.refd) this.store.unref(e.msg.seg, e.msg.len);
  }

  /** Discards the oldest ready message (overflow drop-head), dead-lettering it (reason maxlen). */
  private dropHead(): void {
    const e = this.shiftReady();
    if (e !== undefined) this.discard(e, 'maxlen');
  }

  /** A ready entry (already removed from the ready list) leaves without being delivered. */
  private discard(e: QueueEntry, reason: DeadLetterReason): void {
    this.stats.dropped += 1;
    this.deadLetter(e.msg, reason);
    this.forget(e);
  }

  private deadLetter(msg: Message, reason: DeadLetterReason): void {
    if (this.limits.deadLetterExchange === undefined) return;
    this.events.deadLetter?.(this, msg, reason, this.clock.now());
  }

  // --- message TTL ----------------------------------------------------------------------------

  /** When a message enqueued now expires: the lower of the queue's TTL and its expiration property. */
  private expiryFor(msg: Message): number {
    let ttl = this.limits.messageTtl;
    const raw = msg.propsRaw;
    if (raw.length >= 2 && (raw.readUInt16BE(0) & PROPERTY_FLAGS.expiration) !== 0) {
      const s = msg.properties().expiration;
      const perMessage = s !== undefined && /^\+?[0-9]+$/.test(s) ? Number(s) : Number.NaN;
      if (perMessage >= 0 && (ttl === undefined || perMessage < ttl)) ttl = perMessage;
    }
    return ttl === undefined ? 0 : this.clock.now() + ttl;
  }

  /**
   * Expires messages from the head while the head is due, at most EXPIRE_BATCH per call (the rest
   * on the next turn), then sets the timer for the new head's expiry time. Like RabbitMQ, only the
   * head is looked at: a message behind a longer-lived head waits for it (never delivered, though:
   * take() checks each message it hands out).
   */
  private expireDue(): void {
    if (this.deleted) return;
    const now = this.clock.now();
    for (let budget = EXPIRE_BATCH; ; budget--) {
      const e = this.peekReady();
      if (e === undefined || e.expiresAt === 0) return this.armExpiry(0);
      if (e.expiresAt > now) return this.armExpiry(e.expiresAt);
      if (budget === 0) return this.armExpiry(now); // more are due: continue on the next turn
      this.shiftReady();
      this.discard(e, 'expired');
    }
  }

  private armExpiry(at: number): void {
    if (this.expiryTimer !== null) {
      if (this.expiryTimerAt === at) return;
      this.expiryTimer.cancel();
      this.expiryTimer = null;
    }
    if (at === 0) return;
    this.expiryTimerAt = at;
    this.expiryTimer = this.clock.setTimer(at - this.clock.now(), () => {
      this.expiryTimer = null;
      this.expireDue();
      if (this.consumers.length > 0) this.dispatch();
    });
  }

  // --- queue expiry (x-expires) ---------------------------------------------------------------

  /**
   * The queue was used (declared, redeclared, basic.get, its last consumer left): the x-expires
   * countdown starts again. While it has consumers it is in use and does not expire.
   */
  touch(): void {
    if (this.unusedTimer !== null) {
      this.unusedTimer.cancel();
      this.unusedTimer = null;
    }
    const ms = this.limits.expires;
    if (ms === undefined || this.deleted) return;
    this.unusedTimer = this.clock.setTimer(ms, () => {
      this.unusedTimer = null;
      if (this.consumers.length > 0) return; // removeConsumer() starts the countdown again
      if (!this.deleted) this.events.autoDeleteQueue(this);
    });
  }

  /** Delivers ready messages to consumers that can take them (see nextConsumer for the order). */
  dispatch(): void {
    if (this.dispatching || this.deleted) return; // a delivery may re-enter through a settle
    this.dispatching = true;
    try {
      while (this.messageCount > 0 && this.consumers.length > 0) {
        const chosen = this.nextConsumer();
        if (chosen === undefined) break;
        const e = this.take();
        if (e === undefined) break;
        this.stats.delivered += 1;
        chosen.deliver(this, e);
      }
    } finally {
      this.dispatching = false;
    }
    if (this.messageCount > FLOW_HIGH) {
      // limited while deliveries wait for sockets; a backlog waiting for acks is the queue's job
      if (this.flowLimited !== this.consumersOutputBlocked()) {
        if (this.flowLimited) this.releaseFlow();
        else this.flowLimited = true;
      }
    } else if (this.flowLimited && this.messageCount <= FLOW_LOW) {
      this.releaseFlow();
    }
  }

  private consumersOutputBlocked(): boolean {
    const cs = this.consumers;
    for (let i = 0; i < cs.length; i++) if ((cs[i] as ConsumerSink).outputBlocked()) return true;
    return false;
  }

  // --- policies -------------------------------------------------------------------------------

  /**
   * A policy (and operator policy) now applies to this queue, or none (undefined): its features are
   * re-resolved at once, as RabbitMQ applies a policy change to existing queues.
   */
  applyPolicy(name: string | undefined, def: PolicyDefinition | undefined, opName?: string, opDef?: PolicyDefinition): void {
    this.policyName = name;
    this.operatorPolicyName = opName;
    this.limits = queueLimits(this.settings.arguments, def, opDef);
    this.limitsChanged();
  }

  /** Enforces limits that may have changed (policy): length limits now; features with timers re-arm here. */
  private limitsChanged(): void {
    const lim = this.limits;
    while (this.messageCount > lim.maxLength || this.readyBytes > lim.maxLengthBytes) this.dropHead();
    this.touch();
  }

  // --- flow control ---------------------------------------------------------------------------

  /** A publisher pauses until this queue has caught up (call only while flowLimited). */
  holdPublisher(l: FlowListener): void {
    (this.flowHeld ??= new Set()).add(l);
  }

  /** A held publisher went away. */
  forgetPublisher(l: FlowListener): void {
    this.flowHeld?.delete(l);
  }

  private releaseFlow(): void {
    this.flowLimited = false;
    const held = this.flowHeld;
    if (held === null || held.size === 0) return;
    this.flowHeld = null;
    for (const l of held) l.queueFlowReleased(this);
  }

  // --- consumers ------------------------------------------------------------------------------

  addConsumer(c: ConsumerSink): void {
    this.consumers.push(c);
    const groups = this.byPriority;
    let g = 0;
    while (g < groups.length && (groups[g] as PriorityGroup).priority > c.priority) g++;
    const group = groups[g];
    if (group !== undefined && group.priority === c.priority) group.members.push(c);
    else groups.splice(g, 0, { priority: c.priority, members: [c], next: 0 });
    this.hadConsumer = true;
    this.dispatch();
  }

  removeConsumer(c: ConsumerSink): void {
    const i = this.consumers.indexOf(c);
    if (i < 0) return;
    this.consumers.splice(i, 1);
    const groups = this.byPriority;
    const g = groups.findIndex((x) => x.priority === c.priority);
    const group = groups[g] as PriorityGroup;
    const j = group.members.indexOf(c);
    group.members.splice(j, 1);
    if (group.next > j) group.next -= 1;
    if (group.members.length === 0) groups.splice(g, 1);
    if (this.flowLimited && !this.consumersOutputBlocked()) this.releaseFlow();
    if (this.consumers.length === 0) this.touch(); // unused from now on: the x-expires countdown starts
    if (this.consumers.length === 0 && this.autoDelete && this.hadConsumer && !this.deleted) {
      this.events.autoDeleteQueue(this);
    } else if (i === 0 && this.limits.singleActiveConsumer && this.consumers.length > 0) {
      // the active consumer left: the next registered one takes over at once
      this.dispatch();
    }
  }

  /**
   * Who gets the next message. Single active consumer: only the first registered consumer (RabbitMQ
   * 3.10 ignores x-priority here). Otherwise the highest-priority group that has a consumer able to
   * take it, round-robin inside the group: lower priorities get messages only while every higher
   * consumer is blocked (prefetch, flow, socket).
   */
  private nextConsumer(): ConsumerSink | undefined {
    if (this.limits.singleActiveConsumer) {
      const active = this.consumers[0];
      return active !== undefined && active.canTake() ? active : undefined;
    }
    const groups = this.byPriority;
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g] as PriorityGroup;
      const ms = group.members;
      for (let n = 0; n < ms.length; n++) {
        if (group.next >= ms.length) group.next = 0;
        const c = ms[group.next++] as ConsumerSink;
        if (c.canTake()) return c;
      }
    }
    return undefined;
  }

  /** Does this consumer get deliveries? False only for the waiting consumers of a single-active-consumer queue. */
  isActiveConsumer(c: ConsumerSink): boolean {
    return !this.limits.singleActiveConsumer || this.consumers[0] === c;
  }

  /** The tag of the single active consumer, or null (not such a queue, or no consumer). */
  get singleActiveConsumerTag(): string | null {
    return this.limits.singleActiveConsumer ? (this.consumers[0]?.tag ?? null) : null;
  }

  hasExclusiveConsumer(): boolean {
    return this.consumers.some((c) => c.exclusive);
  }

  // --- purge, delete, recovery ----------------------------------------------------------------

  /** Drops every ready message; returns how many. Unacked messages are not touched. */
  purge(): number {
    const n = this.messageCount;
    if (this.levels !== null) for (const e of this.levels.clear()) this.forget(e);
    for (const e of this.requeued.clear()) this.forget(e);
    for (const e of this.head) this.forget(e);
    for (const e of this.tail) this.forget(e);
    this.middle.forEach((ce) => {
      if ((ce.flags & CE_PERSISTED) !== 0 && !this.deleted) this.store.ack(this.storeId, ce.seq);
      this.store.unref(ce.seg, ce.len);
    });
    this.head = new Deque<QueueEntry>();
    this.tail = new Deque<QueueEntry>();
    this.middle.clear();
    this.headBytes = 0;
    this.tailBytes = 0;
    this.requeuedBytes = 0;
    this.armExpiry(0);
    if (this.flowLimited) this.releaseFlow();
    return n;
  }

  /** Marks the queue deleted and cancels its consumers; returns the ready count it had. */
  destroy(): number {
    if (this.storeId !== 0) this.store.removeQueue(this.storeId);
    this.deleted = true;
    this.touch(); // cancels the x-expires timer (deleted)
    const n = this.purge();
    const cs = this.consumers.splice(0, this.consumers.length);
    this.byPriority.length = 0;
    for (const c of cs) c.cancelledByQueue(this);
    this.releaseFlow();
    return n;
  }

  /** Takes over what the store recovered for this queue: all of it starts paged out. */
  recover(r: RecoveredQueue): void {
    this.storeId = this.store.addQueue(this, r.id);
    let maxSeq = 0;
    const levels = this.levels;
    r.forEach((seq, seg, off, len, size, flags, expiresAt) => {
      if (seq > maxSeq) maxSeq = seq;
      if (levels === null) {
        this.middle.push(seq, seg, off, len, size, flags | CE_PERSISTED, expiresAt);
        return;
      }
      // a priority queue needs each message's priority: read it back (priority queues are not paged)
      let msg: Message;
      try {
        msg = this.store.read(seg, off, len);
      } catch {
        this.store.ack(this.storeId, seq);
        return;
      }
      this.store.ref(seg, len);
      const e: QueueEntry = { msg, seq, redelivered: (flags & CE_REDELIVERED) !== 0, persisted: true, refd: true, expiresAt, priority: levels.levelOf(msg.properties().priority) };
      levels.push(e);
    });
    this.nextSeq = Math.max(this.nextSeq, maxSeq + 1);
    // what expired while the broker was down goes on the next turn (once every queue and exchange
    // is back, so dead-lettering finds them); then the head's timer is set
    this.armExpiry(this.clock.now());
  }

  /** Registers a new durable queue with the store. */
  persist(): void {
    if (this.storeId === 0 && this.store.durable) this.storeId = this.store.addQueue(this);
  }

  forEachPersisted(fn: (seq: number, seg: number, off: number, len: number, size: number, flags: number, expiresAt: number) => void): void {
    const visit = (e: QueueEntry, delivered: boolean): void => {
      if (e.persisted) fn(e.seq, e.msg.seg, e.msg.off, e.msg.len, e.msg.bodySize, e.redelivered || delivered ? CE_REDELIVERED : 0, e.expiresAt);
    };
    for (const e of this.unackedHeld) if (e.persisted) visit(e, true);
    if (this.levels !== null) for (const e of this.levels.values()) visit(e, false);
    for (const e of this.requeued.values()) visit(e, false);
    for (const e of this.head) visit(e, false);
    this.middle.forEach((ce) => {
      if ((ce.flags & CE_PERSISTED) !== 0) fn(ce.seq, ce.seg, ce.off, ce.len, ce.size, ce.flags & CE_REDELIVERED, ce.exp);
    });
    for (const e of this.tail) visit(e, false);
  }

  // --- compaction support (RecordHolder) -------------------------------------------------------

  private *heldEntries(): IterableIterator<QueueEntry> {
    yield* this.unackedHeld;
    if (this.levels !== null) yield* this.levels.values();
    yield* this.requeued.values();
    yield* this.head;
    yield* this.tail;
  }

  collectRecords(seg: number, fn: (off: number, len: number) => void): void {
    for (const e of this.heldEntries()) if (e.refd && e.msg.seg === seg) fn(e.msg.off, e.msg.len);
    this.middle.collect(seg, fn);
  }

  relocateRecords(
    seg: number,
    moved: ReadonlyMap<number, readonly [number, number, number]>,
    touched: Set<object>,
    account: (oldLen: number, newSeg: number, newLen: number) => void,
  ): number {
    let n = 0;
    for (const e of this.heldEntries()) {
      if (!e.refd) continue;
      const m = e.msg;
      if (touched.has(m)) {
        // a message object another queue already repointed: move this entry's reference too
        // (a copied record is byte-identical, so its length is unchanged)
        account(m.len, m.seg, m.len);
        n += 1;
        continue;
      }
      if (m.seg !== seg) continue;
      const to = moved.get(m.off);
      if (to === undefined) continue;
      account(m.len, to[0], to[2]);
      m.seg = to[0];
      m.off = to[1];
      m.len = to[2];
      touched.add(m);
      n += 1;
    }
    return n + this.middle.relocate(seg, moved, account);
  }

  /** Ready entries in delivery order, without consuming them (inspection; reads paged bodies). */
  *readyEntries(): IterableIterator<QueueEntry> {
    if (this.levels !== null) yield* this.levels.values();
    yield* [...this.requeued.values()].sort((a, b) => a.seq - b.seq);
    yield* this.head;
    const paged: CompactEntry[] = [];
    this.middle.forEach((ce) => paged.push({ ...ce }));
    for (const ce of paged) {
      yield { msg: this.store.read(ce.seg, ce.off, ce.len), seq: ce.seq, redelivered: (ce.flags & CE_REDELIVERED) !== 0, persisted: (ce.flags & CE_PERSISTED) !== 0, refd: true, expiresAt: ce.exp, priority: 0 };
    }
    yield* this.tail;
  }

  // --- management view (read-only state for the management API) ----------------------------

  /** Bytes of ready message bodies held only on disk. */
  get pagedOutBytes(): number {
    return this.middle.bytes;
  }
}
