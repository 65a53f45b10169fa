// One AMQP channel: content assembly for publishes, consumers and the deliveries they are owed,
// delivery tags and acknowledgements, prefetch, publisher confirms and transactions. Method
// handlers for each class live in handlers/; this file owns the state they share.
import { type Access, PermissionCache, permitted, type ResourceKind, resourceName, topicPermitted } from '../auth/permissions.js';
import { accessRefused, frameError, notFound, notImplemented, preconditionFailed, rname, unexpectedFrame } from '../errors.js';
import { type Exchange, route } from '../core/exchange/index.js';
import { expirationProblem } from '../core/arguments.js';
import { Message } from '../core/message.js';
import { ACCEPTED_DURABLE, type ConsumerSink, type Queue, type QueueEntry, REFUSED } from '../core/queue/queue.js';
import { Deque } from '../core/queue/deque.js';
import type { DurableWaiter } from '../store/store.js';
import type { TimerHandle } from '../core/clock.js';
import type { VHost } from '../core/vhost.js';
import type { FieldTable } from '../protocol/field-value.js';
import { PROPERTY_FLAGS } from '../protocol/generated/properties.js';
import { type AnyMethod, type BasicPublish, M } from '../protocol/generated/methods.js';
import type { Connection } from './connection.js';
import { REPLY_PREFIX, REPLY_QUEUE, type ReplyTarget } from './direct-reply-to.js';
import { dispatchMethod } from './dispatch.js';

/** Bodies smaller than this are copied out of the socket chunk so they don't pin it in memory. */
const SMALL_BODY = 16 * 1024;

export class Consumer implements ConsumerSink {
  unacked = 0;

  constructor(
    readonly channel: Channel,
    readonly queue: Queue,
    readonly tag: string,
    readonly noAck: boolean,
    readonly exclusive: boolean,
    /** per-consumer prefetch in force when the consumer was created (0 = unlimited) */
    readonly prefetch: number,
    readonly args: FieldTable,
    /** x-priority from the consume arguments (validated by basic.consume) */
    readonly priority = 0,
  ) {}

  canTake(): boolean {
    const ch = this.channel;
    if (ch.state !== 'open' || !ch.conn.canWrite()) return false;
    if (this.noAck) return true;
    if (this.prefetch !== 0 && this.unacked >= this.prefetch) return false;
    return ch.globalPrefetch === 0 || ch.unacked.size < ch.globalPrefetch;
  }

  outputBlocked(): boolean {
    return this.channel.state === 'open' && this.channel.conn.outputBlocked();
  }

  deliver(queue: Queue, entry: QueueEntry): void {
    this.channel.deliver(this, queue, entry);
  }

  cancelledByQueue(_queue: Queue): void {
    this.channel.consumerCancelledByQueue(this);
  }
}

export interface Unacked {
  readonly queue: Queue;
  readonly entry: QueueEntry;
  readonly consumer: Consumer | null;
  /** clock time after which the delivery times out (consumer timeout); Infinity: never */
  readonly deadline: number;
}

/** setTimeout's longest delay (a longer consumer timeout is checked again when this one fires). */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface TxPublish {
  exchange: string;
  msg: Message;
  mandatory: boolean;
}
interface TxSettle {
  kind: 'ack' | 'nack';
  tag: number;
  multiple: boolean;
  requeue: boolean;
}

export class Channel implements ReplyTarget, DurableWaiter {
  state: 'open' | 'closing' = 'open';

  // content assembly: a publish method waiting for its header and body frames
  private pub: BasicPublish | null = null;
  private pubProps: Buffer | null = null;
  private pubSize = 0;
  private pubReceived = 0;
  private pubChunks: Buffer[] = [];
  /** the body is over max_message_size: count its frames, keep nothing, refuse it at the end */
  private pubDiscard = false;

  // deliveries
  private nextTag = 1;
  readonly unacked = new Map<number, Unacked>();
  readonly consumers = new Map<string, Consumer>();
  /**
   * Tags of deliveries the consumer timeout took back to their queue. The client may still ack or
   * reject them when it finally gets to them; that is accepted and ignored instead of closing the
   * channel with "unknown delivery tag".
   */
  private readonly timedOut = new Set<number>();
  /** the one consumer-timeout timer of this channel, due at timeoutAt */
  private timeoutTimer: TimerHandle | null = null;
  private timeoutAt = 0;
  /** basic.qos global=false: applies to consumers created afterwards */
  consumerPrefetch = 0;
  /** basic.qos global=true: shared by the whole channel */
  globalPrefetch = 0;

