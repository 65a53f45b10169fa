// Permission commands: set_permissions, clear_permissions, list_permissions,
// list_user_permissions — through /api/permissions, /api/vhosts/{v}/permissions and
// /api/users/{u}/permissions.
import { ApiError, seg } from '../client.js';
import type { Command } from '../command.js';
import { apiCall, type Context, unexpected } from '../context.js';
import { ExitCode, noSuchUserTuple, operationError } from '../errors.js';
import { findUser, noSuchUser } from './users.js';
import { vhostDoesNotExist, vhostExists } from './vhosts.js';

/** GET /api/permissions… (a type literal, so it can be a table Row) */
type ApiPermission = {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
};

/**
 * set_permissions and clear_permissions check the user first (exit 67), then the vhost, whose
 * absence rabbitmqctl reports with exit 69; both without quotes around the names.
 */
async function requireUserAndVhost(ctx: Context, user: string, vhost: string): Promise<void> {
  if ((await findUser(ctx, user)) === undefined) throw noSuchUser(user, false);
  if (!(await vhostExists(ctx, vhost))) throw operationError(ExitCode.unavailable, `Virtual host ${vhost} does not exist`);
}

export const permissionCommands: Command[] = [
  {
    name: 'set_permissions',
    usage: '[--vhost <vhost>] <username> <conf> <write> <read>',
    description: "Grants a user configure, write and read permissions (regular expressions) on a vhost",
    argHelp: [
      ['<username>', 'the user'],
      ['<conf>', 'regular expression of the resources it may declare and delete'],
      ['<write>', 'regular expression of the resources it may publish to or bind to'],
      ['<read>', 'regular expression of the resources it may consume from or bind from'],
    ],
    minArgs: 4,
    maxArgs: 4,
    requires: 'running',
    banner: (args, ctx) => `Setting permissions for user "${args[0]}" in vhost "${ctx.opts.vhost}" ...`,
    async run(args, ctx) {
      const [user, configure, write, read] = args as [string, string, string, string];
      const vhost = ctx.opts.vhost;
      await requireUserAndVhost(ctx, user, vhost);
      await apiCall(ctx.api.send('PUT', `/api/permissions/${seg(vhost)}/${seg(user)}`, { body: { configure, write, read } }));
    },
  },
  {
    name: 'clear_permissions',
    usage: '[--vhost <vhost>] <username>',
    description: "Removes a user's permissions on a vhost",
    argHelp: [['<username>', 'the user']],
    minArgs: 1,
    maxArgs: 1,
    requires: 'running',
    banner: (args, ctx) => `Clearing permissions for user "${args[0]}" in vhost "${ctx.opts.vhost}" ...`,
    async run(args, ctx) {
      const user = args[0] ?? '';
      const vhost = ctx.opts.vhost;
      await requireUserAndVhost(ctx, user, vhost);
      try {
        await ctx.api.send('DELETE', `/api/permissions/${seg(vhost)}/${seg(user)}`);
      } catch (e) {
        // no permissions to clear is not an error for rabbitmqctl
        if (e instanceof ApiError && e.status === 404) return;
        throw unexpected(e);
      }
    },
  },
  {
    name: 'list_permissions',
    usage: '[--vhost <vhost>] [--no-table-headers] [--timeout <timeout>]',
    description: "Lists the users' permissions on a vhost",
    minArgs: 0,
    maxArgs: 0,
    requires: 'running',
    banner: (_args, ctx) => `Listing permissions for vhost "${ctx.opts.vhost}" ...`,
    async run(_args, ctx) {
      const vhost = ctx.opts.vhost;
      const perms = await apiCall(ctx.api.get<ApiPermission[]>(`/api/vhosts/${seg(vhost)}/permissions`), () => vhostDoesNotExist(vhost));
      ctx.list(['user', 'configure', 'write', 'read'], sortBy(perms, 'user'), 'list');
    },
  },
  {
    name: 'list_user_permissions',
    usage: '[--no-table-headers] <username> [--timeout <timeout>]',
    description: "Lists a user's permissions on every vhost",
    argHelp: [['<username>', 'the user']],
    minArgs: 1,
    maxArgs: 1,
    requires: 'running',
    banner: (args) => `Listing permissions for user "${args[0]}" ...`,
    async run(args, ctx) {
      const user = args[0] ?? '';
      const perms = await apiCall(ctx.api.get<ApiPermission[]>(`/api/users/${seg(user)}/permissions`), () => noSuchUserTuple(user));
      ctx.list(['vhost', 'configure', 'write', 'read'], sortBy(perms, 'vhost'), 'list');
    },
  },
];

function sortBy(perms: ApiPermission[], key: 'user' | 'vhost'): ApiPermission[] {
  return [...perms].sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0));
}
