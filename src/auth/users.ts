// Where users live. For now the broker boots with one default user (guest/guest, tag
// administrator, full permissions on the default vhost); the access-control work extends this
// store (add/delete users, tags, per-vhost permissions) without changing its callers.
// Passwords are kept as RabbitMQ's rabbit_password_hashing_sha256 hashes:
// base64(salt(4 bytes) ‖ sha256(salt ‖ utf8(password))).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Permission {
  configure: string;
  write: string;
  read: string;
}

export interface User {
  name: string;
  passwordHash: string;
  tags: string[];
  /** vhost name → permission regexes */
  permissions: Map<string, Permission>;
}

export function hashPassword(password: string, salt: Buffer = randomBytes(4)): string {
  const digest = createHash('sha256').update(salt).update(password, 'utf8').digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

export function checkPassword(password: string, passwordHash: string): boolean {
  const raw = Buffer.from(passwordHash, 'base64');
  if (raw.length !== 36) return false;
  const expected = Buffer.from(hashPassword(password, raw.subarray(0, 4)), 'base64');
  return timingSafeEqual(raw, expected);
}

export class UserStore {
  readonly users = new Map<string, User>();

  add(name: string, password: string, tags: string[] = []): User {
    const u: User = { name, passwordHash: hashPassword(password), tags, permissions: new Map() };
    this.users.set(name, u);
    return u;
  }

  setPermissions(user: string, vhost: string, p: Permission): void {
    this.users.get(user)?.permissions.set(vhost, p);
  }

  /** The user if the password matches, otherwise undefined. */
  authenticate(name: string, password: string): User | undefined {
    const u = this.users.get(name);
    if (!u) return undefined;
    return checkPassword(password, u.passwordHash) ? u : undefined;
  }

  /** Whether the user has any permissions on the vhost (RabbitMQ's check at connection.open). */
  canAccessVhost(u: User, vhost: string): boolean {
    return u.permissions.has(vhost);
  }
}
