// What every exchange type shares: identity, flags, its outgoing bindings, and the contract each
// type implements: `collect` pushes the destinations whose bindings match a routing key (duplicates
// allowed — the router de-duplicates). Types live one per file (direct, fanout, topic, headers).
import { type FieldTable, stringValue } from '../../protocol/field-value.js';
import type { Message } from '../message.js';

/** Anything a binding can point at: a queue or another exchange (exchange-to-exchange bindings). */
export interface Destination {
  readonly kind: 'queue' | 'exchange';
  readonly name: string;
  /** router bookkeeping: the publish epoch in which this destination was last reached */
  routeMark: number;
  /** bindings that point at this destination */
  readonly incoming: Set<Binding>;
}

export interface Binding {
  readonly source: Exchange;
  readonly destination: Destination;
  readonly routingKey: string;
  readonly arguments: FieldTable;
  /** identity: destination, routing key and arguments (RabbitMQ compares all three) */
  readonly key: string;
}

export interface ExchangeSettings {
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: FieldTable;
}

/** Canonical text of a table, key order ignored: used for binding identity and equivalence checks. */
export function canonicalTable(t: FieldTable | undefined): string {
  if (!t) return '{}';
  return JSON.stringify(t, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) {
      const o = v as Record<string, unknown>;
      if (o.type === 'Buffer' && Array.isArray(o.data)) return v;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
    }
    return v;
  });
}

export function bindingKey(destination: Destination, routingKey: string, args: FieldTable | undefined): string {
  return `${destination.kind}\u0000${destination.name}\u0000${routingKey}\u0000${canonicalTable(args)}`;
}

export abstract class Exchange implements Destination {
  readonly kind = 'exchange' as const;
  routeMark = 0;
  readonly incoming = new Set<Binding>();
  /** outgoing bindings by identity key */
  readonly bindings = new Map<string, Binding>();
  abstract readonly type: string;

  constructor(
    readonly name: string,
    readonly vhost: string,
    readonly settings: ExchangeSettings,
  ) {}

  get durable(): boolean {
    return this.settings.durable;
  }
  get autoDelete(): boolean {
    return this.settings.autoDelete;
  }
  get internal(): boolean {
    return this.settings.internal;
  }

  /** Pushes every destination whose binding matches onto `out`. No allocation per call. */
  abstract collect(routingKey: string, msg: Message, out: Destination[]): void;
  protected abstract added(b: Binding): void;
  protected abstract removed(b: Binding): void;

  /** Validates binding arguments for this type; throws an AmqpError (406) when invalid. */
  validateBinding(_routingKey: string, _args: FieldTable): void {}

  bind(b: Binding): boolean {
    if (this.bindings.has(b.key)) return false;
    this.bindings.set(b.key, b);
    b.destination.incoming.add(b);
    this.added(b);
    return true;
  }

  unbind(key: string): Binding | undefined {
    const b = this.bindings.get(key);
    if (!b) return undefined;
    this.bindings.delete(key);
    b.destination.incoming.delete(b);
    this.removed(b);
    return b;
  }

  // --- policy (set by core/policies.ts when a policy starts or stops applying) ---------------

  /** the name of the policy in force, if any (management API: policy) */
  policyName: string | undefined;
  /** its definition (management API: effective_policy_definition) */
  policyDefinition: Record<string, unknown> | undefined;
  /** alternate-exchange from that policy; an alternate-exchange argument wins over it, as in RabbitMQ */
  policyAlternateExchange: string | undefined;

  // --- alternate exchange --------------------------------------------------------------------

  /** the vhost's exchanges, where the alternate exchange is looked up by name when needed (set by VHost) */
  siblings: ReadonlyMap<string, Exchange> | null = null;

  /** The alternate-exchange argument, else the policy's alternate-exchange (RabbitMQ: the argument wins). */
  get alternateExchangeName(): string | undefined {
    return stringValue(this.settings.arguments['alternate-exchange']) ?? this.policyAlternateExchange;
  }

  /**
   * Where a message that matched none of this exchange's bindings goes: the alternate exchange, if
   * one is set and exists now (a missing one is not an error; the message is simply unroutable).
   */
  alternate(): Exchange | undefined {
    const name = this.alternateExchangeName;
    return name === undefined ? undefined : this.siblings?.get(name);
  }

  // --- management view (counters for the management API) -----------------------------------

  /** Messages published to this exchange (message_stats.publish_in). */
  publishIn = 0;
  /** Of those, messages routed to at least one queue (message_stats.publish_out). */
  publishOut = 0;
}

/** Removes one occurrence of `d` from a destination list (bindings may repeat a destination). */
export function removeOne(list: Destination[], d: Destination): void {
  const i = list.indexOf(d);
  if (i >= 0) list.splice(i, 1);
}