  // publisher confirms. Transient publishes are confirmed at once; persistent ones routed to a
  // durable queue wait (in order) for the store's commit. Acks go out coalesced once per turn.
  confirmMode = false;
  private publishSeq = 0;
  /** seqs waiting for the store, ascending; each store.sync() call matches one */
  private readonly pendingDurable = new Deque<number>();
  /** seqs confirmed but not yet acked on the wire */
  private readyAcks: number[] = [];
  private ackSentUpTo = 0;
  private confirmFlushQueued = false;

  // transactions
  txMode = false;
  private txPublishes: TxPublish[] = [];
  private txSettles: TxSettle[] = [];

  /** the queue most recently declared here: what an empty queue name means (AMQP's "current queue") */
  lastQueue = '';
  /** direct reply-to registration when this channel consumes amq.rabbitmq.reply-to */
  replyKey: string | null = null;
  replyConsumerTag = '';

  /** replies held back behind one that waits for definitions to reach the disk (kept in order) */
  private replies: { m: AnyMethod | null; ready: boolean; after?: () => void }[] = [];
  private readonly routed: Queue[] = [];
  private readonly touched = new Set<Queue>();

  constructor(
    readonly conn: Connection,
    readonly id: number,
  ) {}

  get vhost(): VHost {
    return this.conn.vhostRef();
  }

  // --- access control -------------------------------------------------------------------------
  // Every check reads the user's permissions as they are now, except that grants this channel
  // used recently are remembered (RabbitMQ's per-channel cache; see PermissionCache).

  private readonly grants = new PermissionCache();

  /** 403 unless the user may configure (declare, delete) the resource. */
  checkConfigure(kind: ResourceKind, name: string): void {
    this.checkAccess('configure', kind, name);
  }

  /** 403 unless the user may write to the resource (publish to an exchange, bind to a destination). */
  checkWrite(kind: ResourceKind, name: string): void {
    this.checkAccess('write', kind, name);
  }

  /** 403 unless the user may read from the resource (consume, get, purge; bind from an exchange). */
  checkRead(kind: ResourceKind, name: string): void {
    this.checkAccess('read', kind, name);
  }

  private checkAccess(access: Access, kind: ResourceKind, name: string): void {
    if (this.grants.has(access, kind, name)) return;
    const conn = this.conn;
    const vhost = conn.vhostName;
    const resource = resourceName(kind, name);
    const user = conn.currentUser();
    if (user === undefined || !permitted(user, vhost, access, resource)) {
      // RabbitMQ 3.10 does not say which access was refused (later versions prefix "configure " etc.)
      throw accessRefused(`access to ${rname(kind, resource, vhost)} refused for user '${conn.username}'`);
    }
    this.grants.add(access, kind, name);
  }

  /** Topic authorisation: publishing to (write) or binding from (read) a topic exchange checks the routing key. */
  checkTopic(ex: Exchange, access: 'write' | 'read', routingKey: string): void {
    if (ex.type !== 'topic') return;
    const user = this.conn.currentUser();
    if (user === undefined || user.topicPermissions === undefined) return;
    const vhost = this.conn.vhostName;
    if (!topicPermitted(user, vhost, ex.name, access, routingKey)) {
      throw accessRefused(`access to topic '${routingKey}' in exchange '${ex.name}' in vhost '${vhost}' refused for user '${user.name}'`);
    }
  }

  // --- frames ---------------------------------------------------------------------------------

  handleMethod(m: AnyMethod): void {
    if (this.pub !== null) {
      // a method arrived where the publish's content header or body was due
      const text =
        this.pubProps === null
          ? 'expected content header for class 60, got non content header frame instead'
          : 'expected content body, got non content body frame instead';
      this.pub = null;
      throw unexpectedFrame(text).at(60, 40);
    }
    if (m.id === M.BasicPublish) {
      this.startPublish(m);
      return;
    }
    dispatchMethod(this, m);
  }

