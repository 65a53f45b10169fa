// Helpers the resource handlers share: finding the vhost a path names, the vhosts a user's
// listings cover, and AMQP field tables from JSON bodies.
import type { VHost } from '../../core/vhost.js';
import type { FieldTable } from '../../protocol/field-value.js';
import { jsonToTable } from '../../store/definitions.js';
import { listableVhost } from '../auth.js';
import { AmqpError } from '../../errors.js';
import { badRequest, HttpError, notAuthorised, objectNotFound, type Request } from '../http.js';
import type { MgmtContext } from '../router.js';

/** How RabbitMQ sorts binding lists ("type" is no key of a binding, so it sorts nothing). */
export const BINDING_SORT = ['vhost', 'source', 'type', 'destination', 'routing_key', 'properties_key'] as const;

/** The vhost named in the path, or 404 Object Not Found. */
export function pathVhost(req: Request, ctx: MgmtContext): VHost {
  const v = ctx.broker.vhosts.get(req.params.vhost ?? '');
  if (v === undefined) throw objectNotFound();
  return v;
}

/**
 * The vhosts a listing covers (RabbitMQ's all_or_one_vhost + filter_vhost): the one in the path
 * (404 if it does not exist), or every vhost the user may see.
 */
export function scopeVhosts(req: Request, ctx: MgmtContext): VHost[] {
  if (req.params.vhost !== undefined) {
    const v = pathVhost(req, ctx);
    return listableVhost(req.principal, v.name) ? [v] : [];
  }
  return [...ctx.broker.vhosts.values()].filter((v) => listableVhost(req.principal, v.name));
}

/**
 * Runs an action RabbitMQ performs on an AMQP channel of the requesting user (get, aliveness
 * test) and reports a channel error as its with_channel does: 404 with the full reply text, 401
 * for ACCESS_REFUSED, else 400 "<code> <text>".
 */
export function onChannel<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof AmqpError)) throw e;
    if (e.code === 404) throw new HttpError(404, 'not_found', e.message);
    if (e.code === 403) throw notAuthorised(e.message);
    throw badRequest(`${e.code} ${e.message}`);
  }
}

/** A JSON object of arguments as an AMQP field table (RabbitMQ's to_amqp_table). */
export function argumentsTable(value: unknown): FieldTable {
  if (value === undefined || value === null || value === '') return {};
  if (Array.isArray(value) && value.length === 0) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest('arguments must be an object');
  return jsonToTable(value as Record<string, unknown>);
}
