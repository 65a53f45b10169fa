// queue.declare / bind / unbind / purge / delete, with AMQP's "current queue" rule: an empty queue
// name means the queue last declared on this channel (and, for bind, an empty routing key too).
// Permission checks come where RabbitMQ's rabbit_channel makes them, which is mostly before the
// queue or exchange is even looked up: a refused user learns nothing about what exists.
import { accessRefused, notFound, rname } from '../../errors.js';
import { VHost } from '../../core/vhost.js';
import type { QueueBind, QueueDeclare, QueueDelete, QueuePurge, QueueUnbind } from '../../protocol/generated/methods.js';
import { M } from '../../protocol/generated/methods.js';
import type { Channel } from '../channel.js';
import { REPLY_QUEUE } from '../direct-reply-to.js';
import { exchangeArgument } from './resource-args.js';

/** Resolves an empty queue name to the channel's last declared queue (404 if there is none). */
export function expandQueueName(ch: Channel, name: string): string {
  if (name !== '') return name;
  if (ch.lastQueue === '') throw notFound('no previously declared queue');
  return ch.lastQueue;
}

const DEFAULT_EXCHANGE_REFUSED = 'operation not permitted on the default exchange';

export function declare(ch: Channel, m: QueueDeclare): void {
  const conn = ch.conn;
  if (m.queue === REPLY_QUEUE) {
    // the direct reply-to pseudo-queue always "exists", is empty and (as RabbitMQ reports) has one consumer
    if (!m.nowait) ch.reply({ id: M.QueueDeclareOk, queue: m.queue, messageCount: 0, consumerCount: 1 });
    return;
  }
  if (!m.passive && m.queue.startsWith('amq.')) {
    throw accessRefused(`queue name '${m.queue}' contains reserved prefix 'amq.*'`);
  }
  const version = conn.ctx.definitionsVersion;
  const name = m.queue === '' && !m.passive ? VHost.generateQueueName() : expandQueueName(ch, m.queue);
  // a passive declare needs no permission (RabbitMQ checks none); server-named queues are checked
  // under their generated amq.gen-* name
  if (!m.passive) {
    ch.checkConfigure('queue', name);
    if (!ch.vhost.queues.has(name)) {
      // a new queue that dead-letters somewhere: read on the queue, write on that exchange
      const dlx = exchangeArgument(m.arguments, 'x-dead-letter-exchange', 'queue', name, ch.vhost.name);
      if (dlx !== undefined) {
        ch.checkRead('queue', name);
        ch.checkWrite('exchange', dlx);
      }
    }
  }
  const { queue, created } = ch.vhost.declareQueue(
    name,
    m.passive,
    { durable: m.durable, exclusive: m.exclusive, autoDelete: m.autoDelete, arguments: m.arguments },
    conn,
  );
  if (created && m.exclusive) conn.ownExclusiveQueue(queue);
  ch.lastQueue = queue.name;
  if (!m.nowait) {
    ch.reply({ id: M.QueueDeclareOk, queue: queue.name, messageCount: queue.messageCount, consumerCount: queue.consumerCount }, version);
  }
}

/**
 * RabbitMQ's binding_action order for queue.bind / queue.unbind: write on the queue, the default
 * exchange refused, read on the exchange, topic read on the routing key; only then lookups.
 */
function checkBinding(ch: Channel, queueName: string, exchangeName: string, routingKey: string): void {
  ch.checkWrite('queue', queueName);
  if (exchangeName === '') throw accessRefused(DEFAULT_EXCHANGE_REFUSED);
  ch.checkRead('exchange', exchangeName);
  const ex = ch.vhost.exchanges.get(exchangeName);
  if (ex !== undefined) ch.checkTopic(ex, 'read', routingKey);
}

export function bind(ch: Channel, m: QueueBind): void {
  const version = ch.conn.ctx.definitionsVersion;
  const vhost = ch.vhost;
  const queueName = expandQueueName(ch, m.queue);
  const routingKey = m.queue === '' && m.routingKey === '' ? queueName : m.routingKey;
  checkBinding(ch, queueName, m.exchange, routingKey);
  // RabbitMQ looks up the exchange before the queue
  const ex = vhost.exchanges.get(m.exchange);
  if (!ex) throw notFound(`no ${rname('exchange', m.exchange, vhost.name)}`);
  const queue = vhost.queue(queueName, ch.conn);
  vhost.bind(ex, queue, routingKey, m.arguments);
  if (!m.nowait) ch.reply({ id: M.QueueBindOk }, version);
}

/** Unbinding something that does not exist succeeds; an existing binding of a locked queue is 405. */
export function unbind(ch: Channel, m: QueueUnbind): void {
  const version = ch.conn.ctx.definitionsVersion;
  const vhost = ch.vhost;
  const queueName = expandQueueName(ch, m.queue);
  const routingKey = m.queue === '' && m.routingKey === '' ? queueName : m.routingKey;
  checkBinding(ch, queueName, m.exchange, routingKey);
  const ex = vhost.exchanges.get(m.exchange);
  const queue = vhost.queues.get(queueName);
  if (ex && queue && vhost.hasBinding(ex, queue, routingKey, m.arguments)) {
    vhost.checkExclusive(queue, ch.conn);
    vhost.unbind(ex, queue, routingKey, m.arguments);
  }
  ch.reply({ id: M.QueueUnbindOk }, version);
}

export function purge(ch: Channel, m: QueuePurge): void {
  const name = expandQueueName(ch, m.queue);
  ch.checkRead('queue', name);
  const queue = ch.vhost.queue(name, ch.conn);
  const messageCount = queue.purge();
  if (!m.nowait) ch.reply({ id: M.QueuePurgeOk, messageCount });
}

export function remove(ch: Channel, m: QueueDelete): void {
  const version = ch.conn.ctx.definitionsVersion;
  const name = expandQueueName(ch, m.queue);
  ch.checkConfigure('queue', name);
  const messageCount = ch.vhost.deleteQueue(name, m.ifUnused, m.ifEmpty, ch.conn);
  if (!m.nowait) ch.reply({ id: M.QueueDeleteOk, messageCount }, version);
}