  handleHeader(buf: Buffer, start: number, end: number): void {
    if (this.pub === null) throw unexpectedFrame('expected method frame, got non method frame instead').at(0, 0);
    if (this.pubProps !== null) throw unexpectedFrame('expected content body, got non content body frame instead').at(60, 40);
    if (end - start < 14) throw frameError(`content header frame too short`).at(60, 40);
    const classId = buf.readUInt16BE(start);
    if (classId !== 60) throw unexpectedFrame(`expected content header for class 60, got one for class ${classId} instead`).at(60, 40);
    const size = buf.readUInt32BE(start + 4) * 0x100000000 + buf.readUInt32BE(start + 8);
    this.pubProps = Buffer.from(buf.subarray(start + 12, end));
    this.pubSize = size;
    this.pubReceived = 0;
    // RabbitMQ refuses an oversized body only once it has all arrived; we count it but keep none of it
    this.pubDiscard = size > this.conn.ctx.config.maxMessageSize;
    if (size === 0) this.completePublish(Buffer.alloc(0));
  }

  handleBody(buf: Buffer, start: number, end: number): void {
    if (this.pub === null) throw unexpectedFrame('expected method frame, got non method frame instead').at(0, 0);
    if (this.pubProps === null) throw unexpectedFrame('expected content header for class 60, got non content header frame instead').at(60, 40);
    const n = end - start;
    this.pubReceived += n;
    if (this.pubReceived > this.pubSize) {
      this.pub = null;
      throw unexpectedFrame('expected method frame, got non method frame instead').at(0, 0);
    }
    if (this.pubDiscard) {
      if (this.pubReceived === this.pubSize) this.completePublish(Buffer.alloc(0));
      return;
    }
    if (this.pubReceived === n && n === this.pubSize) {
      // the whole body in one frame: keep a view, or a compact copy for small bodies
      const view = buf.subarray(start, end);
      this.completePublish(n < SMALL_BODY ? Buffer.from(view) : view);
      return;
    }
    this.pubChunks.push(buf.subarray(start, end));
    if (this.pubReceived === this.pubSize) {
      const body = Buffer.concat(this.pubChunks, this.pubSize);
      this.pubChunks = [];
      this.completePublish(body);
    }
  }

  // --- publishing -----------------------------------------------------------------------------

  private startPublish(m: BasicPublish): void {
    this.pub = m;
    this.pubProps = null;
  }

  private completePublish(body: Buffer): void {
    const m = this.pub as BasicPublish;
    const props = this.pubProps as Buffer;
    this.pub = null;
    this.pubProps = null;
    // RabbitMQ raises these once the content is complete, not at the method frame
    if (m.immediate) throw notImplemented('immediate=true');
    if (this.pubDiscard) {
      this.pubDiscard = false;
      const max = this.conn.ctx.config.maxMessageSize;
      throw preconditionFailed(`message size ${this.pubSize} is larger than configured max size ${max}`);
    }
    const vhost = this.vhost;
    // RabbitMQ's order: write permission, then existence, internal, topic permission, user_id
    this.checkWrite('exchange', m.exchange);
    const ex = vhost.exchanges.get(m.exchange);
    if (ex === undefined) throw notFound(`no ${rname('exchange', m.exchange, vhost.name)}`);
    if (ex.internal) throw accessRefused(`cannot publish to internal ${rname('exchange', m.exchange, vhost.name)}`);
    this.checkTopic(ex, 'write', m.routingKey);
    const msg = new Message(m.exchange, m.routingKey, props, body);
    if (props.length >= 2) this.checkPublishProperties(msg);
    if (this.txMode) {
      this.txPublishes.push({ exchange: m.exchange, msg, mandatory: m.mandatory });
      return;
    }
    this.publish(ex, msg, m.mandatory);
  }

  /** Properties the broker acts on at publish time: user_id, direct reply-to, expiration. */
  private checkPublishProperties(msg: Message): void {
    const flags = msg.propsRaw.readUInt16BE(0);
    if ((flags & (PROPERTY_FLAGS.userId | PROPERTY_FLAGS.replyTo | PROPERTY_FLAGS.expiration)) === 0) return;
    const p = msg.properties();
    // a message may claim only its publisher as user_id, unless the publisher logged in as an impersonator
    const userName = this.conn.username;
    if (p.userId !== undefined && p.userId !== userName && !this.conn.mayImpersonate) {
      throw preconditionFailed(`user_id property set to '${p.userId}' but authenticated user was '${userName}'`);
    }
    if (p.replyTo === REPLY_QUEUE) {
      if (this.replyKey === null) throw preconditionFailed('fast reply consumer does not exist');
      msg.setProperties({ ...p, replyTo: REPLY_PREFIX + this.replyKey });
    }
    const expiry = p.expiration === undefined ? undefined : expirationProblem(p.expiration);
    if (expiry !== undefined) throw preconditionFailed(`invalid expiration '${p.expiration}': ${expiry}`);
  }

