// Exchange type registry: the types a client may declare, and the router that walks bindings.
import type { FieldTable } from '../../protocol/field-value.js';
import type { Message } from '../message.js';
import { DELAYED_TYPE, DelayedMessageExchange } from './delayed.js';
import { DirectExchange } from './direct.js';
import type { Destination, Exchange, ExchangeSettings } from './exchange.js';
import { FanoutExchange } from './fanout.js';
import { HeadersExchange } from './headers.js';
import { TopicExchange } from './topic.js';

export type { Binding, Destination, ExchangeSettings } from './exchange.js';
export { bindingKey, canonicalTable, Exchange } from './exchange.js';

type ExchangeClass = new (name: string, vhost: string, settings: ExchangeSettings) => Exchange;

export const EXCHANGE_TYPES: ReadonlyMap<string, ExchangeClass> = new Map<string, ExchangeClass>([
  ['direct', DirectExchange],
  ['fanout', FanoutExchange],
  ['topic', TopicExchange],
  ['headers', HeadersExchange],
  // built in (RabbitMQ needs the rabbitmq_delayed_message_exchange plugin); routes as its x-delayed-type
  [
    DELAYED_TYPE,
    class extends DelayedMessageExchange {
      constructor(name: string, vhost: string, settings: ExchangeSettings) {
        super(name, vhost, settings, (type) => createExchange(type, name, vhost, settings));
      }
    },
  ],
]);

export function createExchange(type: string, name: string, vhost: string, settings: ExchangeSettings): Exchange | undefined {
  const C = EXCHANGE_TYPES.get(type);
  return C ? new C(name, vhost, settings) : undefined;
}

export const noArgs = (): FieldTable => ({});

// --- the router ------------------------------------------------------------------------------
// Walks from the publish exchange through exchange-to-exchange bindings, collecting each queue once.
// A destination reached again in the same publish (fanout diamonds, e1→e2→e1 cycles) is skipped by
// comparing its routeMark with this publish's epoch; nothing is allocated per publish.
// Alternate exchanges, as RabbitMQ's rabbit_exchange:route: any exchange on the walk whose own
// bindings matched nothing passes the message on to its alternate exchange (so AE chains work);
// an exchange already visited is not entered again, which ends AE cycles.
let epoch = 0;
const scratch: Destination[] = [];
const work: Exchange[] = [];

/** Appends every queue `msg` reaches from `start` to `out` (each once). */
export function route<Q extends Destination>(start: Exchange, msg: Message, out: Q[]): void {
  epoch += 1;
  start.routeMark = epoch;
  work.push(start);
  while (work.length > 0) {
    const ex = work.pop() as Exchange;
    const from = scratch.length;
    ex.collect(msg.routingKey, msg, scratch);
    if (scratch.length === from) {
      const ae = ex.alternate();
      if (ae !== undefined && ae.routeMark !== epoch) {
        ae.routeMark = epoch;
        work.push(ae);
      }
      continue;
    }
    for (let i = from; i < scratch.length; i++) {
      const d = scratch[i] as Destination;
      if (d.routeMark === epoch) continue;
      d.routeMark = epoch;
      if (d.kind === 'queue') out.push(d as Q);
      else work.push(d as Exchange);
    }
    scratch.length = from;
  }
}
