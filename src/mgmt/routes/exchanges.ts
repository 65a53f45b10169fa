// /api/exchanges: list, show, declare (PUT), delete, publish (POST …/publish) and an exchange's
// bindings as source or destination. The default exchange is addressed as "amq.default".
import { accessRefused, type AmqpError, notFound, preconditionFailed, rname } from '../../errors.js';
import { permitted } from '../../auth/permissions.js';
import { type Exchange, route as routeMessage } from '../../core/exchange/index.js';
import { Message, rawProperties } from '../../core/message.js';
import { ACCEPTED_DURABLE, type Queue } from '../../core/queue/queue.js';
import type { BasicProperties } from '../../protocol/generated/properties.js';
import { checkPermission } from '../auth.js';
import { badRequest, boolField, created, HttpError, noContent, objectNotFound, ok, queryFlag, requireKeys, type Request, stringField } from '../http.js';
import { listReply, objectReply } from '../list.js';
import { exchangeParam, type MgmtContext, param, route, type Route } from '../router.js';
import { type BindingRow, bindingRow, bindingView, defaultBindingRow, exchangeView } from '../views.js';
import { argumentsTable, BINDING_SORT, pathVhost, scopeVhosts } from './common.js';

function listExchanges(req: Request, ctx: MgmtContext): unknown {
  const exchanges: Exchange[] = [];
  for (const v of scopeVhosts(req, ctx)) for (const e of v.exchanges.values()) exchanges.push(e);
  return listReply(req, exchanges, {
    basicKeys: ['name', 'vhost', 'type', 'durable', 'auto_delete', 'internal'],
    basic: (e, key) => {
      switch (key) {
        case 'name':
          return e.name;
        case 'vhost':
          return e.vhost;
        case 'type':
          return e.type;
        case 'durable':
          return e.durable;
        case 'auto_delete':
          return e.autoDelete;
        default:
          return e.internal;
      }
    },
    view: (e) => exchangeView(ctx, e),
  });
}

function findExchange(req: Request, ctx: MgmtContext): Exchange {
  const e = pathVhost(req, ctx).exchanges.get(exchangeParam(param(req, 'exchange')));
  if (e === undefined) throw objectNotFound();
  return e;
}

async function putExchange(req: Request, ctx: MgmtContext) {
  const vhost = pathVhost(req, ctx);
  const name = exchangeParam(param(req, 'exchange'));
  const body = await req.json();
  const type = stringField(body, 'type', 'direct');
  const settings = {
    durable: boolField(body, 'durable', false),
    autoDelete: boolField(body, 'auto_delete', false),
    internal: boolField(body, 'internal', false),
    arguments: argumentsTable(body.arguments),
  };
  checkPermission(req.principal, vhost.name, 'configure', 'exchange', name);
  const existed = vhost.exchanges.has(name);
  vhost.declareExchange(name, type, false, settings);
  await ctx.broker.admin.durable();
  return created(!existed);
}

async function deleteExchange(req: Request, ctx: MgmtContext) {
  const e = findExchange(req, ctx);
  const vhost = pathVhost(req, ctx);
  checkPermission(req.principal, vhost.name, 'configure', 'exchange', e.name);
  vhost.deleteExchange(e.name, queryFlag(req, 'if-unused'));
  await ctx.broker.admin.durable();
  return noContent();
}

// --- publish ----------------------------------------------------------------------------------

const STRING_PROPS: [string, keyof BasicProperties][] = [
  ['content_type', 'contentType'],
  ['content_encoding', 'contentEncoding'],
  ['correlation_id', 'correlationId'],
  ['reply_to', 'replyTo'],
  ['expiration', 'expiration'],
  ['message_id', 'messageId'],
  ['type', 'type'],
  ['user_id', 'userId'],
  ['app_id', 'appId'],
  ['cluster_id', 'clusterId'],
];