  /**
   * Routes and enqueues one message, returning it (basic.return) when mandatory and unroutable.
   * Returns true when a durable queue took it as persistent (it must reach the disk to count).
   */
  private publish(ex: Exchange, msg: Message, mandatory: boolean): boolean {
    const seq = this.confirmMode ? ++this.publishSeq : 0;
    this.publishCount += 1;
    ex.publishIn += 1;
    let routed = false;
    let refused = false;
    let durable = false;
    if (ex === this.vhost.defaultExchange && msg.routingKey.startsWith(REPLY_PREFIX)) {
      const target = this.conn.ctx.directReplyTo.lookup(msg.routingKey);
      if (target !== undefined) {
        target.deliverReply(msg.exchange, msg.routingKey, msg.propsRaw, msg.body);
        routed = true;
      }
    } else {
      const out = this.routed;
      route(ex, msg, out);
      routed = out.length > 0;
      for (let i = 0; i < out.length; i++) {
        const q = out[i] as Queue;
        const r = q.enqueue(msg);
        if (q.flowLimited) this.conn.holdForQueue(q);
        if (r === REFUSED) refused = true;
        else if (r === ACCEPTED_DURABLE) durable = true;
      }
      out.length = 0;
    }
    if (routed) ex.publishOut += 1;
    if (!routed && mandatory) {
      this.conn.out.basicReturn(this.id, 312, 'NO_ROUTE', msg.exchange, msg.routingKey, msg, this.conn.frameMax);
    }
    if (seq === 0) return durable;
    if (refused) this.nack(seq);
    else if (durable) {
      this.pendingDurable.push(seq);
      this.conn.ctx.store.sync(this);
    } else this.confirm(seq);
    return durable;
  }

  /** The store committed the batch holding our oldest pending publish (DurableWaiter). */
  durable(err: Error | null): void {
    const seq = this.pendingDurable.shift();
    if (seq === undefined || this.state !== 'open') return;
    if (err) this.nack(seq);
    else this.confirm(seq);
  }

  /**
   * basic.nack for a publish a queue refused (reject-publish) or the store could not write. Acks
   * owed for earlier publishes go out first; multiple=true, as RabbitMQ sends it, unless an earlier
   * publish is still waiting for the store.
   */
  private nack(seq: number): void {
    this.flushConfirms();
    const pendingBelow = (this.pendingDurable.peek() ?? Number.POSITIVE_INFINITY) < seq;
    if (seq > this.ackSentUpTo) this.ackSentUpTo = seq;
    this.conn.out.method(this.id, { id: M.BasicNack, deliveryTag: seq, multiple: !pendingBelow, requeue: false });
  }

  /** Marks publish `seq` confirmed; acks go out coalesced once per event-loop turn. */
  private confirm(seq: number): void {
    this.readyAcks.push(seq);
    if (!this.confirmFlushQueued) {
      this.confirmFlushQueued = true;
      this.conn.queueConfirmFlush(this);
    }
  }

  /**
   * Called by the connection just before its outbound buffer is written. Confirmed seqs below the
   * oldest publish still waiting for the store go out as one ack with multiple=true; any above it
   * go out one by one (multiple would wrongly cover the waiting one).
   */
  flushConfirms(): void {
    this.confirmFlushQueued = false;
    const ready = this.readyAcks;
    if (this.state !== 'open' || ready.length === 0) return;
    this.readyAcks = [];
    for (let i = 1; i < ready.length; i++) {
      if ((ready[i] as number) < (ready[i - 1] as number)) {
        ready.sort((a, b) => a - b);
        break;
      }
    }
    const lowestPending = this.pendingDurable.peek() ?? Number.POSITIVE_INFINITY;
    let i = 0;
    while (i < ready.length && (ready[i] as number) < lowestPending) i++;
    if (i > 0) {
      const top = ready[i - 1] as number;
      const multiple = !(i === 1 && top === this.ackSentUpTo + 1);
      if (top > this.ackSentUpTo) this.ackSentUpTo = top;
      this.conn.out.method(this.id, { id: M.BasicAck, deliveryTag: top, multiple });
    }
    for (; i < ready.length; i++) {
      this.conn.out.method(this.id, { id: M.BasicAck, deliveryTag: ready[i] as number, multiple: false });
    }
  }

