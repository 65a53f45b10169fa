// /api/bindings: every binding (default-exchange ones included), the bindings between an exchange
// and a queue (…/e/{src}/q/{dst}) or two exchanges (…/e/{src}/e/{dst}), creating one with POST
// (answered with a Location naming it) and reading or deleting one by its properties_key.
import type { Destination, Exchange } from '../../core/exchange/index.js';
import type { Queue } from '../../core/queue/queue.js';
import type { VHost } from '../../core/vhost.js';
import { notFound, rname } from '../../errors.js';
import { checkPermission } from '../auth.js';
import { noContent, objectNotFound, ok, type Reply, type Request, stringField } from '../http.js';
import { listReply, objectReply } from '../list.js';
import { exchangeParam, type MgmtContext, param, route, type Route } from '../router.js';
import { type BindingRow, bindingRow, bindingView, defaultBindingRow, propertiesKey, vhostBindings } from '../views.js';
import { argumentsTable, BINDING_SORT, pathVhost, scopeVhosts } from './common.js';

function listAll(req: Request, ctx: MgmtContext) {
  const rows: BindingRow[] = [];
  for (const v of scopeVhosts(req, ctx)) rows.push(...vhostBindings(v));
  return ok(listReply(req, rows, { defaultSort: BINDING_SORT, view: bindingView, paginate: false }));
}

function destinationKind(req: Request): 'queue' | 'exchange' {
  const t = param(req, 'dtype');
  if (t === 'q') return 'queue';
  if (t === 'e') return 'exchange';
  throw objectNotFound();
}

function lookupDestination(v: VHost, kind: 'queue' | 'exchange', name: string): Destination | undefined {
  return kind === 'queue' ? v.queues.get(name) : v.exchanges.get(exchangeParam(name));
}

/** Bindings from the source exchange to the destination (none when either is missing, as RabbitMQ). */
function between(req: Request, ctx: MgmtContext): BindingRow[] {
  const v = pathVhost(req, ctx);
  const kind = destinationKind(req);
  const src = v.exchanges.get(exchangeParam(param(req, 'source')));
  const dest = lookupDestination(v, kind, param(req, 'destination'));
  if (src === undefined || dest === undefined) return [];
  if (src === v.defaultExchange) return kind === 'queue' ? [defaultBindingRow(dest as Queue)] : [];
  return [...src.bindings.values()].filter((b) => b.destination === dest).map((b) => bindingRow(b, v.name));
}

/** POST: binds as queue.bind / exchange.bind would (write on the destination, read on the source). */
async function create(req: Request, ctx: MgmtContext): Promise<Reply> {
  const v = pathVhost(req, ctx);
  const kind = destinationKind(req);
  const body = await req.json();
  const routingKey = stringField(body, 'routing_key', '');
  const args = argumentsTable(body.arguments);
  const srcName = exchangeParam(param(req, 'source'));
  const destName = kind === 'queue' ? param(req, 'destination') : exchangeParam(param(req, 'destination'));
  const src = v.exchanges.get(srcName);
  if (src === undefined) throw notFound(`no ${rname('exchange', srcName, v.name)}`);
  const dest = lookupDestination(v, kind, destName);
  if (dest === undefined) throw notFound(`no ${rname(kind, destName, v.name)}`);
  if (kind === 'queue') v.checkExclusive(dest as Queue, null);
  checkPermission(req.principal, v.name, 'write', kind, destName);
  checkPermission(req.principal, v.name, 'read', 'exchange', srcName);
  v.bind(src as Exchange, dest, routingKey, args);
  await ctx.broker.admin.durable();
  // RabbitMQ answers with the new binding's URI, relative to the request path
  return { status: 201, headers: { location: `${encodeURIComponent(param(req, 'destination'))}/${encodeURIComponent(propertiesKey(routingKey, args))}` } };
}

/** quote_plus undone: "+" is a space, %XX a byte. */
function unquotePlus(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * The binding a properties_key names. The key is compared as RabbitMQ packs it; a routing key
 * given unquoted (e.g. "a.#" sent as %23 in the path) names the binding without arguments too.
 */
function findOne(req: Request, ctx: MgmtContext): BindingRow {
  const props = param(req, 'props');
  const rows = between(req, ctx);
  let b = rows.find((row) => propertiesKey(row.routingKey, row.arguments) === props);
  if (b === undefined && !props.includes('~')) {
    const key = unquotePlus(props);
    b = rows.find((row) => row.routingKey === key && Object.keys(row.arguments).length === 0);
  }
  if (b === undefined) throw objectNotFound();
  return b;
}

async function remove(req: Request, ctx: MgmtContext): Promise<Reply> {
  const row = findOne(req, ctx);
  const v = pathVhost(req, ctx);
  const src = v.exchanges.get(row.source) as Exchange;
  const dest = lookupDestination(v, row.destinationType, row.destination) as Destination;
  if (row.destinationType === 'queue') v.checkExclusive(dest as Queue, null);
  checkPermission(req.principal, v.name, 'write', row.destinationType, row.destination);
  checkPermission(req.principal, v.name, 'read', 'exchange', row.source);
  v.unbind(src, dest, row.routingKey, row.arguments);
  await ctx.broker.admin.durable();
  return noContent();
}

export const bindingRoutes: Route[] = [
  route('/api/bindings', { GET: { auth: 'vhost', handle: listAll } }),
  route('/api/bindings/:vhost', { GET: { auth: 'vhost', handle: listAll } }),
  route('/api/bindings/:vhost/e/:source/:dtype/:destination', {
    GET: { auth: 'vhost', handle: (req, ctx) => ok(listReply(req, between(req, ctx), { defaultSort: BINDING_SORT, view: bindingView, paginate: false })) },
    POST: { auth: 'vhost', handle: create },
  }),
  route('/api/bindings/:vhost/e/:source/:dtype/:destination/:props', {
    GET: { auth: 'vhost', handle: (req, ctx) => ok(objectReply(req, bindingView(findOne(req, ctx)))) },
    DELETE: { auth: 'vhost', handle: remove },
  }),
];
