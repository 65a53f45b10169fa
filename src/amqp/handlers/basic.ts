// basic.qos / consume / cancel / get / recover. Publishing is assembled in channel.ts; ack, nack
// and reject go straight to the channel.
import { randomBytes } from 'node:crypto';
import { accessRefused, notAllowed, notImplemented, preconditionFailed, rname } from '../../errors.js';
import type { BasicCancel, BasicConsume, BasicGet, BasicQos, BasicRecover, BasicRecoverAsync } from '../../protocol/generated/methods.js';
import { M } from '../../protocol/generated/methods.js';
import { type Channel, Consumer } from '../channel.js';
import { REPLY_QUEUE } from '../direct-reply-to.js';
import { expandQueueName } from './queue.js';
import { typeName } from '../../core/arguments.js';
import { type FieldTable, isIntegerValue, numericValue } from '../../protocol/field-value.js';

export const generateConsumerTag = (): string => `amq.ctag-${randomBytes(16).toString('base64url').slice(0, 22)}`;

/**
 * RabbitMQ's reading of basic.qos: global=false limits each consumer created afterwards,
 * global=true limits the channel as a whole. prefetch_size is not supported (540), as in RabbitMQ.
 */
export function qos(ch: Channel, m: BasicQos): void {
  if (m.prefetchSize !== 0) throw notImplemented(`prefetch_size!=0 (${m.prefetchSize})`);
  if (m.global) ch.globalPrefetch = m.prefetchCount;
  else {
    // RabbitMQ 3.10 also lifts the channel-wide limit here (so global-then-per-consumer keeps only the latter)
    ch.consumerPrefetch = m.prefetchCount;
    ch.globalPrefetch = 0;
  }
  ch.reply({ id: M.BasicQosOk });
  ch.resume();
}

export function consume(ch: Channel, m: BasicConsume): void {
  const conn = ch.conn;
  const tag = m.consumerTag === '' ? generateConsumerTag() : m.consumerTag;
  if (ch.consumers.has(tag) || (ch.replyKey !== null && ch.replyConsumerTag === tag)) {
    throw notAllowed(`attempt to reuse consumer tag '${tag}'`);
  }
  if (m.queue === REPLY_QUEUE) {
    consumeDirectReplyTo(ch, m, tag);
    return;
  }
  const vhost = ch.vhost;
  // read permission first: a refused user learns nothing about which queues exist
  const name = expandQueueName(ch, m.queue);
  ch.checkRead('queue', name);
  const queue = vhost.queue(name, conn);
  const priority = consumeArguments(m.arguments, queue.name, vhost.name);
  if (queue.hasExclusiveConsumer() || (m.exclusive && queue.consumerCount > 0)) {
    throw accessRefused(`${rname('queue', queue.name, vhost.name)} in exclusive use`);
  }
  const c = new Consumer(ch, queue, tag, m.noAck, m.exclusive, ch.consumerPrefetch, m.arguments, priority);
  ch.addConsumer(c);
  // consume-ok must reach the client before the first delivery
  ch.reply(m.nowait ? null : { id: M.BasicConsumeOk, consumerTag: tag }, undefined, () => {
    if (ch.state === 'open' && ch.consumers.get(tag) === c && !queue.deleted) queue.addConsumer(c);
  });
}

/**
 * RabbitMQ 3.10's check of basic.consume arguments (after the queue lookup, before the exclusive-use
 * check): x-priority must be an integer, x-cancel-on-ha-failover a boolean. Returns the priority.
 */
function consumeArguments(args: FieldTable, queue: string, vhost: string): number {
  const invalid = (key: string, problem: string): Error => preconditionFailed(`invalid arg '${key}' for ${rname('queue', queue, vhost)}: ${problem}`);
  const failover = args['x-cancel-on-ha-failover'];
  const p = args['x-priority'];
  if (p !== undefined && !isIntegerValue(p)) throw invalid('x-priority', `"expected integer, got ${typeName(p)}"`);
  if (failover !== undefined && typeof failover !== 'boolean') throw invalid('x-cancel-on-ha-failover', `{unacceptable_type,${typeName(failover)}}`);
  return numericValue(p) ?? 0;
}

function consumeDirectReplyTo(ch: Channel, m: BasicConsume, tag: string): void {
  if (!m.noAck) throw preconditionFailed('reply consumer cannot acknowledge');
  if (ch.replyKey !== null) throw preconditionFailed('reply consumer already set');
  ch.replyKey = ch.conn.ctx.directReplyTo.register(ch);
  ch.replyConsumerTag = tag;
  if (!m.nowait) ch.reply({ id: M.BasicConsumeOk, consumerTag: tag });
}

export function cancel(ch: Channel, m: BasicCancel): void {
  if (ch.replyKey !== null && m.consumerTag === ch.replyConsumerTag) {
    ch.conn.ctx.directReplyTo.unregister(ch.replyKey);
    ch.replyKey = null;
    ch.replyConsumerTag = '';
  } else {
    // RabbitMQ answers cancel-ok even for a tag it does not know
    ch.cancelConsumer(m.consumerTag);
  }
  if (!m.nowait) ch.reply({ id: M.BasicCancelOk, consumerTag: m.consumerTag });
}

export function get(ch: Channel, m: BasicGet): void {
  const name = expandQueueName(ch, m.queue);
  ch.checkRead('queue', name);
  const queue = ch.vhost.queue(name, ch.conn);
  // get-ok carries content, so it is written directly: first let any held reply go out
  ch.afterReplies(() => {
    const entry = queue.deleted ? undefined : queue.get();
    if (entry === undefined) ch.conn.out.method(ch.id, { id: M.BasicGetEmpty, clusterId: '' });
    else ch.deliverGet(queue, entry, m.noAck);
  });
}

/** RabbitMQ supports only requeue=true; requeue=false is refused with 540 NOT_IMPLEMENTED. */
export function recover(ch: Channel, m: BasicRecover | BasicRecoverAsync): void {
  if (!m.requeue) throw notImplemented('requeue=false');
  ch.recover();
  if (m.id === M.BasicRecover) ch.reply({ id: M.BasicRecoverOk });
}