  deliverReply(exchange: string, routingKey: string, propsRaw: Buffer, body: Buffer): void {
    if (this.state !== 'open') return;
    const tag = this.nextTag++;
    this.conn.out.deliver(this.id, this.replyConsumerTag, tag, false, exchange, routingKey, { propsRaw, body }, this.conn.frameMax);
  }

  // --- replies --------------------------------------------------------------------------------

  /**
   * Sends a method's reply. If handling it changed durable definitions (the broker's definitions
   * version moved since `version`), the reply waits until the store's commit has written them, as
   * RabbitMQ answers a durable declare only once it is on disk; replies after it on this channel
   * queue behind it so the order holds.
   */
  /** A reply that must wait for the store's next commit (e.g. tx.commit-ok with persistent messages). */
  replyDurable(m: AnyMethod): void {
    this.reply(m, Number.NaN);
  }

  reply(m: AnyMethod | null, version?: number, after?: () => void): void {
    const durable = version !== undefined && this.conn.ctx.definitionsVersion !== version;
    if (!durable && this.replies.length === 0) {
      if (m !== null) this.conn.out.method(this.id, m);
      after?.();
      return;
    }
    const entry = { m, ready: !durable, after };
    this.replies.push(entry);
    if (durable) {
      this.conn.ctx.store.sync({
        durable: () => {
          entry.ready = true;
          this.flushReplies();
        },
      });
    }
  }

  private flushReplies(): void {
    while (this.replies.length > 0 && (this.replies[0] as { ready: boolean }).ready) {
      const r = this.replies.shift() as { m: AnyMethod | null; after?: () => void };
      if (this.state !== 'open') continue;
      if (r.m !== null) this.conn.out.method(this.id, r.m);
      r.after?.();
    }
  }

  /** Runs `fn` once every reply before it has gone out (e.g. a basic.get behind a deferred declare-ok). */
  afterReplies(fn: () => void): void {
    this.reply(null, undefined, fn);
  }

  // --- transactions ---------------------------------------------------------------------------

  /** Applies the transaction; returns true when its persistent messages must reach the disk first. */
  txCommit(): boolean {
    const pubs = this.txPublishes;
    const settles = this.txSettles;
    this.txPublishes = [];
    this.txSettles = [];
    let durable = false;
    for (const p of pubs) {
      const ex = this.vhost.exchanges.get(p.exchange);
      if (ex && this.publish(ex, p.msg, p.mandatory)) durable = true;
    }
    for (const s of settles) {
      if (s.kind === 'ack') this.settle(s.tag, s.multiple, 'ack', false);
      else this.settle(s.tag, s.multiple, 'nack', s.requeue);
    }
    return durable;
  }

  txRollback(): void {
    this.txPublishes = [];
    this.txSettles = [];
  }

  // --- deliveries -----------------------------------------------------------------------------

  deliver(consumer: Consumer, queue: Queue, entry: QueueEntry): void {
    const tag = this.nextTag++;
    if (consumer.noAck) queue.settle(entry);
    else {
      this.unacked.set(tag, { queue, entry, consumer, deadline: this.deadlineFor(queue) });
      consumer.unacked += 1;
    }
    const msg = entry.msg;
    this.conn.out.deliver(this.id, consumer.tag, tag, entry.redelivered, msg.exchange, msg.routingKey, msg, this.conn.frameMax);
  }

  /** basic.get: hands one entry over with a delivery tag. */
  deliverGet(queue: Queue, entry: QueueEntry, noAck: boolean): void {
    const tag = this.nextTag++;
    // RabbitMQ times out an unacked basic.get delivery as well as a consumer's
    if (noAck) queue.settle(entry);
    else this.unacked.set(tag, { queue, entry, consumer: null, deadline: this.deadlineFor(queue) });
    const msg = entry.msg;
    this.conn.out.getOk(this.id, tag, entry.redelivered, msg.exchange, msg.routingKey, queue.messageCount, msg, this.conn.frameMax);
  }

