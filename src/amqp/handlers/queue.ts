// queue.declare / bind / unbind / purge / delete, with AMQP's "current queue" rule: an empty queue
// name means the queue last declared on this channel (and, for bind, an empty routing key too).
import { accessRefused, notFound, rname } from '../../errors.js';
import { VHost } from '../../core/vhost.js';
import type { QueueBind, QueueDeclare, QueueDelete, QueuePurge, QueueUnbind } from '../../protocol/generated/methods.js';
import { M } from '../../protocol/generated/methods.js';
import type { Channel } from '../channel.js';
import { REPLY_QUEUE } from '../direct-reply-to.js';

/** Resolves an empty queue name to the channel's last declared queue (404 if there is none). */
export function expandQueueName(ch: Channel, name: string): string {
  if (name !== '') return name;
  if (ch.lastQueue === '') throw notFound('no previously declared queue');
  return ch.lastQueue;
}

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
  if (!m.passive) conn.checkConfigure('queue', name);
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

export function bind(ch: Channel, m: QueueBind): void {
  const version = ch.conn.ctx.definitionsVersion;
  const vhost = ch.vhost;
  const queueName = expandQueueName(ch, m.queue);
  // RabbitMQ looks up the exchange before the queue
  const ex = vhost.exchanges.get(m.exchange);
  if (!ex) throw notFound(`no ${rname('exchange', m.exchange, vhost.name)}`);
  const queue = vhost.queue(queueName, ch.conn);
  ch.conn.checkWrite(queue.name, 'queue');
  ch.conn.checkRead('exchange', m.exchange);
  const routingKey = m.queue === '' && m.routingKey === '' ? queue.name : m.routingKey;
  vhost.bind(ex, queue, routingKey, m.arguments);
  if (!m.nowait) ch.reply({ id: M.QueueBindOk }, version);
}

/** Unbinding something that does not exist succeeds; an existing binding of a locked queue is 405. */
export function unbind(ch: Channel, m: QueueUnbind): void {
  const version = ch.conn.ctx.definitionsVersion;
  const vhost = ch.vhost;
  const queueName = expandQueueName(ch, m.queue);
  const ex = vhost.exchanges.get(m.exchange);
  const queue = vhost.queues.get(queueName);
  const routingKey = m.queue === '' && m.routingKey === '' ? queueName : m.routingKey;
  if (ex === vhost.defaultExchange) throw accessRefused('operation not permitted on the default exchange');
  if (ex && queue && vhost.hasBinding(ex, queue, routingKey, m.arguments)) {
    vhost.checkExclusive(queue, ch.conn);
    ch.conn.checkWrite(queue.name, 'queue');
    ch.conn.checkRead('exchange', m.exchange);
    vhost.unbind(ex, queue, routingKey, m.arguments);
  }
  ch.reply({ id: M.QueueUnbindOk }, version);
}

export function purge(ch: Channel, m: QueuePurge): void {
  const queue = ch.vhost.queue(expandQueueName(ch, m.queue), ch.conn);
  ch.conn.checkRead('queue', queue.name);
  const messageCount = queue.purge();
  if (!m.nowait) ch.reply({ id: M.QueuePurgeOk, messageCount });
}

export function remove(ch: Channel, m: QueueDelete): void {
  const version = ch.conn.ctx.definitionsVersion;
  const name = expandQueueName(ch, m.queue);
  ch.conn.checkConfigure('queue', name);
  const messageCount = ch.vhost.deleteQueue(name, m.ifUnused, m.ifEmpty, ch.conn);
  if (!m.nowait) ch.reply({ id: M.QueueDeleteOk, messageCount }, version);
}
