// RabbitMQ's permission model: per user and vhost, three regexes matched against resource names.
// configure: declare/delete; write: publish to an exchange, bind a queue (write on the queue);
// read: consume/get/purge a queue, bind from an exchange.
//
// Matching follows rabbit_auth_backend_internal exactly: the pattern is NOT anchored (re:run finds
// a match anywhere, so "foo" grants "my-foo-queue"), an empty pattern means "^$" (nothing but the
// empty name), and the default exchange is checked under the name "amq.default".
// Topic permissions (per exchange, on routing keys) apply to topic exchanges only; without a
// topic permission for an exchange everything is allowed.
import type { TopicPermission, User } from './users.js';

export type Access = 'configure' | 'write' | 'read';
export type ResourceKind = 'queue' | 'exchange';

/** Compiled patterns; bounded so a stream of distinct patterns cannot grow it forever. */
const cache = new Map<string, RegExp | null>();
const CACHE_LIMIT = 1024;

/** The compiled pattern, or null when it does not compile (then it grants nothing). */
function regex(pattern: string): RegExp | null {
  let r = cache.get(pattern);
  if (r === undefined) {
    try {
      r = new RegExp(pattern === '' ? '^$' : pattern);
    } catch {
      r = null;
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, r);
  }
  return r;
}

/** Does a permission pattern grant the name? */
export function matchesPattern(pattern: string, name: string): boolean {
  if (pattern === '.*') return true; // the usual full grant, without a regex run
  const r = regex(pattern);
  return r !== null && r.test(name);
}

/** Whether a pattern compiles (set_permissions refuses one that does not). */
export function validPattern(pattern: string): boolean {
  return regex(pattern) !== null;
}

/** The name RabbitMQ checks permissions against: the default exchange is "amq.default". */
export function resourceName(kind: ResourceKind, name: string): string {
  return kind === 'exchange' && name === '' ? 'amq.default' : name;
}

/** May the user do `access` on the resource named `resource` (already mapped by resourceName) in the vhost? */
export function permitted(user: User, vhost: string, access: Access, resource: string): boolean {
  const p = user.permissions.get(vhost);
  return p !== undefined && matchesPattern(p[access], resource);
}

/**
 * Topic authorisation (publish to / bind from a topic exchange): the user's topic permission for
 * the exchange, with {username} and {vhost} expanded, must match the routing key.
 */
export function topicPermitted(user: User, vhost: string, exchange: string, access: 'write' | 'read', routingKey: string): boolean {
  const list = user.topicPermissions?.get(vhost);
  if (list === undefined) return true;
  const tp = list.find((t: TopicPermission) => t.exchange === exchange);
  if (tp === undefined) return true;
  const pattern = tp[access].replaceAll('{username}', user.name).replaceAll('{vhost}', vhost);
  return matchesPattern(pattern, routingKey);
}

/**
 * A coarse clock for the idle check: Date.now() costs about 100 ns, too much to pay on every
 * publish. A 100 ms timer refreshes the time while caches are in use and stops itself once they
 * are not, so an idle process has no timer running.
 */
const CLOCK_TICK_MS = 100;
let coarseNow = 0;
let clockTimer: NodeJS.Timeout | null = null;
let usedSinceTick = false;

function coarseTime(): number {
  usedSinceTick = true;
  if (clockTimer === null) {
    coarseNow = Date.now();
    clockTimer = setInterval(() => {
      if (!usedSinceTick && clockTimer !== null) {
        clearInterval(clockTimer);
        clockTimer = null;
        return;
      }
      usedSinceTick = false;
      coarseNow = Date.now();
    }, CLOCK_TICK_MS);
    clockTimer.unref();
  }
  return coarseNow;
}

/** How long a channel may sit idle before its cache is dropped (RabbitMQ: the channel hibernates). */
export const PERMISSION_CACHE_IDLE_MS = 1000;
/** RabbitMQ's ?MAX_PERMISSION_CACHE_SIZE. */
const PERMISSION_CACHE_SIZE = 12;

interface CacheEntry {
  access: Access;
  kind: ResourceKind;
  name: string;
}

/**
 * RabbitMQ's per-channel permission cache: the last 12 granted (resource, access) pairs are not
 * checked again on that channel, so revoking a permission does not stop a channel that already
 * used it, until the channel goes idle (RabbitMQ clears the cache when the channel process
 * hibernates, after about a second without work). Refusals are never cached.
 */
export class PermissionCache {
  private readonly entries: CacheEntry[] = [];
  private lastUsed = 0;

  has(access: Access, kind: ResourceKind, name: string): boolean {
    const now = coarseTime();
    if (now - this.lastUsed >= PERMISSION_CACHE_IDLE_MS) this.entries.length = 0;
    this.lastUsed = now;
    const e = this.entries;
    for (let i = 0; i < e.length; i++) {
      const c = e[i] as CacheEntry;
      if (c.name === name && c.access === access && c.kind === kind) return true;
    }
    return false;
  }

  /** Remembers a grant, newest first, dropping the oldest beyond the limit (no reordering on hits, as RabbitMQ). */
  add(access: Access, kind: ResourceKind, name: string): void {
    this.lastUsed = coarseTime();
    this.entries.unshift({ access, kind, name });
    if (this.entries.length > PERMISSION_CACHE_SIZE) this.entries.length = PERMISSION_CACHE_SIZE;
  }
}
