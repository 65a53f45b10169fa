// exchange.declare / delete / bind / unbind.
import { notFound, rname } from '../../errors.js';
import type { ExchangeBind, ExchangeDeclare, ExchangeDelete, ExchangeUnbind } from '../../protocol/generated/methods.js';
import { M } from '../../protocol/generated/methods.js';
import type { Channel } from '../channel.js';

export function declare(ch: Channel, m: ExchangeDeclare): void {
  const vhost = ch.vhost;
  if (!m.passive) ch.conn.checkConfigure('exchange', m.exchange);
  vhost.declareExchange(m.exchange, m.type, m.passive, {
    durable: m.durable,
    autoDelete: m.autoDelete,
    internal: m.internal,
    arguments: m.arguments,
  });
  if (!m.nowait) ch.conn.out.method(ch.id, { id: M.ExchangeDeclareOk });
}

export function remove(ch: Channel, m: ExchangeDelete): void {
  const vhost = ch.vhost;
  ch.conn.checkConfigure('exchange', m.exchange);
  // RabbitMQ makes delete idempotent: a missing exchange is not an error
  if (vhost.exchanges.has(m.exchange) || m.exchange === '' || m.exchange.startsWith('amq.')) {
    vhost.deleteExchange(m.exchange, m.ifUnused);
  }
  if (!m.nowait) ch.conn.out.method(ch.id, { id: M.ExchangeDeleteOk });
}

function ends(ch: Channel, destination: string, source: string) {
  const vhost = ch.vhost;
  const dest = vhost.exchanges.get(destination);
  if (!dest) throw notFound(`no ${rname('exchange', destination, vhost.name)}`);
  const src = vhost.exchanges.get(source);
  if (!src) throw notFound(`no ${rname('exchange', source, vhost.name)}`);
  ch.conn.checkWrite(destination);
  ch.conn.checkRead('exchange', source);
  return { src, dest };
}

export function bind(ch: Channel, m: ExchangeBind): void {
  const { src, dest } = ends(ch, m.destination, m.source);
  ch.vhost.bind(src, dest, m.routingKey, m.arguments);
  if (!m.nowait) ch.conn.out.method(ch.id, { id: M.ExchangeBindOk });
}

export function unbind(ch: Channel, m: ExchangeUnbind): void {
  const { src, dest } = ends(ch, m.destination, m.source);
  ch.vhost.unbind(src, dest, m.routingKey, m.arguments);
  if (!m.nowait) ch.conn.out.method(ch.id, { id: M.ExchangeUnbindOk });
}
