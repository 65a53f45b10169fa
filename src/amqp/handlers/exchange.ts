// exchange.declare / delete / bind / unbind. Checks come in the order of RabbitMQ's rabbit_channel:
// the exchange type, the default exchange and system exchanges, then permissions, then lookups.
import { accessRefused, commandInvalid, notFound, rname } from '../../errors.js';
import { EXCHANGE_TYPES } from '../../core/exchange/index.js';
import type { ExchangeBind, ExchangeDeclare, ExchangeDelete, ExchangeUnbind } from '../../protocol/generated/methods.js';
import { M } from '../../protocol/generated/methods.js';
import type { Channel } from '../channel.js';
import { exchangeArgument } from './resource-args.js';

const DEFAULT_EXCHANGE_REFUSED = 'operation not permitted on the default exchange';

export function declare(ch: Channel, m: ExchangeDeclare): void {
  const version = ch.conn.ctx.definitionsVersion;
  const vhost = ch.vhost;
  if (!m.passive) {
    // an unknown type is a connection error even for an exchange that exists (rabbit_exchange:check_type)
    if (!EXCHANGE_TYPES.has(m.type)) throw commandInvalid(`unknown exchange type '${m.type}'`);
    if (m.exchange === '') throw accessRefused(DEFAULT_EXCHANGE_REFUSED);
    ch.checkConfigure('exchange', m.exchange);
    if (!vhost.exchanges.has(m.exchange) && !m.exchange.startsWith('amq.')) {
      // a new exchange with an alternate exchange: read on it, write on the alternate
      const alternate = exchangeArgument(m.arguments, 'alternate-exchange', 'exchange', m.exchange, vhost.name);
      if (alternate !== undefined) {
        ch.checkRead('exchange', m.exchange);
        ch.checkWrite('exchange', alternate);
      }
    }
  }
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
  if (m.exchange === '') throw accessRefused(DEFAULT_EXCHANGE_REFUSED);
  // every amq.* name is protected, whether or not such an exchange exists
  if (m.exchange.startsWith('amq.')) throw accessRefused(`deletion of system ${rname('exchange', m.exchange, vhost.name)} not allowed`);
  ch.checkConfigure('exchange', m.exchange);
  // RabbitMQ makes delete idempotent: a missing exchange is not an error
  if (vhost.exchanges.has(m.exchange)) vhost.deleteExchange(m.exchange, m.ifUnused);
  if (!m.nowait) ch.reply({ id: M.ExchangeDeleteOk }, version);
}

/** binding_action's checks: write on the destination, no default exchange, read (and topic read) on the source. */
function checkBinding(ch: Channel, m: ExchangeBind | ExchangeUnbind): void {
  ch.checkWrite('exchange', m.destination);
  if (m.destination === '' || m.source === '') throw accessRefused(DEFAULT_EXCHANGE_REFUSED);
  ch.checkRead('exchange', m.source);
  const src = ch.vhost.exchanges.get(m.source);
  if (src !== undefined) ch.checkTopic(src, 'read', m.routingKey);
}

export function bind(ch: Channel, m: ExchangeBind): void {
  const version = ch.conn.ctx.definitionsVersion;
  const vhost = ch.vhost;
  checkBinding(ch, m);
  // RabbitMQ looks up the source first
  const src = vhost.exchanges.get(m.source);
  if (!src) throw notFound(`no ${rname('exchange', m.source, vhost.name)}`);
  const dest = vhost.exchanges.get(m.destination);
  if (!dest) throw notFound(`no ${rname('exchange', m.destination, vhost.name)}`);
  vhost.bind(src, dest, m.routingKey, m.arguments);
  if (!m.nowait) ch.reply({ id: M.ExchangeBindOk }, version);
}

/** Unbinding something that does not exist (binding or either end) succeeds, as in RabbitMQ. */
export function unbind(ch: Channel, m: ExchangeUnbind): void {
  const version = ch.conn.ctx.definitionsVersion;
  const vhost = ch.vhost;
  checkBinding(ch, m);
  const src = vhost.exchanges.get(m.source);
  const dest = vhost.exchanges.get(m.destination);
  if (src && dest) vhost.unbind(src, dest, m.routingKey, m.arguments);
  if (!m.nowait) ch.reply({ id: M.ExchangeUnbindOk }, version);
}
