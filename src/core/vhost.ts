// A virtual host: its exchanges, queues and bindings, and the rules RabbitMQ applies to declaring,
// deleting and binding them. Protocol-agnostic: callers pass an opaque `owner` (the connection)
// for exclusive queues; every refusal is an AmqpError with RabbitMQ's text.
import { randomBytes } from 'node:crypto';
import { accessRefused, commandInvalid, notFound, preconditionFailed, resourceLocked, rname } from '../errors.js';
import type { FieldTable } from '../protocol/field-value.js';
import { assertEquivalentArgs, EQUIVALENCE_EXCHANGE_ARGS, EQUIVALENCE_QUEUE_ARGS, validateQueueArguments } from './arguments.js';
import { type Binding, bindingKey, createExchange, type Destination, Exchange, EXCHANGE_TYPES } from './exchange/index.js';
import { DefaultExchange } from './exchange/default.js';
import type { MessageStore } from '../store/store.js';
import { Queue, type QueueEvents, type QueueSettings } from './queue/queue.js';
import type { Clock } from './clock.js';
import { deadLetter } from './dead-letter.js';

export interface ExchangeDeclare {
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: FieldTable;
}

/** The exchanges RabbitMQ creates in every vhost. */
const BUILTIN_EXCHANGES: [string, string, boolean][] = [
  ['amq.direct', 'direct', false],
  ['amq.fanout', 'fanout', false],
  ['amq.topic', 'topic', false],
  ['amq.headers', 'headers', false],
  ['amq.match', 'headers', false],
  ['amq.rabbitmq.trace', 'topic', true],
];

export interface VHostEvents {
  queueDeleted(q: Queue): void;
  /** something that belongs in the definitions file changed (durable exchange/queue/binding) */
  definitionsChanged(): void;
  /** a queue or exchange was created: the broker puts the matching policy in force */
  queueCreated?(q: Queue): void;
  exchangeCreated?(e: Exchange): void;
  /** an exchange was deleted (a delayed exchange's held messages go with it) */
  exchangeDeleted?(e: Exchange): void;
  /** the broker's clock (message TTL, queue expiry); the system clock when absent */
  readonly clock?: Clock;
}

const NO_EVENTS: VHostEvents = { queueDeleted: () => {}, definitionsChanged: () => {} };

export class VHost {
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, Queue>();
  readonly defaultExchange: DefaultExchange;

  constructor(
    readonly name: string,
    private readonly store: MessageStore,
    private readonly events: VHostEvents = NO_EVENTS,
  ) {
    this.defaultExchange = new DefaultExchange(name, this.queues);
    this.exchanges.set('', this.defaultExchange);
    for (const [n, type, internal] of BUILTIN_EXCHANGES) {
      const e = createExchange(type, n, name, { durable: true, autoDelete: false, internal, arguments: {} }) as Exchange;
      e.siblings = this.exchanges;
      this.exchanges.set(n, e);
    }
  }

  // --- exchanges ------------------------------------------------------------------------------

  exchange(name: string): Exchange {
    const e = this.exchanges.get(name);
    if (!e) throw notFound(`no ${rname('exchange', name, this.name)}`);
    return e;
  }

  declareExchange(name: string, type: string, passive: boolean, d: ExchangeDeclare): Exchange {
    if (name === '') throw accessRefused(`operation not permitted on the default exchange`);
    const existing = this.exchanges.get(name);
    if (passive) {
      if (!existing) throw notFound(`no ${rname('exchange', name, this.name)}`);
      return existing;
    }
    // a built-in may be redeclared with its own attributes; new amq.* names are reserved
    if (!existing && name.startsWith('amq.')) throw accessRefused(`exchange name '${name}' contains reserved prefix 'amq.*'`);
    if (existing) {
      const what = rname('exchange', name, this.name);
      if (existing.type !== type) throw preconditionFailed(`inequivalent arg 'type' for ${what}: received '${type}' but current is '${existing.type}'`);
      for (const [arg, mine, theirs] of [
        ['durable', existing.durable, d.durable],
        ['auto_delete', existing.autoDelete, d.autoDelete],
        ['internal', existing.internal, d.internal],
      ] as const) {
        if (mine !== theirs) throw preconditionFailed(`inequivalent arg '${arg}' for ${what}: received '${theirs}' but current is '${mine}'`);
      }
      assertEquivalentArgs(EQUIVALENCE_EXCHANGE_ARGS, existing.settings.arguments, d.arguments, what);
      return existing;
    }
    // RabbitMQ treats an unknown type as a connection-level command error
    if (!EXCHANGE_TYPES.has(type)) throw commandInvalid(`unknown exchange type '${type}'`);
    const e = createExchange(type, name, this.name, { ...d }) as Exchange;
    e.siblings = this.exchanges; // to find its alternate exchange when routing
    this.exchanges.set(name, e);
    this.events.exchangeCreated?.(e);
    if (e.durable) this.events.definitionsChanged();
    return e;
  }

