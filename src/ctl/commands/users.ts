// User commands: add_user, delete_user, change_password, clear_password, authenticate_user,
// set_user_tags, list_users — through /api/users and /api/warren/authenticate.
import { ApiError, seg } from '../client.js';
import type { Command } from '../command.js';
import { apiCall, type Context, unexpected } from '../context.js';
import { badArgument, CtlError, ExitCode, noSuchUserTuple, operationError } from '../errors.js';
import { sortedJson } from '../format.js';

/** GET /api/users/{name} */
interface ApiUser {
  name: string;
  password_hash?: string;
  hashing_algorithm?: string;
  /** a list since RabbitMQ 3.9; a comma-separated string before */
  tags?: string[] | string;
}

function userTags(u: ApiUser): string[] {
  if (Array.isArray(u.tags)) return u.tags;
  return (u.tags ?? '').split(',').filter((t) => t !== '');
}

/** rabbitmqctl's usual "no such user" (exit 67); `quoted` as most commands print it. */
export function noSuchUser(name: string, quoted = true): CtlError {
  return operationError(ExitCode.noUser, quoted ? `User "${name}" does not exist` : `User ${name} does not exist`);
}

/** The user, or undefined when it does not exist. */
export async function findUser(ctx: Context, name: string): Promise<ApiUser | undefined> {
  try {
    return await ctx.api.get<ApiUser>(`/api/users/${seg(name)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw unexpected(e);
  }
}

/**
 * Rewrites a user with PUT /api/users/{name}. RabbitMQ's PUT clears the password unless one is
 * given, so callers that keep it pass the current hash.
 */
async function putUser(ctx: Context, name: string, body: Record<string, unknown>): Promise<void> {
  await apiCall(ctx.api.send('PUT', `/api/users/${seg(name)}`, { body }));
}

function keepPassword(u: ApiUser): Record<string, unknown> {
  const body: Record<string, unknown> = { password_hash: u.password_hash ?? '' };
  if (u.hashing_algorithm) body.hashing_algorithm = u.hashing_algorithm;
  return body;
}

/**
 * add_user with one argument reads the password from standard input. rabbitmqctl prompts on
 * stdout (unless -q) even when stdin is not a terminal, and takes the first line.
 */
async function passwordFromStdin(ctx: Context): Promise<string | undefined> {
  if (!ctx.quiet && !ctx.opts.json) ctx.print('Password: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  return text.split(/\r?\n/)[0];
}

const DONT_FORGET =
  "Done. Don't forget to grant the user permissions to some virtual hosts! See 'rabbitmqctl help set_permissions' to learn more.";

export const userCommands: Command[] = [
  {
    name: 'add_user',
    usage: '<username> <password>',
    description: 'Adds a user with a password; it gets no tags and no permissions on any vhost',
    argHelp: [
      ['<username>', "the new user's name"],
      ['<password>', 'its password; read from standard input when left out; an empty one means no password login'],
    ],
    minArgs: 1,
    maxArgs: 2,
    requires: 'running',
    validate(args) {
      if (args[0] === '') throw badArgument('user cannot be an empty string');
    },
    banner: (args) => `Adding user "${args[0]}" ...`,
    async run(args, ctx) {
      const name = args[0] ?? '';
      const password = args.length > 1 ? args[1] : await passwordFromStdin(ctx);
      if (password === undefined) throw operationError(ExitCode.dataErr, 'Password is not provided via argument or stdin');
      if ((await findUser(ctx, name)) !== undefined) throw operationError(ExitCode.software, `User "${name}" already exists`);
      await putUser(ctx, name, { password, tags: '' });
      if (ctx.opts.json) ctx.print(sortedJson({ message: DONT_FORGET, node: await ctx.nodeName(), status: 'ok' }));
      else if (!ctx.quiet) ctx.print(DONT_FORGET);
    },
  },
  {
    name: 'delete_user',
    usage: '<username>',
    description: 'Deletes a user, with its permissions; its open connections are closed',
    argHelp: [['<username>', 'the user to delete']],
    minArgs: 1,
    maxArgs: 1,
    requires: 'running',
    banner: (args) => `Deleting user "${args[0]}" ...`,
    async run(args, ctx) {
      const name = args[0] ?? '';
      await apiCall(ctx.api.send('DELETE', `/api/users/${seg(name)}`), () => noSuchUser(name));
    },
  },
  {
    name: 'change_password',
    usage: '<username> <password>',
    description: "Sets a user's password",
    argHelp: [
      ['<username>', 'the user'],
      ['<password>', 'the new password'],
    ],
    minArgs: 2,
    maxArgs: 2,
    requires: 'running',
    banner: (args) => `Changing password for user "${args[0]}" ...`,
    async run(args, ctx) {
      const name = args[0] ?? '';
      const u = await findUser(ctx, name);
      if (u === undefined) throw noSuchUser(name);
      await putUser(ctx, u.name, { password: args[1], tags: userTags(u).join(',') });
    },
  },
  {
    name: 'clear_password',
    usage: '<username>',
    description: "Removes a user's password, so it can no longer log in with one",
    argHelp: [['<username>', 'the user']],
    minArgs: 1,
    maxArgs: 1,
    requires: 'running',
    banner: (args) => `Clearing password for user "${args[0]}" ...`,
    async run(args, ctx) {
      const name = args[0] ?? '';
      const u = await findUser(ctx, name);
      if (u === undefined) throw noSuchUserTuple(name);
      await putUser(ctx, u.name, { password_hash: '', tags: userTags(u).join(',') });
    },
  },
  {
    name: 'authenticate_user',
    usage: '<username> <password>',
    description: 'Checks a user name and password; exits with 65 when they do not match',
    argHelp: [
      ['<username>', 'the user'],
      ['<password>', 'the password to check'],
    ],
    minArgs: 2,
    maxArgs: 2,
    requires: 'running',
    banner: (args) => `Authenticating user "${args[0]}" ...`,
    async run(args, ctx) {
      const [name, password] = [args[0] ?? '', args[1] ?? ''];
      if (!(await authenticates(ctx, name, password))) {
        throw operationError(ExitCode.dataErr, `Error: failed to authenticate user "${name}"\nuser '${name}' - invalid credentials`);
      }
      ctx.message('Success');
    },
  },
  {
    name: 'set_user_tags',
    usage: '<username> <tag> [...]',
    description: "Replaces a user's tags (administrator, monitoring, policymaker, management, impersonator, or any other)",
    argHelp: [
      ['<username>', 'the user'],
      ['<tag>', 'zero or more tags; none removes all tags'],
    ],
    minArgs: 1,
    maxArgs: Infinity,
    requires: 'running',
    banner: (args) => `Setting tags for user "${args[0]}" to [${args.slice(1).join(', ')}] ...`,
    async run(args, ctx) {
      const name = args[0] ?? '';
      const u = await findUser(ctx, name);
      if (u === undefined) throw noSuchUser(name);
      await putUser(ctx, u.name, { ...keepPassword(u), tags: args.slice(1).join(',') });
    },
  },
  {
    name: 'list_users',
    usage: '[--no-table-headers] [--timeout <timeout>]',
    description: 'Lists users and their tags',
    minArgs: 0,
    maxArgs: 0,
    requires: 'running',
    banner: () => 'Listing users ...',
    async run(_args, ctx) {
      const users = await apiCall(ctx.api.get<ApiUser[]>('/api/users'));
      ctx.list(
        ['user', 'tags'],
        users.map((u) => ({ user: u.name, tags: userTags(u) })),
        'list',
      );
    },
  },
];

/**
 * Checks a password with Warren's GET /api/warren/authenticate (basic auth, tags do not matter).
 * A RabbitMQ has no such endpoint: there GET /api/whoami serves, where a user without management
 * tags is refused with "Not management user" only after its password was accepted.
 */
async function authenticates(ctx: Context, name: string, password: string): Promise<boolean> {
  const auth = `Basic ${Buffer.from(`${name}:${password}`, 'utf8').toString('base64')}`;
  const res = await ctx.api.request('GET', '/api/warren/authenticate', { authorization: auth });
  if (res.status !== 404) return res.status === 200;
  const who = await ctx.api.request('GET', '/api/whoami', { authorization: auth });
  if (who.status === 200) return true;
  const reason = who.body && typeof who.body === 'object' ? String((who.body as Record<string, unknown>).reason ?? '') : '';
  return who.status === 401 && /not management user/i.test(reason);
}
