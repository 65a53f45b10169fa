// Users, vhosts, permissions and topic permissions (/api/users, /api/vhosts, /api/permissions,
// /api/topic-permissions) and /api/whoami. Changes go through broker.admin and are answered only
// once they are on disk. Only administrators change anything; vhosts are listed to everyone who
// can see them.
import type { VhostMetadata } from '../../admin.js';
import { type HashingAlgorithm, isHashingAlgorithm } from '../../auth/users.js';
import { canSee } from '../auth.js';
import { badRequest, created, noContent, objectNotFound, ok, type Request, requireKeys } from '../http.js';
import { listReply, objectReply } from '../list.js';
import { type MgmtContext, param, route, type Route } from '../router.js';
import { permissionView, userView, vhostView } from '../views.js';
import { pathVhost } from './common.js';

// --- users ------------------------------------------------------------------------------------

/** Tags as a comma-separated string (RabbitMQ's documented form) or a list. */
function parseTags(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.split(',');
  if (Array.isArray(v) && v.every((t) => typeof t === 'string')) return v as string[];
  throw badRequest('tags must be a comma-separated string or a list of strings');
}

function findUser(req: Request, ctx: MgmtContext) {
  const u = ctx.broker.users.users.get(param(req, 'user'));
  if (u === undefined) throw objectNotFound();
  return u;
}

/**
 * PUT /api/users/{name}: the whole user is written. A password is hashed; a password_hash is taken
 * as given (with its hashing_algorithm); neither leaves the user without password login.
 */
async function putUser(req: Request, ctx: MgmtContext) {
  const name = param(req, 'user');
  const body = await req.json();
  // RabbitMQ's put_user wants the tags (or the pre-3.0 "administrator" flag)
  let tags = parseTags(body.tags);
  if (tags === undefined && body.administrator !== undefined) tags = body.administrator === true || body.administrator === 'true' ? ['administrator'] : [];
  if (tags === undefined) throw badRequest('tags_not_present');
  let hashingAlgorithm: HashingAlgorithm | undefined;
  const algorithm = body.hashing_algorithm;
  if (algorithm !== undefined && algorithm !== null) {
    if (typeof algorithm !== 'string' || !isHashingAlgorithm(algorithm)) throw badRequest(`unsupported hashing algorithm '${String(algorithm)}'`);
    hashingAlgorithm = algorithm;
  }
  for (const key of ['password', 'password_hash']) {
    if (body[key] !== undefined && body[key] !== null && typeof body[key] !== 'string') throw badRequest(`${key} must be a string`);
  }
  const password = typeof body.password === 'string' ? body.password : undefined;
  const hash = typeof body.password_hash === 'string' ? body.password_hash : undefined;
  if (password !== undefined && hash !== undefined) throw badRequest('both_password_and_password_hash_are_provided');
  const isNew = ctx.broker.admin.putUser(name, {
    password,
    passwordHash: password === undefined ? (hash ?? '') : undefined,
    hashingAlgorithm,
    tags,
  });
  await ctx.broker.admin.durable();
  return created(isNew);
}

async function deleteUser(req: Request, ctx: MgmtContext) {
  ctx.broker.admin.deleteUser(findUser(req, ctx).name);
  await ctx.broker.admin.durable();
  return noContent();
}

/** POST /api/users/bulk-delete {"users": [...]}: unknown names are skipped. */
async function bulkDelete(req: Request, ctx: MgmtContext) {
  const body = await req.json();
  requireKeys(body, ['users']);
  if (!Array.isArray(body.users)) throw badRequest('users must be a list');
  for (const name of body.users) {
    if (typeof name === 'string' && ctx.broker.users.users.has(name)) ctx.broker.admin.deleteUser(name);
  }
  await ctx.broker.admin.durable();
  return noContent();
}

function listUsers(req: Request, ctx: MgmtContext, withoutPermissions: boolean) {
  let users = ctx.broker.admin.users();
  if (withoutPermissions) users = users.filter((u) => u.permissions.size === 0);
  return ok(listReply(req, users, { view: userView, paginate: false }));
}

// --- vhosts -----------------------------------------------------------------------------------