  deleteExchange(name: string, ifUnused: boolean): void {
    if (name === '') throw accessRefused(`operation not permitted on the default exchange`);
    if (name.startsWith('amq.') && this.exchanges.has(name)) {
      throw accessRefused(`deletion of system ${rname('exchange', name, this.name)} not allowed`);
    }
    const e = this.exchanges.get(name);
    if (!e) throw notFound(`no ${rname('exchange', name, this.name)}`);
    if (ifUnused && e.bindings.size > 0) throw preconditionFailed(`${rname('exchange', name, this.name)} in use`);
    this.removeExchange(e);
  }

  private removeExchange(e: Exchange): void {
    this.exchanges.delete(e.name);
    for (const key of [...e.bindings.keys()]) e.unbind(key);
    for (const b of [...e.incoming]) this.dropBinding(b);
    this.events.exchangeDeleted?.(e);
    if (e.durable) this.events.definitionsChanged();
  }

  // --- queues ---------------------------------------------------------------------------------

  /** Looks a queue up, enforcing exclusivity (405) for everyone but its owner. */
  queue(name: string, owner: object | null): Queue {
    const q = this.queues.get(name);
    if (!q) throw notFound(`no ${rname('queue', name, this.name)}`);
    this.checkExclusive(q, owner);
    return q;
  }

  checkExclusive(q: Queue, owner: object | null): void {
    if (q.exclusiveOwner !== null && q.exclusiveOwner !== owner) throw this.locked(q);
  }

