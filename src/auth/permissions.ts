// RabbitMQ's permission model: per user and vhost, three regexes matched against resource names.
// configure: declare/delete; write: publish to an exchange, bind a queue (write on the queue);
// read: consume/get/purge a queue, bind from an exchange. Regexes are cached per pattern.
import type { User } from './users.js';

const cache = new Map<string, RegExp>();

function regex(pattern: string): RegExp {
  let r = cache.get(pattern);
  if (r === undefined) {
    r = new RegExp(`^(?:${pattern})$`);
    cache.set(pattern, r);
  }
  return r;
}

export type Access = 'configure' | 'write' | 'read';

export function permitted(user: User, vhost: string, access: Access, resource: string): boolean {
  const p = user.permissions.get(vhost);
  if (p === undefined) return false;
  const pattern = p[access];
  if (pattern === '') return false; // an empty pattern grants nothing
  if (pattern === '.*') return true;
  return regex(pattern).test(resource);
}
