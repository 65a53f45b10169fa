// x-delayed-message: the delayed message exchange (RabbitMQ's rabbitmq_delayed_message_exchange
// plugin, built in and durable). A message whose x-delay header is a positive number of ms (at most
// 2^32-1, as the plugin) is held, then routed as the exchange's x-delayed-type would route it; any
// other message is routed at once.
//
// Holding: every delayed exchange owns a hidden queue (not in the vhost's queue list) that takes the
// held messages. It is an ordinary Queue, so a persistent message held by a durable delayed exchange
// is written by the store, the publisher confirm waits for the disk, and the message survives a
// restart; the exchange consumes its own hold queue (no prefetch limit) and keeps the held entries in
// a min-heap ordered by due time, with one clock timer for the earliest. The due time travels with
// the message in the x-warren-delayed-until header (ms since the epoch), so a restart, even past the
// due time, recovers it. At release the message is copied without that header and with x-delay
// negated (as the plugin does, so it is not delayed again), routed, and the held entry is acked
// once the queues that took the copy have it on disk.
import { commandInvalid, preconditionFailed } from '../../errors.js';
import { type FieldTable, type FieldValue, numericValue } from '../../protocol/field-value.js';
import type { MessageStore } from '../../store/store.js';
import type { Clock, TimerHandle } from '../clock.js';
import { Message } from '../message.js';
import { type ConsumerSink, Queue, type QueueEntry } from '../queue/queue.js';
import { type Binding, type Destination, Exchange, type ExchangeSettings } from './exchange.js';

export const DELAYED_TYPE = 'x-delayed-message';
/** where a held message's due time is kept (removed again before it is routed) */
export const DUE_HEADER = 'x-warren-delayed-until';
/** the plugin's ceiling: Erlang's largest timer */
const MAX_DELAY_MS = 4294967295;
/** the hold queue's name: never a name a client can declare (amq.* is reserved) */
export const holdQueueName = (exchange: string): string => `amq.warren.delayed.${exchange}`;

/** The delay a message asks for (the plugin's get_delay: integers, numeric strings, truncated floats); 0: none. */
export function requestedDelay(headers: FieldTable | undefined): number {
  const v: FieldValue | undefined = headers?.['x-delay'];
  if (v === undefined) return 0;
  let n: number | undefined;
  if (typeof v === 'string') n = /^-?\d+$/.test(v) ? Number(v) : undefined;
  else if (Buffer.isBuffer(v)) n = /^-?\d+$/.test(v.toString('utf8')) ? Number(v.toString('utf8')) : undefined;
  else {
    const x = numericValue(v);
    n = x === undefined ? undefined : Math.trunc(x);
  }
  return n !== undefined && n > 0 && n <= MAX_DELAY_MS ? n : 0;
}

interface Held {
  due: number;
  entry: QueueEntry;
}

/** What the exchange needs from the broker to hold messages (given once it is in a vhost). */
export interface DelayedRuntime {
  store: MessageStore;
  clock: Clock;
  /** register the hold queue with the store now (false while booting: recovery does it) */
  persist: boolean;
  /** routes a released message as a publish to this exchange would and enqueues it; true when it must reach the disk */
  enqueue(ex: DelayedMessageExchange, msg: Message): boolean;
}

export class DelayedMessageExchange extends Exchange implements ConsumerSink {
  readonly type: string = DELAYED_TYPE;
  /** routes like the x-delayed-type exchange: every binding is mirrored into it */
  private readonly inner: Exchange;
  /** the hidden queue holding delayed messages; null until attach() */
  hold: Queue | null = null;
  private runtime: DelayedRuntime | null = null;
  /** held entries by due time (a binary min-heap) */
  private readonly heap: Held[] = [];
  private timer: TimerHandle | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  /** set while a released message is routed, so collect() routes instead of holding */
  private releasing = false;

  // ConsumerSink: the exchange consumes its own hold queue
  readonly tag = 'amq.warren.delayed';
  readonly noAck = false;
  readonly exclusive = false;
  readonly priority = 0;

  constructor(name: string, vhost: string, settings: ExchangeSettings, makeInner: (type: string) => Exchange | undefined) {
    super(name, vhost, settings);
    const t = settings.arguments['x-delayed-type'];
    const type = typeof t === 'string' ? t : Buffer.isBuffer(t) ? t.toString('utf8') : undefined;
    // the plugin's text, typos included
    if (type === undefined) throw preconditionFailed("Invalid argument, 'x-delayed-type' must bean existing exchnage type");
    // an unknown type is rabbit_exchange:check_type's connection error, as for exchange.declare
    const inner = type === DELAYED_TYPE ? undefined : makeInner(type);
    if (inner === undefined) throw commandInvalid(`unknown exchange type '${type}'`);
    this.inner = inner;
  }

