// Routes a decoded method on an open channel to its handler (one switch on the 32-bit method id).
// basic.publish never gets here: the channel assembles its content first.
import { commandInvalid } from '../errors.js';
import { type AnyMethod, M, METHOD_NAMES } from '../protocol/generated/methods.js';
import type { Channel } from './channel.js';
import * as basic from './handlers/basic.js';
import * as channel from './handlers/channel.js';
import * as exchange from './handlers/exchange.js';
import * as queue from './handlers/queue.js';
import * as tx from './handlers/tx.js';

export function dispatchMethod(ch: Channel, m: AnyMethod): void {
  switch (m.id) {
    case M.ChannelFlow:
      return channel.flow(ch, m);
    case M.ChannelFlowOk:
      return; // answer to a server flow we never send; harmless
    case M.AccessRequest:
      return channel.accessRequest(ch, m);
    case M.ExchangeDeclare:
      return exchange.declare(ch, m);
    case M.ExchangeDelete:
      return exchange.remove(ch, m);
    case M.ExchangeBind:
      return exchange.bind(ch, m);
    case M.ExchangeUnbind:
      return exchange.unbind(ch, m);
    case M.QueueDeclare:
      return queue.declare(ch, m);
    case M.QueueBind:
      return queue.bind(ch, m);
    case M.QueueUnbind:
      return queue.unbind(ch, m);
    case M.QueuePurge:
      return queue.purge(ch, m);
    case M.QueueDelete:
      return queue.remove(ch, m);
    case M.BasicQos:
      return basic.qos(ch, m);
    case M.BasicConsume:
      return basic.consume(ch, m);
    case M.BasicCancel:
      return basic.cancel(ch, m);
    case M.BasicGet:
      return basic.get(ch, m);
    case M.BasicAck:
      return ch.ackOrReject('ack', m.deliveryTag, m.multiple, false);
    case M.BasicNack:
      return ch.ackOrReject('nack', m.deliveryTag, m.multiple, m.requeue);
    case M.BasicReject:
      return ch.ackOrReject('nack', m.deliveryTag, false, m.requeue);
    case M.BasicRecover:
    case M.BasicRecoverAsync:
      return basic.recover(ch, m);
    case M.ConfirmSelect:
      return tx.confirmSelect(ch, m);
    case M.TxSelect:
      return tx.select(ch);
    case M.TxCommit:
      return tx.commit(ch);
    case M.TxRollback:
      return tx.rollback(ch);
    default:
      // a server-to-client method (e.g. basic.deliver) or a connection method on a channel
      throw commandInvalid(`unexpected method ${METHOD_NAMES[m.id] ?? m.id} on channel ${ch.id}`);
  }
}
