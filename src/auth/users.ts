// Where users live: name, password hash, tags and per-vhost permissions, as RabbitMQ's internal
// auth backend keeps them. Passwords are salted hashes in RabbitMQ's format,
// base64(salt(4 bytes) ‖ H(salt ‖ utf8(password))), with H named by the user's hashing algorithm
// (rabbit_password_hashing_sha256 by default; sha512 and the pre-3.6 md5 are read from imported
// definitions), so hashes move between Warren and RabbitMQ in definitions files unchanged.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Permission {
  configure: string;
  write: string;
  read: string;
}

/** Topic permissions of a user on one topic exchange of a vhost (RabbitMQ's set_topic_permissions). */
export interface TopicPermission {
  exchange: string;
  write: string;
  read: string;
}

export const HASHING_ALGORITHMS = {
  rabbit_password_hashing_sha256: 'sha256',
  rabbit_password_hashing_sha512: 'sha512',
  rabbit_password_hashing_md5: 'md5',
} as const;
export type HashingAlgorithm = keyof typeof HASHING_ALGORITHMS;
export const DEFAULT_HASHING: HashingAlgorithm = 'rabbit_password_hashing_sha256';

export function isHashingAlgorithm(name: string): name is HashingAlgorithm {
  return Object.hasOwn(HASHING_ALGORITHMS, name);
}

export interface User {
  name: string;
  /** base64(salt ‖ hash); '' when the password was cleared (no password login possible) */
  passwordHash: string;
  hashingAlgorithm?: HashingAlgorithm;
  tags: string[];
  /** vhost name → permission regexes */
  permissions: Map<string, Permission>;
  /** vhost name → topic permissions per exchange */
  topicPermissions?: Map<string, TopicPermission[]>;
  /** per-user limits as RabbitMQ exports them (max-connections, max-channels); kept, not enforced */
  limits?: Record<string, unknown>;
}

/** RabbitMQ's salt is 4 random bytes. */
const SALT_BYTES = 4;

export function hashPassword(password: string, salt: Buffer = randomBytes(SALT_BYTES), algorithm: HashingAlgorithm = DEFAULT_HASHING): string {
  const digest = createHash(HASHING_ALGORITHMS[algorithm]).update(salt).update(password, 'utf8').digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

/** Does the password match the hash? A cleared ('') or malformed hash matches nothing. */
export function checkPassword(password: string, passwordHash: string, algorithm: HashingAlgorithm = DEFAULT_HASHING): boolean {
  const raw = Buffer.from(passwordHash, 'base64');
  if (raw.length <= SALT_BYTES) return false;
  const expected = Buffer.from(hashPassword(password, raw.subarray(0, SALT_BYTES), algorithm), 'base64');
  return raw.length === expected.length && timingSafeEqual(raw, expected);
}

/** The outcome of a password login; a refusal carries the reason RabbitMQ logs. */
export type LoginResult = { ok: true; user: User } | { ok: false; reason: string };

export class UserStore {
  readonly users = new Map<string, User>();

  add(name: string, password: string, tags: string[] = []): User {
    const u: User = { name, passwordHash: hashPassword(password), hashingAlgorithm: DEFAULT_HASHING, tags, permissions: new Map() };
    this.users.set(name, u);
    return u;
  }

  setPermissions(user: string, vhost: string, p: Permission): void {
    this.users.get(user)?.permissions.set(vhost, p);
  }

  /**
   * Password login as RabbitMQ's internal backend does it: a blank password is always refused,
   * and an unknown user is refused with the same words as a wrong password.
   */
  login(name: string, password: string): LoginResult {
    if (password === '') {
      return { ok: false, reason: `user '${name}' attempted to log in with a blank password, which is prohibited by the internal authN backend.` };
    }
    const u = this.users.get(name);
    if (u !== undefined && checkPassword(password, u.passwordHash, u.hashingAlgorithm)) return { ok: true, user: u };
    return { ok: false, reason: `user '${name}' - invalid credentials` };
  }

  /** The user if the password matches, otherwise undefined. */
  authenticate(name: string, password: string): User | undefined {
    const r = this.login(name, password);
    return r.ok ? r.user : undefined;
  }

  /** Whether the user has any permissions on the vhost (RabbitMQ's check at connection.open). */
  canAccessVhost(u: User, vhost: string): boolean {
    return u.permissions.has(vhost);
  }
}
