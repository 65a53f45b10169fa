// /api/queues: list, show, declare (PUT), delete, purge (DELETE …/contents), get messages
// (POST …/get) and a queue's bindings. Declaring and deleting go through the same vhost rules and
// permission checks as AMQP's queue.declare / queue.delete, as RabbitMQ's management plugin does.
import { accessRefused } from '../../errors.js';
import type { Queue, QueueEntry } from '../../core/queue/queue.js';
import { checkPermission } from '../auth.js';
import { badRequest, boolField, created, noContent, objectNotFound, ok, queryFlag, requireKeys, type Request } from '../http.js';
import { listReply, objectReply } from '../list.js';
import { type MgmtContext, param, route, type Route } from '../router.js';
import { bindingRow, bindingView, defaultBindingRow, messageView, queueView } from '../views.js';
import { argumentsTable, BINDING_SORT, onChannel, pathVhost, scopeVhosts } from './common.js';

function listQueues(req: Request, ctx: MgmtContext): unknown {
  const queues: Queue[] = [];
  for (const v of scopeVhosts(req, ctx)) for (const q of v.queues.values()) queues.push(q);
  return listReply(req, queues, {
    basicKeys: ['name', 'vhost', 'durable', 'auto_delete', 'exclusive', 'consumers', 'messages', 'messages_ready', 'messages_unacknowledged'],
    basic: (q, key) => {
      switch (key) {
        case 'name':
          return q.name;
        case 'vhost':
          return q.vhost;
        case 'durable':
          return q.durable;
        case 'auto_delete':
          return q.autoDelete;
        case 'exclusive':
          return q.exclusive;
        case 'consumers':
          return q.consumerCount;
        case 'messages':
          return q.messageCount + q.unacked;
        case 'messages_ready':
          return q.messageCount;
        default:
          return q.unacked;
      }
    },
    view: (q) => queueView(ctx, q),
  });
}

function findQueue(req: Request, ctx: MgmtContext): Queue {
  const q = pathVhost(req, ctx).queues.get(param(req, 'queue'));
  if (q === undefined) throw objectNotFound();
  return q;
}

async function putQueue(req: Request, ctx: MgmtContext) {
  const vhost = pathVhost(req, ctx);
  const name = param(req, 'queue');
  const body = await req.json();
  const settings = {
    durable: boolField(body, 'durable', false),
    autoDelete: boolField(body, 'auto_delete', false),
    exclusive: false,
    arguments: argumentsTable(body.arguments),
  };
  if (name.startsWith('amq.')) throw accessRefused(`queue name '${name}' contains reserved prefix 'amq.*'`);
  checkPermission(req.principal, vhost.name, 'configure', 'queue', name);
  const { created: isNew } = vhost.declareQueue(name, false, settings, null);
  await ctx.broker.admin.durable();
  return created(isNew);
}

async function deleteQueue(req: Request, ctx: MgmtContext) {
  const q = findQueue(req, ctx);
  const vhost = pathVhost(req, ctx);
  checkPermission(req.principal, vhost.name, 'configure', 'queue', q.name);
  vhost.deleteQueue(q.name, queryFlag(req, 'if-unused'), queryFlag(req, 'if-empty'), null);
  await ctx.broker.admin.durable();
  return noContent();
}

function purgeQueue(req: Request, ctx: MgmtContext) {
  const q = findQueue(req, ctx);
  const vhost = pathVhost(req, ctx);
  vhost.checkExclusive(q, null);
  checkPermission(req.principal, vhost.name, 'read', 'queue', q.name);
  q.purge();
  return noContent();
}

const ACKMODES = ['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'];

/**
 * POST …/get: takes up to `count` messages as basic.get would, then puts them back (requeue modes,
 * marked redelivered) or drops them — all after the whole batch was taken, so a requeued message is
 * not fetched twice.
 */
async function getMessages(req: Request, ctx: MgmtContext) {
  const q = findQueue(req, ctx);
  const vhost = pathVhost(req, ctx);
  const body = await req.json();
  requireKeys(body, ['ackmode', 'count', 'encoding']);
  const count = Number(body.count);
  if (!Number.isInteger(count)) throw badRequest(`count must be an integer`);
  const ackmode = String(body.ackmode);
  if (!ACKMODES.includes(ackmode)) throw badRequest(`Invalid ackmode: ${ackmode}`);
  if (body.encoding !== 'auto' && body.encoding !== 'base64') throw badRequest('Unsupported encoding. Please use auto or base64.');
  const encoding = body.encoding;
  let truncate: number | undefined;
  if (body.truncate !== undefined && body.truncate !== null) {
    truncate = Number(body.truncate);
    if (!Number.isInteger(truncate) || truncate < 0) throw badRequest('truncate must be a non-negative integer');
  }
  onChannel(() => {
    vhost.checkExclusive(q, null);
    checkPermission(req.principal, vhost.name, 'read', 'queue', q.name);
  });
  const taken: QueueEntry[] = [];
  const out: unknown[] = [];
  for (let i = 0; i < count && !q.deleted; i++) {
    const e = q.get();
    if (e === undefined) break;
    taken.push(e);
    out.push(messageView(e.msg, e.redelivered, q.messageCount, encoding, truncate));
  }
  const requeue = ackmode.endsWith('_true');
  for (const e of taken) {
    if (requeue) q.requeue(e);
    else q.settle(e);
  }
  if (requeue) q.dispatch();
  return ok(out);
}

function queueBindings(req: Request, ctx: MgmtContext) {
  const vhost = pathVhost(req, ctx);
  const q = vhost.queues.get(param(req, 'queue'));
  // RabbitMQ lists the default-exchange binding even for a queue it does not know
  const name = param(req, 'queue');
  const implicit = { source: '', vhost: vhost.name, destination: name, destinationType: 'queue' as const, routingKey: name, arguments: {} };
  const rows = q === undefined ? [implicit] : [defaultBindingRow(q), ...[...q.incoming].map((b) => bindingRow(b, vhost.name))];
  return ok(listReply(req, rows, { defaultSort: BINDING_SORT, view: bindingView, paginate: false }));
}

export const queueRoutes: Route[] = [
  route('/api/queues', { GET: { auth: 'vhost', handle: (req, ctx) => ok(listQueues(req, ctx)) } }),
  route('/api/queues/:vhost', { GET: { auth: 'vhost', handle: (req, ctx) => ok(listQueues(req, ctx)) } }),
  route('/api/queues/:vhost/:queue', {
    GET: { auth: 'vhost', handle: (req, ctx) => ok(objectReply(req, queueView(ctx, findQueue(req, ctx), true))) },
    PUT: { auth: 'vhost', handle: putQueue },
    DELETE: { auth: 'vhost', handle: deleteQueue },
  }),
  route('/api/queues/:vhost/:queue/contents', { DELETE: { auth: 'vhost', handle: purgeQueue } }),
  route('/api/queues/:vhost/:queue/get', { POST: { auth: 'vhost', handle: getMessages } }),
  route('/api/queues/:vhost/:queue/bindings', { GET: { auth: 'vhost', handle: queueBindings } }),
];