  /** basic.ack / nack / reject. In a transaction they wait for commit, after validation. */
  ackOrReject(kind: 'ack' | 'nack', tag: number, multiple: boolean, requeue: boolean): void {
    // RabbitMQ: the exact tag must be outstanding, even with multiple (except multiple with tag 0 = all)
    if (!(multiple && tag === 0) && !this.unacked.has(tag) && !this.timedOut.has(tag)) {
      throw preconditionFailed(`unknown delivery tag ${tag}`);
    }
    if (this.txMode) {
      this.txSettles.push({ kind, tag, multiple, requeue });
      return;
    }
    this.settle(tag, multiple, kind, requeue);
  }

  private settle(tag: number, multiple: boolean, kind: 'ack' | 'nack', requeue: boolean): void {
    const touched = this.touched;
    if (this.timedOut.size > 0) this.forgetTimedOut(tag, multiple);
    if (multiple) {
      for (const [t, u] of this.unacked) {
        if (tag !== 0 && t > tag) break;
        this.settleOne(t, u, kind, requeue);
        touched.add(u.queue);
      }
    } else {
      const u = this.unacked.get(tag);
      if (u === undefined) return; // settled between validation and commit
      this.settleOne(tag, u, kind, requeue);
      touched.add(u.queue);
    }
    this.redispatch();
  }

  private settleOne(tag: number, u: Unacked, kind: 'ack' | 'nack', requeue: boolean): void {
    this.unacked.delete(tag);
    if (kind === 'ack') this.ackCount += 1;
    if (u.consumer !== null) u.consumer.unacked -= 1;
    if (kind === 'ack') u.queue.settle(u.entry);
    else if (requeue) u.queue.requeue(u.entry);
    else u.queue.reject(u.entry); // dead-lettered, reason rejected
  }

  // --- consumer timeout -----------------------------------------------------------------------
  // A delivery unacked for longer than its queue's consumer timeout (x-consumer-timeout, else the
  // broker's consumer_timeout) goes back to its queue and its consumer is cancelled with a server
  // basic.cancel. The channel stays open: RabbitMQ 3.10 closes it with 406 instead (see
  // docs/compatibility.md). One timer per channel, armed for the earliest deadline.

  /** When a delivery from `queue` made now times out (Infinity: the timeout is disabled). */
  private deadlineFor(queue: Queue): number {
    const ms = queue.limits.consumerTimeout ?? this.conn.ctx.config.consumerTimeout;
    if (!(ms > 0) || !Number.isFinite(ms)) return Number.POSITIVE_INFINITY;
    const deadline = this.conn.ctx.clock.now() + ms;
    // deadlines mostly grow with tags, so this rarely moves the timer
    if (this.timeoutTimer === null || deadline < this.timeoutAt) this.armTimeout(deadline);
    return deadline;
  }

  private armTimeout(at: number): void {
    this.timeoutTimer?.cancel();
    const clock = this.conn.ctx.clock;
    this.timeoutAt = at;
    this.timeoutTimer = clock.setTimer(Math.min(at - clock.now(), MAX_TIMER_MS), () => this.checkTimeouts());
  }

  /** The timer fired: time out what is due, re-arm for the earliest deadline left. */
  private checkTimeouts(): void {
    this.timeoutTimer = null;
    if (this.state !== 'open') return;
    const now = this.conn.ctx.clock.now();
    let next = Number.POSITIVE_INFINITY;
    let expired: number[] | null = null;
    for (const [tag, u] of this.unacked) {
      if (u.deadline <= now) (expired ??= []).push(tag);
      else if (u.deadline < next) next = u.deadline;
    }
    if (expired !== null) this.timeOut(expired);
    if (next !== Number.POSITIVE_INFINITY && this.timeoutTimer === null) this.armTimeout(next);
  }

