// Direct exchange: a binding matches when its key equals the routing key exactly.
import type { Message } from '../message.js';
import { type Binding, type Destination, Exchange, removeOne } from './exchange.js';

export class DirectExchange extends Exchange {
  readonly type: string = 'direct';
  private readonly byKey = new Map<string, Destination[]>();

  collect(routingKey: string, _msg: Message, out: Destination[]): void {
    const list = this.byKey.get(routingKey);
    if (list !== undefined) for (let i = 0; i < list.length; i++) out.push(list[i] as Destination);
  }

  protected added(b: Binding): void {
    const list = this.byKey.get(b.routingKey);
    if (list) list.push(b.destination);
    else this.byKey.set(b.routingKey, [b.destination]);
  }

  protected removed(b: Binding): void {
    const list = this.byKey.get(b.routingKey);
    if (!list) return;
    removeOne(list, b.destination);
    if (list.length === 0) this.byKey.delete(b.routingKey);
  }
}