function listVhosts(req: Request, ctx: MgmtContext) {
  const vhosts = ctx.broker.admin.vhosts().filter((v) => canSee(req.principal, v.name));
  return ok(listReply(req, vhosts, { basicKeys: ['name'], basic: (v) => v.name, view: (v) => vhostView(ctx, v), paginate: false }));
}

/** PUT /api/vhosts/{name}: creates it (201) or updates its description and tags (204). */
async function putVhost(req: Request, ctx: MgmtContext) {
  const name = param(req, 'vhost');
  const body = await req.json();
  const existed = ctx.broker.vhosts.has(name);
  // every PUT rewrites the description and tags, as RabbitMQ's does
  const metadata: VhostMetadata = {
    description: typeof body.description === 'string' ? body.description : '',
    tags: (parseTags(body.tags) ?? []).map((t) => t.trim()).filter((t) => t !== ''),
  };
  if (typeof body.default_queue_type === 'string') metadata.default_queue_type = body.default_queue_type;
  ctx.broker.admin.ensureVhost(name, metadata);
  // RabbitMQ gives the user who creates a vhost over HTTP full permissions on it (not rabbitmqctl)
  const user = req.principal.user.name;
  if (!existed && !req.principal.internal && ctx.broker.users.users.has(user)) {
    ctx.broker.admin.setPermissions(user, name, { configure: '.*', write: '.*', read: '.*' });
  }
  await ctx.broker.admin.durable();
  return created(!existed);
}

async function deleteVhost(req: Request, ctx: MgmtContext) {
  ctx.broker.admin.deleteVhost(pathVhost(req, ctx).name);
  await ctx.broker.admin.durable();
  return noContent();
}

// --- permissions ------------------------------------------------------------------------------

function permissionList(req: Request, ctx: MgmtContext, filter: { vhost?: string; user?: string }) {
  const rows = ctx.broker.admin.permissions(filter).map((p) => permissionView(p.user, p.vhost, p));
  return ok(listReply(req, rows, { view: (x) => x, paginate: false }));
}

function findPermission(req: Request, ctx: MgmtContext) {
  const u = ctx.broker.users.users.get(param(req, 'user'));
  const p = u?.permissions.get(param(req, 'vhost'));
  if (u === undefined || p === undefined) throw objectNotFound();
  return permissionView(u.name, param(req, 'vhost'), p);
}

async function putPermission(req: Request, ctx: MgmtContext) {
  const vhost = param(req, 'vhost');
  const user = param(req, 'user');
  // RabbitMQ looks the user and vhost up before it reads the body
  if (!ctx.broker.vhosts.has(vhost) || !ctx.broker.users.users.has(user)) throw badRequest('vhost_or_user_not_found');
  const body = await req.json();
  requireKeys(body, ['configure', 'write', 'read']);
  const existed = ctx.broker.users.users.get(user)?.permissions.has(vhost) ?? false;
  ctx.broker.admin.setPermissions(user, vhost, { configure: String(body.configure), write: String(body.write), read: String(body.read) });
  await ctx.broker.admin.durable();
  return created(!existed);
}

async function deletePermission(req: Request, ctx: MgmtContext) {
  findPermission(req, ctx);
  ctx.broker.admin.clearPermissions(param(req, 'user'), param(req, 'vhost'));
  await ctx.broker.admin.durable();
  return noContent();
}

// --- topic permissions ------------------------------------------------------------------------

function topicPermissionList(req: Request, ctx: MgmtContext, filter: { vhost?: string; user?: string }) {
  const rows = ctx.broker.admin.topicPermissions(filter).map((t) => ({ exchange: t.exchange, read: t.read, user: t.user, vhost: t.vhost, write: t.write }));
  return ok(listReply(req, rows, { view: (x) => x, paginate: false }));
}

async function putTopicPermission(req: Request, ctx: MgmtContext) {
  const vhost = param(req, 'vhost');
  const user = param(req, 'user');
  if (!ctx.broker.vhosts.has(vhost) || !ctx.broker.users.users.has(user)) throw badRequest('vhost_or_user_not_found');
  const body = await req.json();
  requireKeys(body, ['exchange', 'write', 'read']);
  const existed = ctx.broker.admin.topicPermissions({ vhost, user }).some((t) => t.exchange === body.exchange);
  ctx.broker.admin.setTopicPermissions(user, vhost, { exchange: String(body.exchange), write: String(body.write), read: String(body.read) });
  await ctx.broker.admin.durable();
  return created(!existed);
}