/** JSON properties as basic properties (RabbitMQ's to_basic_properties). */
function basicProperties(json: unknown): BasicProperties {
  if (json === undefined || json === null || (Array.isArray(json) && json.length === 0)) return {};
  if (typeof json !== 'object' || Array.isArray(json)) throw badRequest('properties must be an object');
  const o = json as Record<string, unknown>;
  const p: BasicProperties = {};
  for (const [key, prop] of STRING_PROPS) {
    const v = o[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw badRequest(`{bad_property,${key}}`);
    Object.assign(p, { [prop]: v });
  }
  for (const [key, prop] of [['delivery_mode', 'deliveryMode'], ['priority', 'priority'], ['timestamp', 'timestamp']] as const) {
    const v = o[key];
    if (v === undefined || v === null) continue;
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw badRequest(`{bad_property,${key}}`);
    p[prop] = n;
  }
  if (o.headers !== undefined && o.headers !== null) p.headers = argumentsTable(o.headers);
  return p;
}

/**
 * POST …/publish: routes one message as basic.publish on a channel of the requesting user would
 * (write permission, user_id check), and answers {"routed": bool} once a persistent message that
 * reached a durable queue is on disk.
 */
async function publish(req: Request, ctx: MgmtContext) {
  const vhost = pathVhost(req, ctx);
  const name = exchangeParam(param(req, 'exchange'));
  const e = vhost.exchanges.get(name);
  // the publish happens on a channel, whose 404 RabbitMQ reports as a 400
  if (e === undefined) throw badRequest(`404 ${notFound(`no ${rname('exchange', name, vhost.name)}`).message}`);
  const body = await req.json();
  requireKeys(body, ['routing_key', 'properties', 'payload', 'payload_encoding']);
  if (typeof body.payload !== 'string') throw badRequest('payload_not_string');
  const props = basicProperties(body.properties);
  const enc = String(body.payload_encoding);
  let payload: Buffer;
  if (enc === 'string') payload = Buffer.from(body.payload, 'utf8');
  else if (enc === 'base64') payload = Buffer.from(body.payload, 'base64');
  else throw new HttpError(400, 'bad_request', ['unsupported_encoding', enc]);
  // RabbitMQ publishes on a channel of the user: a refusal closes it and is reported as "<code> <text>"
  const user = req.principal.user;
  const refuse = (err: AmqpError): HttpError => badRequest(`${err.code} ${err.message}`);
  if (!req.principal.internal && !permitted(user, vhost.name, 'write', e.name)) {
    throw refuse(accessRefused(`access to ${rname('exchange', e.name, vhost.name)} refused for user '${user.name}'`));
  }
  if (e.internal) throw refuse(accessRefused(`cannot publish to internal ${rname('exchange', e.name, vhost.name)}`));
  if (props.userId !== undefined && props.userId !== user.name && !req.principal.internal && !user.tags.includes('impersonator')) {
    throw refuse(preconditionFailed(`user_id property set to '${props.userId}' but authenticated user was '${user.name}'`));
  }
  const msg = new Message(e.name, String(body.routing_key), rawProperties(props), payload);
  const reached: Queue[] = [];
  routeMessage(e, msg, reached);
  e.publishIn += 1;
  let durable = false;
  for (const q of reached) if (q.enqueue(msg) === ACCEPTED_DURABLE) durable = true;
  if (reached.length > 0) e.publishOut += 1;
  if (durable) {
    await new Promise<void>((resolve, reject) => ctx.broker.store.sync({ durable: (err) => (err ? reject(err) : resolve()) }));
  }
  return ok({ routed: reached.length > 0 });
}

// --- bindings ---------------------------------------------------------------------------------

function exchangeBindings(req: Request, ctx: MgmtContext, as: 'source' | 'destination') {
  const vhost = pathVhost(req, ctx);
  const e = vhost.exchanges.get(exchangeParam(param(req, 'exchange')));
  let rows: BindingRow[] = [];
  if (e !== undefined && as === 'source') {
    rows = e === vhost.defaultExchange ? [...vhost.queues.values()].map(defaultBindingRow) : [...e.bindings.values()].map((b) => bindingRow(b, vhost.name));
  } else if (e !== undefined) {
    rows = [...e.incoming].map((b) => bindingRow(b, vhost.name));
  }
  return ok(listReply(req, rows, { defaultSort: BINDING_SORT, view: bindingView, paginate: false }));
}

export const exchangeRoutes: Route[] = [
  route('/api/exchanges', { GET: { auth: 'vhost', handle: (req, ctx) => ok(listExchanges(req, ctx)) } }),
  route('/api/exchanges/:vhost', { GET: { auth: 'vhost', handle: (req, ctx) => ok(listExchanges(req, ctx)) } }),
  route('/api/exchanges/:vhost/:exchange', {
    GET: { auth: 'vhost', handle: (req, ctx) => ok(objectReply(req, exchangeView(ctx, findExchange(req, ctx), true))) },
    PUT: { auth: 'vhost', handle: putExchange },
    DELETE: { auth: 'vhost', handle: deleteExchange },
  }),
  route('/api/exchanges/:vhost/:exchange/publish', { POST: { auth: 'vhost', handle: publish } }),
  route('/api/exchanges/:vhost/:exchange/bindings/source', { GET: { auth: 'vhost', handle: (req, ctx) => exchangeBindings(req, ctx, 'source') } }),
  route('/api/exchanges/:vhost/:exchange/bindings/destination', { GET: { auth: 'vhost', handle: (req, ctx) => exchangeBindings(req, ctx, 'destination') } }),
];
