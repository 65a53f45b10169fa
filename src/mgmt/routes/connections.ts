// /api/connections, /api/channels and /api/consumers (and their per-vhost forms). Monitoring users
// and administrators see everyone's connections and channels, others only their own; closing a
// connection (DELETE) is for administrators and the connection's own user, and sends
// 320 CONNECTION_FORCED with "Closed via management plugin" or the X-Reason header.
import { type Channel, Consumer } from '../../amqp/channel.js';
import type { Connection } from '../../amqp/connection.js';
import { connectionForced } from '../../errors.js';
import { isAdmin, isMonitor, listableVhost, seesUser } from '../auth.js';
import { noContent, notAuthorised, objectNotFound, ok, type Principal, type Request } from '../http.js';
import { type JsonObject, listReply, objectReply } from '../list.js';
import { type MgmtContext, param, route, type Route } from '../router.js';
import { channelName, channelView, connectionView, consumerView } from '../views.js';
import { pathVhost } from './common.js';

/** Connections past the handshake (RabbitMQ lists a connection once it is open). */
function openConnections(ctx: MgmtContext): Connection[] {
  return [...ctx.broker.connections].filter((c) => c.isOpen);
}

/** The connections a listing shows: the user's own unless monitoring; one vhost's when the path names one. */
function visibleConnections(req: Request, ctx: MgmtContext): Connection[] {
  const vhost = req.params.vhost !== undefined ? pathVhost(req, ctx).name : undefined;
  return openConnections(ctx).filter((c) => seesUser(req.principal, c.username) && (vhost === undefined || c.vhostName === vhost));
}

function listConnections(req: Request, ctx: MgmtContext) {
  return ok(
    listReply(req, visibleConnections(req, ctx), {
      basicKeys: ['name', 'vhost', 'user'],
      basic: (c, key) => (key === 'name' ? c.peer : key === 'vhost' ? c.vhostName : c.username),
      view: (c) => connectionView(ctx, c),
    }),
  );
}

/** RabbitMQ's is_authorized_user: monitors read everyone's, administrators close everyone's. */
function checkOwner(p: Principal, method: string, owner: string): void {
  const tags = p.user.tags;
  const allowed = p.internal || (method === 'DELETE' ? isAdmin(tags) : isMonitor(tags)) || p.user.name === owner;
  if (!allowed) throw notAuthorised('User not authorised to access object');
}

function findConnection(req: Request, ctx: MgmtContext): Connection {
  const name = param(req, 'connection');
  const c = openConnections(ctx).find((x) => x.peer === name);
  if (c === undefined) throw objectNotFound();
  checkOwner(req.principal, req.method, c.username);
  return c;
}

function closeConnection(req: Request, ctx: MgmtContext) {
  const c = findConnection(req, ctx);
  const header = req.raw.headers['x-reason'];
  const reason = typeof header === 'string' && header !== '' ? header : 'Closed via management plugin';
  c.closeWithError(connectionForced(reason));
  return noContent();
}

// --- channels ---------------------------------------------------------------------------------

function allChannels(req: Request, conns: Connection[]): Channel[] {
  const out: Channel[] = [];
  for (const c of conns) if (seesUser(req.principal, c.username)) out.push(...c.openChannels);
  return out;
}

function listChannels(req: Request, ctx: MgmtContext, channels: Channel[]) {
  return ok(
    listReply(req, channels, {
      basicKeys: ['name', 'vhost', 'user', 'number'],
      basic: (ch, key) => (key === 'name' ? channelName(ch) : key === 'vhost' ? ch.conn.vhostName : key === 'user' ? ch.conn.username : ch.id),
      view: (ch) => channelView(ctx, ch),
    }),
  );
}

function findChannel(req: Request, ctx: MgmtContext): Channel {
  const name = param(req, 'channel');
  for (const c of openConnections(ctx)) {
    for (const ch of c.openChannels) {
      if (channelName(ch) !== name) continue;
      checkOwner(req.principal, req.method, c.username);
      return ch;
    }
  }
  throw objectNotFound();
}

// --- consumers --------------------------------------------------------------------------------

function listConsumers(req: Request, ctx: MgmtContext) {
  const vhosts = req.params.vhost !== undefined ? [pathVhost(req, ctx)] : [...ctx.broker.vhosts.values()];
  const out: JsonObject[] = [];
  for (const v of vhosts) {
    if (!listableVhost(req.principal, v.name)) continue;
    for (const q of v.queues.values()) for (const c of q.consumers) if (c instanceof Consumer) out.push(consumerView(ctx, c));
  }
  return ok(listReply(req, out, { view: (x) => x, paginate: false }));
}

export const connectionRoutes: Route[] = [
  route('/api/connections', { GET: { auth: 'any', handle: listConnections } }),
  route('/api/connections/:connection', {
    GET: { auth: 'any', handle: (req, ctx) => ok(objectReply(req, connectionView(ctx, findConnection(req, ctx)))) },
    DELETE: { auth: 'any', handle: closeConnection },
  }),
  route('/api/connections/:connection/channels', {
    GET: { auth: 'any', handle: (req, ctx) => listChannels(req, ctx, findConnection(req, ctx).openChannels) },
  }),
  route('/api/vhosts/:vhost/connections', { GET: { auth: 'vhost', handle: listConnections } }),
  route('/api/channels', { GET: { auth: 'any', handle: (req, ctx) => listChannels(req, ctx, allChannels(req, openConnections(ctx))) } }),
  route('/api/channels/:channel', {
    GET: { auth: 'any', handle: (req, ctx) => ok(objectReply(req, channelView(ctx, findChannel(req, ctx), true))) },
  }),
  route('/api/vhosts/:vhost/channels', {
    GET: { auth: 'vhost', handle: (req, ctx) => listChannels(req, ctx, allChannels(req, visibleConnections(req, ctx))) },
  }),
  route('/api/consumers', { GET: { auth: 'any', handle: listConsumers } }),
  route('/api/consumers/:vhost', { GET: { auth: 'vhostVisible', handle: listConsumers } }),
];