async function deleteTopicPermission(req: Request, ctx: MgmtContext) {
  const vhost = param(req, 'vhost');
  const user = param(req, 'user');
  const exchange = req.params.exchange;
  const present = ctx.broker.admin.topicPermissions({ vhost, user }).some((t) => exchange === undefined || t.exchange === exchange);
  if (!present) throw objectNotFound();
  ctx.broker.admin.clearTopicPermissions(user, vhost, exchange);
  await ctx.broker.admin.durable();
  return noContent();
}

const userParam = (req: Request): { user: string } => ({ user: param(req, 'user') });
const vhostParam = (req: Request): { vhost: string } => ({ vhost: param(req, 'vhost') });

export const accessRoutes: Route[] = [
  route('/api/whoami', { GET: { auth: 'any', handle: (req) => ok({ name: req.principal.user.name, tags: [...req.principal.user.tags] }) } }),
  route('/api/users', { GET: { auth: 'admin', handle: (req, ctx) => listUsers(req, ctx, false) } }),
  route('/api/users/without-permissions', { GET: { auth: 'admin', handle: (req, ctx) => listUsers(req, ctx, true) } }),
  route('/api/users/bulk-delete', { POST: { auth: 'admin', handle: bulkDelete } }),
  route('/api/users/:user', {
    GET: { auth: 'admin', handle: (req, ctx) => ok(objectReply(req, userView(findUser(req, ctx)))) },
    PUT: { auth: 'admin', handle: putUser },
    DELETE: { auth: 'admin', handle: deleteUser },
  }),
  route('/api/users/:user/permissions', { GET: { auth: 'admin', handle: (req, ctx) => (findUser(req, ctx), permissionList(req, ctx, userParam(req))) } }),
  route('/api/users/:user/topic-permissions', { GET: { auth: 'admin', handle: (req, ctx) => (findUser(req, ctx), topicPermissionList(req, ctx, userParam(req))) } }),
  route('/api/vhosts', { GET: { auth: 'any', handle: listVhosts } }),
  route('/api/vhosts/:vhost', {
    // RabbitMQ 3.10 shows a single vhost to administrators only (the list is for everyone)
    GET: { auth: 'admin', handle: (req, ctx) => ok(objectReply(req, vhostView(ctx, pathVhost(req, ctx)))) },
    PUT: { auth: 'admin', handle: putVhost },
    DELETE: { auth: 'admin', handle: deleteVhost },
  }),
  route('/api/vhosts/:vhost/permissions', { GET: { auth: 'admin', handle: (req, ctx) => (pathVhost(req, ctx), permissionList(req, ctx, vhostParam(req))) } }),
  route('/api/vhosts/:vhost/topic-permissions', { GET: { auth: 'admin', handle: (req, ctx) => (pathVhost(req, ctx), topicPermissionList(req, ctx, vhostParam(req))) } }),
  route('/api/permissions', { GET: { auth: 'admin', handle: (req, ctx) => permissionList(req, ctx, {}) } }),
  route('/api/permissions/:vhost/:user', {
    GET: { auth: 'admin', handle: (req, ctx) => ok(objectReply(req, findPermission(req, ctx))) },
    PUT: { auth: 'admin', handle: putPermission },
    DELETE: { auth: 'admin', handle: deletePermission },
  }),
  route('/api/topic-permissions', { GET: { auth: 'admin', handle: (req, ctx) => topicPermissionList(req, ctx, {}) } }),
  route('/api/topic-permissions/:vhost/:user', {
    GET: {
      auth: 'admin',
      handle: (req, ctx) => {
        // none set: the resource does not exist
        if (ctx.broker.admin.topicPermissions({ vhost: param(req, 'vhost'), user: param(req, 'user') }).length === 0) throw objectNotFound();
        return topicPermissionList(req, ctx, { vhost: param(req, 'vhost'), user: param(req, 'user') });
      },
    },
    PUT: { auth: 'admin', handle: putTopicPermission },
    DELETE: { auth: 'admin', handle: deleteTopicPermission },
  }),
];
