// channel.flow and access.request on an open channel. channel.open/close live in the connection,
// which owns the channel table.
import { notImplemented } from '../../errors.js';
import { M } from '../../protocol/generated/methods.js';
import type { AccessRequest, ChannelFlow } from '../../protocol/generated/methods.js';
import type { Channel } from '../channel.js';

/** RabbitMQ does not let a client stop the server's deliveries with flow: active=false is refused. */
export function flow(ch: Channel, m: ChannelFlow): void {
  if (!m.active) throw notImplemented('active=false');
  ch.reply({ id: M.ChannelFlowOk, active: true });
}

/** access.request is obsolete in 0-9-1; RabbitMQ answers with ticket 1 and checks nothing. */
export function accessRequest(ch: Channel, _m: AccessRequest): void {
  ch.reply({ id: M.AccessRequestOk, ticket: 1 });
}