  private timeOut(tags: number[]): void {
    // requeue first, then cancel: removing a consumer does not dispatch (except to hand a single
    // active consumer's queue over, and then the successor must find the requeued messages first)
    const touched = this.touched;
    const cancelled: Consumer[] = [];
    for (const tag of tags) {
      const u = this.unacked.get(tag) as Unacked;
      this.settleOne(tag, u, 'nack', true);
      this.timedOut.add(tag);
      touched.add(u.queue);
      const c = u.consumer;
      if (c !== null && this.consumers.get(c.tag) === c && !cancelled.includes(c)) cancelled.push(c);
    }
    const log = this.conn.ctx.log;
    for (const c of cancelled) {
      log.warn({ conn: this.conn.peer, channel: this.id, consumerTag: c.tag, queue: c.queue.name }, 'delivery acknowledgement timed out: consumer cancelled, message requeued');
      this.consumers.delete(c.tag);
      c.queue.removeConsumer(c);
      if (this.conn.clientCapability('consumer_cancel_notify')) {
        this.conn.out.method(this.id, { id: M.BasicCancel, consumerTag: c.tag, nowait: true });
      }
    }
    this.redispatch();
  }

  /** An ack / nack / reject reached deliveries the timeout already took back: forget them quietly. */
  private forgetTimedOut(tag: number, multiple: boolean): void {
    if (!multiple) this.timedOut.delete(tag);
    else if (tag === 0) this.timedOut.clear();
    else for (const t of this.timedOut) if (t <= tag) this.timedOut.delete(t);
  }

  /** Gives queues a chance to deliver again after credit was freed. */
  private redispatch(): void {
    const touched = this.touched;
    for (const c of this.consumers.values()) touched.add(c.queue);
    for (const q of touched) q.dispatch();
    touched.clear();
  }

  /** basic.recover(requeue=true): every unacked delivery goes back to its queue, redelivered. */
  recover(): void {
    for (const [t, u] of this.unacked) this.settleOne(t, u, 'nack', true);
    this.redispatch();
  }

  /** Re-runs dispatch for this channel's consumers (after socket drain or a qos change). */
  resume(): void {
    if (this.state === 'open') this.redispatch();
  }

  // --- consumers ------------------------------------------------------------------------------

  addConsumer(c: Consumer): void {
    this.consumers.set(c.tag, c);
  }

  cancelConsumer(tag: string): boolean {
    const c = this.consumers.get(tag);
    if (c === undefined) return false;
    this.consumers.delete(tag);
    c.queue.removeConsumer(c);
    return true;
  }

  consumerCancelledByQueue(c: Consumer): void {
    if (this.consumers.get(c.tag) !== c) return;
    this.consumers.delete(c.tag);
    if (this.state === 'open' && this.conn.clientCapability('consumer_cancel_notify')) {
      this.conn.out.method(this.id, { id: M.BasicCancel, consumerTag: c.tag, nowait: true });
    }
  }

  // --- teardown -------------------------------------------------------------------------------

  /** Releases everything the channel holds: consumers go, unacked messages return to their queues. */
  teardown(): void {
    this.state = 'closing';
    this.timeoutTimer?.cancel();
    this.timeoutTimer = null;
    this.pub = null;
    this.pubChunks = [];
    this.txRollback();
    if (this.replyKey !== null) {
      this.conn.ctx.directReplyTo.unregister(this.replyKey);
      this.replyKey = null;
    }
    // requeue before the consumers go, so that a single active consumer taking over starts with
    // the requeued messages, in their original order (as RabbitMQ's queue handles a channel's exit)
    const touched = this.touched;
    for (const [t, u] of this.unacked) {
      this.settleOne(t, u, 'nack', true);
      touched.add(u.queue);
    }
    for (const c of [...this.consumers.values()]) {
      this.consumers.delete(c.tag);
      c.queue.removeConsumer(c);
    }
    for (const q of touched) q.dispatch();
    touched.clear();
  }

  // --- management view (counters and state for the management API) -------------------------

  /** Messages published on this channel (message_stats.publish). */
  publishCount = 0;
  /** Deliveries the client acknowledged (message_stats.ack). */
  ackCount = 0;

  /** Deliveries and basic.get-ok replies sent so far (message_stats.deliver_get). */
  get deliverGetCount(): number {
    return this.nextTag - 1;
  }

  /** Publishes waiting for the store before they can be confirmed (messages_unconfirmed). */
  get unconfirmedCount(): number {
    return this.pendingDurable.length;
  }

  /** Publishes held by the open transaction (messages_uncommitted). */
  get uncommittedMessages(): number {
    return this.txPublishes.length;
  }

  /** Acks held by the open transaction (acks_uncommitted). */
  get uncommittedAcks(): number {
    return this.txSettles.length;
  }
}
