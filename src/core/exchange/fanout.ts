// Fanout exchange: every binding matches, whatever the routing key.
import type { Message } from '../message.js';
import { type Binding, type Destination, Exchange, removeOne } from './exchange.js';

export class FanoutExchange extends Exchange {
  readonly type = 'fanout';
  private readonly all: Destination[] = [];

  collect(_routingKey: string, _msg: Message, out: Destination[]): void {
    const list = this.all;
    for (let i = 0; i < list.length; i++) out.push(list[i] as Destination);
  }

  protected added(b: Binding): void {
    this.all.push(b.destination);
  }

  protected removed(b: Binding): void {
    removeOne(this.all, b.destination);
  }
}
