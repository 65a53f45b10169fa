// Users, permissions and topic permissions in RabbitMQ's definitions format (what
// `rabbitmqctl export_definitions` and GET /api/definitions write), both ways. Input is read
// defensively, since it may come from an HTTP request: a malformed entry is a DefinitionsError
// naming what is wrong, never a crash or a half-built user.
import { DEFAULT_HASHING, type HashingAlgorithm, isHashingAlgorithm, type Permission, type TopicPermission, type User, type UserStore } from './users.js';
import type { DefinitionsFile } from '../store/definitions.js';

export class DefinitionsError extends Error {}

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The entries of a definitions list (absent = none); each must be an object. */
export function objects(list: unknown, what: string): JsonObject[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new DefinitionsError(`'${what}' must be a list`);
  for (const e of list) if (!isObject(e)) throw new DefinitionsError(`every entry of '${what}' must be an object`);
  return list as JsonObject[];
}

/** A required string field. */
export function field(o: JsonObject, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new DefinitionsError(`${what}: '${key}' must be a string`);
  return v;
}

/** Tags as RabbitMQ accepts them in definitions: a list, or one comma-separated string. */
export function parseTags(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  const raw = typeof v === 'string' ? v.split(',') : Array.isArray(v) && v.every((t) => typeof t === 'string') ? (v as string[]) : null;
  if (raw === null) throw new DefinitionsError(`${what}: 'tags' must be a list of strings or a comma-separated string`);
  const out: string[] = [];
  for (const t of raw) {
    const tag = t.trim();
    if (tag !== '' && !out.includes(tag)) out.push(tag);
  }
  return out;
}

/**
 * The hashing algorithm of an imported user: as named, or, when the file predates the field,
 * what RabbitMQ assumes for the file's rabbit_version (MD5 before 3.6.0, SHA-256 after).
 */
function hashingAlgorithm(v: unknown, rabbitVersion: string | undefined, what: string): HashingAlgorithm {
  if (v === undefined || v === null) {
    return rabbitVersion !== undefined && /^(?:2\.|3\.[1-5]\.)/.test(rabbitVersion) ? 'rabbit_password_hashing_md5' : DEFAULT_HASHING;
  }
  if (typeof v !== 'string' || !isHashingAlgorithm(v)) throw new DefinitionsError(`${what}: unsupported hashing_algorithm ${JSON.stringify(v)}`);
  return v;
}

/** The users, permissions and topic permissions of a definitions file, checked and ready to apply. */
export interface UserDefinitions {
  users: User[];
  permissions: { user: string; vhost: string; perm: Permission }[];
  topicPermissions: { user: string; vhost: string; tp: TopicPermission }[];
}

export interface ParseContext {
  /** the file's rabbit_version (decides the hashing algorithm of users without one) */
  rabbitVersion: string | undefined;
  hash: (password: string) => string;
  /** does the user exist already (users of the file itself count too) */
  userExists: (name: string) => boolean;
  /** does the vhost exist already, or is it in the file */
  vhostExists: (name: string) => boolean;
  validPattern: (pattern: string) => boolean;
}

/**
 * Reads and checks the users, permissions and topic permissions of a definitions file without
 * changing anything, so that a file with a bad entry changes nothing. A permission must name a
 * user and a vhost that exist or come with the file, as RabbitMQ's import requires.
 */
