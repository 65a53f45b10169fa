// Who may use the management API, and what they see: HTTP basic auth against the broker's users,
// RabbitMQ's loopback_users rule, and its tag model: a user needs a management-ish tag to use the
// API at all; `management` sees the vhosts it has permissions on, `monitoring` sees every vhost and
// every connection, `administrator` may change users, vhosts, permissions and definitions. Requests
// over the Unix socket (warrenctl) act as an internal administrator without a password.
import type { IncomingMessage } from 'node:http';
import { type Access as PermissionKind, permitted } from '../auth/permissions.js';
import { loopbackAllowed } from '../auth/loopback.js';
import { accessRefused, rname } from '../errors.js';
import type { Broker } from '../broker.js';
import { NoCredentials, notAuthenticated, notAuthorised, type Principal } from './http.js';

/** rabbitmqctl's identity in RabbitMQ's logs and user_who_performed_action. */
const INTERNAL_USER = 'rmq-cli';

export const isAdmin = (tags: readonly string[]): boolean => tags.includes('administrator');
export const isMonitor = (tags: readonly string[]): boolean => tags.includes('administrator') || tags.includes('monitoring');
const MGMT_TAGS = ['administrator', 'monitoring', 'policymaker', 'management'];
export const isManagementUser = (tags: readonly string[]): boolean => tags.some((t) => MGMT_TAGS.includes(t));

export function internalPrincipal(): Principal {
  return { user: { name: INTERNAL_USER, passwordHash: '', tags: ['administrator'], permissions: new Map() }, internal: true };
}

/** The name and password of an `Authorization: Basic …` header, if there is one. */
export function basicCredentials(req: IncomingMessage): { name: string; password: string } | undefined {
  const header = req.headers.authorization;
  const m = header === undefined ? null : /^Basic\s+(\S+)\s*$/i.exec(header);
  if (m === null) return undefined;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Authenticates a TCP request (HTTP basic auth) as RabbitMQ does, or throws its 401. */
export function authenticate(broker: Broker, req: IncomingMessage): Principal {
  const cred = basicCredentials(req);
  if (cred === undefined) throw new NoCredentials();
  const name = cred.name;
  const user = broker.admin.authenticate(name, cred.password);
  if (user === undefined) {
    broker.log.warn({ user: name, peer: req.socket.remoteAddress }, `HTTP access denied: user '${name}' - invalid credentials`);
    throw notAuthenticated();
  }
  if (!loopbackAllowed(user.name, req.socket.localAddress, broker.config.loopbackUsers)) {
    throw notAuthorised('User can only log in via localhost');
  }
  if (!isManagementUser(user.tags)) throw notAuthorised('Not management user');
  return { user, internal: false };
}

// --- authorization levels (RabbitMQ's is_authorized_* family) -----------------------------------

/**
 * any: every management user. monitor / admin: the tag. vhost: administrators, or users with
 * permissions on the vhost named in the path. vhostVisible: like vhost, but monitoring users see
 * every vhost. A vhost that does not exist passes (the handler answers 404).
 */
export type AuthLevel = 'any' | 'monitor' | 'admin' | 'vhost' | 'vhostVisible';

export function authorize(broker: Broker, p: Principal, level: AuthLevel, vhost: string | undefined): void {
  const tags = p.user.tags;
  switch (level) {
    case 'any':
      return;
    case 'admin':
      if (!isAdmin(tags)) throw notAuthorised('Not administrator user');
      return;
    case 'monitor':
      if (!isMonitor(tags)) throw notAuthorised('Not monitor user');
      return;
    case 'vhost':
    case 'vhostVisible': {
      if (isAdmin(tags) || vhost === undefined || !broker.vhosts.has(vhost)) return;
      const seen = level === 'vhost' ? canLogin(p, vhost) : canSee(p, vhost);
      if (!seen) throw notAuthorised('User not authorised to access virtual host');
      return;
    }
  }
}

/** May the user open connections to the vhost (it has permissions there)? */
export function canLogin(p: Principal, vhost: string): boolean {
  return p.internal || p.user.permissions.has(vhost);
}

/** Does the vhost show in the user's lists (monitoring users see them all)? */
export function canSee(p: Principal, vhost: string): boolean {
  return p.internal || isMonitor(p.user.tags) || p.user.permissions.has(vhost);
}

/**
 * Which vhosts' queues, exchanges, bindings and consumers a listing shows (RabbitMQ's filter_vhost):
 * every vhost for administrators, otherwise the vhosts the user has permissions on — for
 * monitoring users too, who see every vhost's name and totals but not its objects.
 */
export function listableVhost(p: Principal, vhost: string): boolean {
  return isAdmin(p.user.tags) || canLogin(p, vhost);
}

/** Connections and channels: monitoring users see everyone's, others only their own. */
export function seesUser(p: Principal, owner: string): boolean {
  return p.internal || isMonitor(p.user.tags) || p.user.name === owner;
}

/**
 * The AMQP permission check an HTTP action goes through (declare → configure, publish → write, …),
 * refused with the same 403 ACCESS_REFUSED an AMQP client would get; the server turns it into
 * RabbitMQ's HTTP answer. warrenctl (internal) is never refused.
 */
export function checkPermission(p: Principal, vhost: string, access: PermissionKind, kind: 'queue' | 'exchange', name: string): void {
  if (p.internal || permitted(p.user, vhost, access, name)) return;
  throw accessRefused(`access to ${rname(kind, name, vhost)} refused for user '${p.user.name}'`);
}