  private locked(q: Queue): Error {
    return resourceLocked(
      `cannot obtain exclusive access to locked ${rname('queue', q.name, this.name)}. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    );
  }

  static generateQueueName(): string {
    return `amq.gen-${randomBytes(16).toString('base64url').slice(0, 22)}`;
  }

  /** Declares (or checks, when passive) a queue. Returns the queue and whether it was created. */
  declareQueue(name: string, passive: boolean, s: QueueSettings, owner: object | null): { queue: Queue; created: boolean } {
    const existing = this.queues.get(name);
    if (passive) {
      if (!existing) throw notFound(`no ${rname('queue', name, this.name)}`);
      this.checkExclusive(existing, owner);
      return { queue: existing, created: false };
    }
    validateQueueArguments(s.arguments, name, this.name);
    if (existing) {
      this.checkExclusive(existing, owner);
      // RabbitMQ reports an exclusive-flag mismatch as a lock conflict (405), not 406
      if (existing.exclusive !== s.exclusive) throw this.locked(existing);
      const what = rname('queue', name, this.name);
      for (const [arg, mine, theirs] of [
        ['durable', existing.durable, s.durable],
        ['auto_delete', existing.autoDelete, s.autoDelete],
      ] as const) {
        if (mine !== theirs) throw preconditionFailed(`inequivalent arg '${arg}' for ${what}: received '${theirs}' but current is '${mine}'`);
      }
      assertEquivalentArgs(EQUIVALENCE_QUEUE_ARGS, existing.arguments, s.arguments, what);
      existing.touch(); // a redeclare counts as use (x-expires)
      return { queue: existing, created: false };
    }
    const q = this.createQueue(name, s);
    if (s.exclusive) q.exclusiveOwner = owner;
    return { queue: q, created: true };
  }

  /** What every queue of this vhost reports to / asks of it (expiry, dead-lettering, the clock). */
  private get queueEvents(): QueueEvents {
    return (this.queueEventsCache ??= {
      autoDeleteQueue: (x) => this.removeQueue(x),
      clock: this.events.clock,
      deadLetter: (x, msg, reason, nowMs) => deadLetter(x, msg, reason, nowMs, (n) => this.exchanges.get(n)),
    });
  }
  private queueEventsCache: QueueEvents | undefined;

  /** Makes a queue; a durable, non-exclusive one is registered with the store (RabbitMQ never keeps exclusive queues). */
  createQueue(name: string, s: QueueSettings, persist = true): Queue {
    const q = new Queue(name, this.name, s, this.queueEvents, this.store);
    this.queues.set(name, q);
    this.events.queueCreated?.(q);
    if (s.durable && !s.exclusive) {
      if (persist) q.persist();
      this.events.definitionsChanged();
    }
    return q;
  }

  deleteQueue(name: string, ifUnused: boolean, ifEmpty: boolean, owner: object | null): number {
    const q = this.queues.get(name);
    if (!q) return 0; // RabbitMQ: deleting a missing queue succeeds with count 0
    this.checkExclusive(q, owner);
    if (ifUnused && q.consumerCount > 0) throw preconditionFailed(`${rname('queue', name, this.name)} in use`);
    if (ifEmpty && q.messageCount > 0) throw preconditionFailed(`${rname('queue', name, this.name)} not empty`);
    return this.removeQueue(q);
  }

  /** Removes a queue, its bindings and its consumers; returns its ready message count. */
  removeQueue(q: Queue): number {
    if (q.deleted || this.queues.get(q.name) !== q) return 0;
    this.queues.delete(q.name);
    for (const b of [...q.incoming]) this.dropBinding(b);
    const n = q.destroy();
    this.events.queueDeleted(q);
    if (q.durable && !q.exclusive) this.events.definitionsChanged();
    return n;
  }

  // --- bindings -------------------------------------------------------------------------------

  bind(source: Exchange, destination: Destination, routingKey: string, args: FieldTable): void {
    if (source === this.defaultExchange || destination === this.defaultExchange) {
      throw accessRefused(`operation not permitted on the default exchange`);
    }
    source.validateBinding(routingKey, args);
    const b: Binding = { source, destination, routingKey, arguments: args, key: bindingKey(destination, routingKey, args) };
    if (source.bind(b) && isDurableBinding(b)) this.events.definitionsChanged();
  }

  /** Removes a binding; a binding that does not exist is not an error (RabbitMQ is idempotent here). */
  unbind(source: Exchange, destination: Destination, routingKey: string, args: FieldTable): void {
    if (source === this.defaultExchange || destination === this.defaultExchange) {
      throw accessRefused(`operation not permitted on the default exchange`);
    }
    const b = source.unbind(bindingKey(destination, routingKey, args));
    if (b) this.afterUnbind(source, b);
  }

  hasBinding(source: Exchange, destination: Destination, routingKey: string, args: FieldTable): boolean {
    return source.bindings.has(bindingKey(destination, routingKey, args));
  }

  private dropBinding(b: Binding): void {
    if (b.source.unbind(b.key)) this.afterUnbind(b.source, b);
  }

  /** RabbitMQ deletes an auto-delete exchange when its last binding (as source) goes. */
  private afterUnbind(source: Exchange, b: Binding): void {
    if (isDurableBinding(b)) this.events.definitionsChanged();
    if (source.autoDelete && source.bindings.size === 0 && this.exchanges.get(source.name) === source) {
      this.removeExchange(source);
    }
  }

}

/** RabbitMQ keeps a binding across restarts when both of its ends are durable (and not exclusive). */
export function isDurableBinding(b: Binding): boolean {
  const d = b.destination;
  const destDurable = d.kind === 'queue' ? (d as Queue).durable && !(d as Queue).exclusive : (d as Exchange).durable;
  return b.source.durable && destDurable;
}
