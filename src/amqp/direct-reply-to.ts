// Direct reply-to (RabbitMQ's amq.rabbitmq.reply-to): a channel consuming the pseudo-queue in
// no-ack mode gets a broker-unique key; requests it publishes with reply_to 'amq.rabbitmq.reply-to'
// have that property rewritten to 'amq.rabbitmq.reply-to.<key>', and a reply published to the
// default exchange with that routing key goes straight to the channel, bypassing any queue.
import { randomBytes } from 'node:crypto';

export const REPLY_QUEUE = 'amq.rabbitmq.reply-to';
export const REPLY_PREFIX = 'amq.rabbitmq.reply-to.';

/** Something that can receive a direct reply (the consuming channel). */
export interface ReplyTarget {
  deliverReply(exchange: string, routingKey: string, propsRaw: Buffer, body: Buffer): void;
}

export class DirectReplyTo {
  private readonly targets = new Map<string, ReplyTarget>();

  register(t: ReplyTarget): string {
    const key = randomBytes(18).toString('base64url');
    this.targets.set(key, t);
    return key;
  }

  unregister(key: string): void {
    this.targets.delete(key);
  }

  /** The channel a reply routing key points to, if it is still there. */
  lookup(routingKey: string): ReplyTarget | undefined {
    return this.targets.get(routingKey.slice(REPLY_PREFIX.length));
  }
}