export function parseUserDefinitions(d: JsonObject, ctx: ParseContext): UserDefinitions {
  const users: User[] = [];
  for (const u of objects(d.users, 'users')) {
    const name = field(u, 'name', 'user');
    const what = `user '${name}'`;
    let passwordHash = '';
    let algorithm = hashingAlgorithm(u.hashing_algorithm, ctx.rabbitVersion, what);
    if (u.password !== undefined && u.password_hash !== undefined) throw new DefinitionsError(`${what}: both password and password_hash are provided`);
    if (u.password !== undefined) {
      passwordHash = ctx.hash(field(u, 'password', what));
      algorithm = DEFAULT_HASHING;
    } else if (u.password_hash !== undefined) {
      passwordHash = field(u, 'password_hash', what);
    }
    const limits = isObject(u.limits) ? u.limits : undefined;
    users.push({ name, passwordHash, hashingAlgorithm: algorithm, tags: parseTags(u.tags, what), permissions: new Map(), limits });
  }
  const inFile = new Set(users.map((u) => u.name));
  const check = (user: string, vhost: string, what: string): void => {
    if (!inFile.has(user) && !ctx.userExists(user)) throw new DefinitionsError(`${what}: no such user '${user}'`);
    if (!ctx.vhostExists(vhost)) throw new DefinitionsError(`${what}: no such vhost '${vhost}'`);
  };
  const permissions = objects(d.permissions, 'permissions').map((p) => {
    const user = field(p, 'user', 'permission');
    const vhost = field(p, 'vhost', `permission of user '${user}'`);
    const what = `permission of user '${user}' in vhost '${vhost}'`;
    const perm: Permission = { configure: field(p, 'configure', what), write: field(p, 'write', what), read: field(p, 'read', what) };
    check(user, vhost, what);
    for (const k of ['configure', 'write', 'read'] as const) if (!ctx.validPattern(perm[k])) throw new DefinitionsError(`${what}: invalid ${k} regex '${perm[k]}'`);
    return { user, vhost, perm };
  });
  const topicPermissions = objects(d.topic_permissions, 'topic_permissions').map((p) => {
    const user = field(p, 'user', 'topic permission');
    const vhost = field(p, 'vhost', `topic permission of user '${user}'`);
    const what = `topic permission of user '${user}' in vhost '${vhost}'`;
    const tp: TopicPermission = { exchange: field(p, 'exchange', what), write: field(p, 'write', what), read: field(p, 'read', what) };
    check(user, vhost, what);
    for (const k of ['write', 'read'] as const) if (!ctx.validPattern(tp[k])) throw new DefinitionsError(`${what}: invalid ${k} regex '${tp[k]}'`);
    return { user, vhost, tp };
  });
  return { users, permissions, topicPermissions };
}

/**
 * Applies parsed user definitions (their vhosts must exist by now). A user that exists gets the
 * file's password hash, algorithm and tags and keeps its permissions (RabbitMQ's put_user).
 */
export function applyUserDefinitions(store: UserStore, d: UserDefinitions): void {
  for (const p of d.users) {
    const existing = store.users.get(p.name);
    if (existing === undefined) {
      store.users.set(p.name, p);
      continue;
    }
    existing.passwordHash = p.passwordHash;
    existing.hashingAlgorithm = p.hashingAlgorithm;
    existing.tags = p.tags;
    if (p.limits !== undefined) existing.limits = p.limits;
  }
  for (const e of d.permissions) store.users.get(e.user)?.permissions.set(e.vhost, e.perm);
  for (const e of d.topicPermissions) {
    const u = store.users.get(e.user);
    if (u === undefined) continue;
    u.topicPermissions ??= new Map();
    const kept = (u.topicPermissions.get(e.vhost) ?? []).filter((t) => t.exchange !== e.tp.exchange);
    kept.push(e.tp);
    u.topicPermissions.set(e.vhost, kept);
  }
}

type ExportedUsers = Required<Pick<DefinitionsFile, 'users' | 'permissions'>> & { topic_permissions: JsonObject[] };

/** The users, permissions and topic permissions sections of an export, in RabbitMQ's field order. */
export function exportUsers(store: UserStore): ExportedUsers {
  const out: ExportedUsers = { users: [], permissions: [], topic_permissions: [] };
  for (const u of store.users.values()) {
    out.users.push({ name: u.name, password_hash: u.passwordHash, hashing_algorithm: u.hashingAlgorithm ?? DEFAULT_HASHING, tags: [...u.tags], limits: u.limits ?? {} });
    for (const [vhost, p] of u.permissions) out.permissions.push({ user: u.name, vhost, configure: p.configure, write: p.write, read: p.read });
    for (const [vhost, list] of u.topicPermissions ?? []) {
      for (const t of list) out.topic_permissions.push({ user: u.name, vhost, exchange: t.exchange, write: t.write, read: t.read });
    }
  }
  return out;
}