  /** The exchange joined a vhost: make (or re-make, after a restart) its hold queue and start consuming it. */
  attach(runtime: DelayedRuntime): void {
    this.runtime = runtime;
    const q = new Queue(holdQueueName(this.name), this.vhost, { durable: this.durable, exclusive: false, autoDelete: false, arguments: {} }, { autoDeleteQueue: () => {}, clock: runtime.clock }, runtime.store);
    this.hold = q;
    if (this.durable && runtime.persist) q.persist();
    q.addConsumer(this);
  }

  /** The exchange was deleted: its held messages go with it, as with the plugin. */
  detach(): void {
    this.timer?.cancel();
    this.timer = null;
    const q = this.hold;
    this.hold = null;
    if (q !== null) {
      q.removeConsumer(this);
      // the held entries are this consumer's unacked deliveries: ack them so their records are released
      for (const h of this.heap) q.settle(h.entry);
      q.destroy();
    }
    this.heap.length = 0;
  }

  /** How many messages wait (management API, tests). */
  get heldCount(): number {
    return this.heap.length;
  }

  // --- routing --------------------------------------------------------------------------------

  collect(routingKey: string, msg: Message, out: Destination[]): void {
    if (this.releasing || this.hold === null) {
      this.inner.collect(routingKey, msg, out);
      return;
    }
    const props = msg.properties();
    const delay = requestedDelay(props.headers);
    if (delay === 0) {
      this.inner.collect(routingKey, msg, out);
      return;
    }
    // the due time is written into the message, so it is stored (and recovered) with it
    const due = (this.runtime as DelayedRuntime).clock.now() + delay;
    msg.setProperties({ ...props, headers: { ...props.headers, [DUE_HEADER]: BigInt(due) } });
    out.push(this.hold);
  }

  override validateBinding(routingKey: string, args: FieldTable): void {
    this.inner.validateBinding(routingKey, args);
  }

  protected added(b: Binding): void {
    this.inner.bind(b);
  }

  protected removed(b: Binding): void {
    this.inner.unbind(b.key);
  }

  // --- ConsumerSink: entries arriving in the hold queue ---------------------------------------

  canTake(): boolean {
    return true;
  }

  outputBlocked(): boolean {
    return false;
  }

  deliver(_queue: Queue, entry: QueueEntry): void {
    const v = entry.msg.headers?.[DUE_HEADER];
    const n = v === undefined ? undefined : numericValue(v);
    const due = n === undefined ? (this.runtime as DelayedRuntime).clock.now() : Number(n);
    this.push({ due, entry });
    this.arm();
  }

  cancelledByQueue(): void {}

  // --- release --------------------------------------------------------------------------------

  private arm(): void {
    const first = this.heap[0];
    if (first === undefined || this.runtime === null) return;
    if (this.timer !== null && this.timerAt <= first.due) return;
    this.timer?.cancel();
    const clock = this.runtime.clock;
    this.timerAt = first.due;
    this.timer = clock.setTimer(first.due - clock.now(), () => {
      this.timer = null;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.releaseDue();
    });
  }

  /** Routes every held message whose time has come, earliest first. */
  private releaseDue(): void {
    const rt = this.runtime;
    const hold = this.hold;
    if (rt === null || hold === null) return;
    const now = rt.clock.now();
    while (this.heap.length > 0 && (this.heap[0] as Held).due <= now) {
      const h = this.pop() as Held;
      const msg = released(h.entry.msg);
      let durable = false;
      this.releasing = true;
      try {
        durable = rt.enqueue(this, msg);
      } finally {
        this.releasing = false;
      }
      // the held copy goes only once the routed copy is as safe as it was
      if (durable) rt.store.sync({ durable: () => hold.settle(h.entry) });
      else hold.settle(h.entry);
    }
    this.arm();
  }

  private push(h: Held): void {
    const a = this.heap;
    a.push(h);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((a[p] as Held).due <= h.due) break;
      a[i] = a[p] as Held;
      i = p;
    }
    a[i] = h;
  }

  private pop(): Held | undefined {
    const a = this.heap;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && (a[r] as Held).due < (a[l] as Held).due ? r : l;
      if ((a[c] as Held).due >= last.due) break;
      a[i] = a[c] as Held;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

/** The message as it leaves the exchange: without the due-time header, x-delay negated (the plugin's swap_delay_header). */
function released(held: Message): Message {
  const props = held.properties();
  const headers: FieldTable = { ...props.headers };
  delete headers[DUE_HEADER];
  const delay = requestedDelay(headers);
  if (delay > 0) headers['x-delay'] = -delay;
  return new Message(held.exchange, held.routingKey, rawWith(held, { ...props, headers }), held.body);
}

function rawWith(held: Message, props: ReturnType<Message['properties']>): Buffer {
  const copy = new Message(held.exchange, held.routingKey, held.propsRaw, held.body);
  copy.setProperties(props);
  return copy.propsRaw;
}
