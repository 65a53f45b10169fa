// /api/definitions[/{vhost}]: export (GET) and import (POST) in RabbitMQ's definitions format,
// through Broker.exportDefinitions / importDefinitions. An import merges into what exists; a
// per-vhost import puts every queue, exchange, binding and policy into the vhost of the path.
import type { Queue } from '../../core/queue/queue.js';
import { type DefinitionsFile, tableToJson } from '../../store/definitions.js';
import { badRequest, HttpError, noContent, ok, type Request } from '../http.js';
import { type MgmtContext, route, type Route } from '../router.js';
import { pathVhost } from './common.js';

/** The keys of a per-vhost export, in RabbitMQ's order. */
const VHOST_SCOPED = ['parameters', 'policies', 'queues', 'exchanges', 'bindings'] as const;

/**
 * What RabbitMQ's API exports: the definitions file's users, vhosts, permissions, policies and
 * parameters, and every exchange, queue and binding, transient ones included (not exclusive queues,
 * internal exchanges or the built-in ones).
 */
function exportAll(ctx: MgmtContext): Record<string, unknown> {
  const d = ctx.broker.exportDefinitions() as unknown as Record<string, unknown>;
  const queues: Record<string, unknown>[] = [];
  const exchanges: Record<string, unknown>[] = [];
  const bindings: Record<string, unknown>[] = [];
  for (const v of ctx.broker.vhosts.values()) {
    for (const q of v.queues.values()) {
      if (q.exclusive) continue;
      queues.push({ name: q.name, vhost: v.name, durable: q.durable, auto_delete: q.autoDelete, arguments: tableToJson(q.arguments) });
    }
    for (const e of v.exchanges.values()) {
      if (e.name === '' || e.name.startsWith('amq.') || e.internal) continue;
      exchanges.push({ name: e.name, vhost: v.name, type: e.type, durable: e.durable, auto_delete: e.autoDelete, internal: e.internal, arguments: tableToJson(e.settings.arguments) });
    }
    for (const e of v.exchanges.values()) {
      for (const b of e.bindings.values()) {
        if (b.destination.kind === 'queue' && (b.destination as Queue).exclusive) continue;
        bindings.push({ source: e.name, vhost: v.name, destination: b.destination.name, destination_type: b.destination.kind, routing_key: b.routingKey, arguments: tableToJson(b.arguments) });
      }
    }
  }
  return { ...d, queues, exchanges, bindings };
}

/** One vhost's part, without the vhost keys. */
function exportVhost(ctx: MgmtContext, vhost: string): Record<string, unknown> {
  const all = exportAll(ctx);
  const out: Record<string, unknown> = { rabbit_version: all.rabbit_version };
  for (const key of VHOST_SCOPED) {
    const list = Array.isArray(all[key]) ? (all[key] as Record<string, unknown>[]) : [];
    out[key] = list.filter((e) => e.vhost === vhost).map(({ vhost: _v, ...rest }) => rest);
  }
  return out;
}

/** The request body; RabbitMQ words a body that is not a JSON object differently here. */
async function definitionsBody(req: Request): Promise<Record<string, unknown>> {
  try {
    return await req.json();
  } catch (e) {
    if (e instanceof HttpError && e.status === 400) throw badRequest('failed_to_parse_json');
    throw e;
  }
}

const LIST_KEYS = ['users', 'vhosts', 'permissions', 'topic_permissions', 'parameters', 'global_parameters', 'policies', 'queues', 'exchanges', 'bindings'];

/** Checks the shape enough that the import cannot half-apply a file of the wrong kind. */
function validate(body: Record<string, unknown>): DefinitionsFile {
  for (const key of LIST_KEYS) {
    const v = body[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.some((e) => e === null || typeof e !== 'object' || Array.isArray(e))) {
      throw badRequest(`definitions key '${key}' must be a list of objects`);
    }
  }
  return body as unknown as DefinitionsFile;
}

async function importAll(ctx: MgmtContext, defs: DefinitionsFile) {
  const b = ctx.broker;
  try {
    b.importDefinitions(defs);
  } catch (e) {
    throw badRequest(e instanceof Error ? e.message : String(e));
  } finally {
    // a partial import (a bad entry part-way) still persists what it created
    b.definitionsChanged();
  }
  await b.admin.durable();
  return noContent();
}

async function postAll(req: Request, ctx: MgmtContext) {
  return importAll(ctx, validate(await definitionsBody(req)));
}

async function postVhost(req: Request, ctx: MgmtContext) {
  const vhost = pathVhost(req, ctx).name;
  const body = await definitionsBody(req);
  validate(body);
  const scoped: Record<string, unknown> = {};
  for (const key of VHOST_SCOPED) {
    const list = body[key] as Record<string, unknown>[] | undefined;
    if (list !== undefined) scoped[key] = list.map((e) => ({ ...e, vhost }));
  }
  return importAll(ctx, scoped as unknown as DefinitionsFile);
}

export const definitionRoutes: Route[] = [
  route('/api/definitions', {
    GET: { auth: 'admin', handle: (_req, ctx) => ok(exportAll(ctx)) },
    POST: { auth: 'admin', handle: postAll },
  }),
  // the old name, kept by RabbitMQ
  route('/api/all-configuration', {
    GET: { auth: 'admin', handle: (_req, ctx) => ok(exportAll(ctx)) },
    POST: { auth: 'admin', handle: postAll },
  }),
  route('/api/definitions/:vhost', {
    GET: { auth: 'admin', handle: (req, ctx) => ok(exportVhost(ctx, pathVhost(req, ctx).name)) },
    POST: { auth: 'admin', handle: postVhost },
  }),
];
