// The default exchange ('', type direct): every queue is implicitly bound by its own name.
// It cannot be bound to, unbound or deleted (the vhost refuses those with 403).
import type { Message } from '../message.js';
import type { Queue } from '../queue/queue.js';
import type { Destination } from './exchange.js';
import { DirectExchange } from './direct.js';

export class DefaultExchange extends DirectExchange {
  constructor(
    vhost: string,
    private readonly queues: ReadonlyMap<string, Queue>,
  ) {
    super('', vhost, { durable: true, autoDelete: false, internal: false, arguments: {} });
  }

  /** RabbitMQ routes the default exchange directly: no alternate exchange, even from a policy. */
  override alternate(): undefined {
    return undefined;
  }

  override collect(routingKey: string, _msg: Message, out: Destination[]): void {
    const q = this.queues.get(routingKey);
    if (q !== undefined) out.push(q);
  }
}
