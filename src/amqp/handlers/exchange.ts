// exchange.declare / delete / bind / unbind.
import { notFound, rname } from '../../errors.js';
import type { ExchangeBind, ExchangeDeclare, ExchangeDelete, ExchangeUnbind } from '../../protocol/generated/methods.js';
import { M } from '../../protocol/generated/methods.js';
import type { Channel } from '../channel.js';

export function declare(ch: Channel, m: ExchangeDeclare): void {
  const version = ch.conn.ctx.definitionsVersion;
  const vhost = ch.vhost;
  if (!m.passive) ch.conn.checkConfigure('exchange', m.exchange);
  vhost.declareExchange(m.exchange, m.type, m.passive, {
    durable: m.durable,
    autoDelete: m.autoDelete,
    internal: m.internal,
    arguments: m.arguments,
  });
  if (!m.nowait) ch.reply({ id: M.ExchangeDeclareOk }, version);
}

export function remove(ch: Channel, m: ExchangeDelete): void {
  const version = ch.conn.ctx.definitionsVersion;
  const vhost = ch.vhost;
  ch.conn.checkConfigure('exchange', m.exchange);
  // RabbitMQ makes delete idempotent: a missing exchange is not an error
  if (vhost.exchanges.has(m.exchange) || m.exchange === '' || m.exchange.startsWith('amq.')) {
    vhost.deleteExchange(m.exchange, m.ifUnused);
  }
  if (!m.nowait) ch.reply({ id: M.ExchangeDeleteOk }, version);
}

export function bind(ch: Channel, m: ExchangeBind): void {
  const version = ch.conn.ctx.definitionsVersion;
  const vhost = ch.vhost;
  // RabbitMQ looks up the source first
  const src = vhost.exchanges.get(m.source);
  if (!src) throw notFound(`no ${rname('exchange', m.source, vhost.name)}`);
  const dest = vhost.exchanges.get(m.destination);
  if (!dest) throw notFound(`no ${rname('exchange', m.destination, vhost.name)}`);
  ch.conn.checkWrite(m.destination);
  ch.conn.checkRead('exchange', m.source);
  vhost.bind(src, dest, m.routingKey, m.arguments);
  if (!m.nowait) ch.reply({ id: M.ExchangeBindOk }, version);
}

/** Unbinding something that does not exist (binding or either end) succeeds, as in RabbitMQ. */
export function unbind(ch: Channel, m: ExchangeUnbind): void {
  const version = ch.conn.ctx.definitionsVersion;
  const vhost = ch.vhost;
  const src = vhost.exchanges.get(m.source);
  const dest = vhost.exchanges.get(m.destination);
  if (src && dest) {
    ch.conn.checkWrite(m.destination);
    ch.conn.checkRead('exchange', m.source);
    vhost.unbind(src, dest, m.routingKey, m.arguments);
  }
  if (!m.nowait) ch.reply({ id: M.ExchangeUnbindOk }, version);
}
