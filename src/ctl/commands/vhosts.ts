// Virtual host commands: add_vhost, delete_vhost, list_vhosts — through /api/vhosts.
import { ApiError, seg } from '../client.js';
import type { Command } from '../command.js';
import { apiCall, type Context, unexpected } from '../context.js';
import { badArgument, CtlError, ExitCode } from '../errors.js';
import { NodeStates } from '../format.js';
import { checkColumns } from './columns.js';

/** GET /api/vhosts */
interface ApiVhost {
  name: string;
  description?: string;
  tags?: string[] | string;
  tracing?: boolean;
  default_queue_type?: string;
  cluster_state?: Record<string, unknown>;
}

/** Whether the vhost exists. */
export async function vhostExists(ctx: Context, name: string): Promise<boolean> {
  try {
    await ctx.api.get<ApiVhost>(`/api/vhosts/${seg(name)}`);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return false;
    throw unexpected(e);
  }
}

/** How delete_vhost and list_permissions report a missing vhost: a bare line, exit 65. */
export function vhostDoesNotExist(name: string): CtlError {
  return new CtlError(ExitCode.dataErr, `Virtual host '${name}' does not exist`);
}

const VHOST_COLUMNS: Record<string, (v: ApiVhost) => unknown> = {
  name: (v) => v.name,
  description: (v) => v.description ?? '',
  tags: (v) => (Array.isArray(v.tags) ? v.tags : (v.tags ?? '').split(',').filter((t) => t !== '')),
  tracing: (v) => v.tracing ?? false,
  cluster_state: (v) => new NodeStates(v.cluster_state ?? {}),
  default_queue_type: (v) => v.default_queue_type ?? 'undefined',
};

export const vhostCommands: Command[] = [
  {
    name: 'add_vhost',
    usage: '<vhost> [--description <description> --tags "<tag1>,<tag2>,<...>" --default-queue-type <quorum|classic|stream>]',
    description: 'Adds a virtual host (nothing happens if it exists)',
    argHelp: [
      ['<vhost>', 'the name of the new vhost'],
      ['--description <description>', 'free text shown in listings'],
      ['--tags <tags>', 'comma-separated tags'],
      ['--default-queue-type <quorum|classic|stream>', 'recorded with the vhost (Warren\'s queues are classic)'],
    ],
    minArgs: 1,
    maxArgs: 1,
    options: ['description', 'tags', 'default-queue-type'],
    requires: 'running',
    validate(args) {
      // RabbitMQ creates a vhost named "", which then cannot be addressed in its HTTP API; refuse it
      if (args[0] === '') throw badArgument('vhost cannot be an empty string');
    },
    banner: (args) => `Adding vhost "${args[0]}" ...`,
    async run(args, ctx) {
      const f = ctx.opts.flags;
      const body: Record<string, unknown> = {};
      if (typeof f.description === 'string') body.description = f.description;
      if (typeof f.tags === 'string') body.tags = f.tags;
      if (typeof f['default-queue-type'] === 'string') body.default_queue_type = f['default-queue-type'];
      // adding a vhost that exists succeeds, as in rabbitmqctl
      await apiCall(ctx.api.send('PUT', `/api/vhosts/${seg(args[0] ?? '')}`, { body }));
    },
  },
  {
    name: 'delete_vhost',
    usage: '<vhost>',
    description: 'Deletes a virtual host with its queues, exchanges, bindings and permissions',
    argHelp: [['<vhost>', 'the vhost to delete']],
    minArgs: 1,
    maxArgs: 1,
    requires: 'running',
    banner: (args) => `Deleting vhost "${args[0]}" ...`,
    async run(args, ctx) {
      const name = args[0] ?? '';
      await apiCall(ctx.api.send('DELETE', `/api/vhosts/${seg(name)}`), () => vhostDoesNotExist(name));
    },
  },
  {
    name: 'list_vhosts',
    usage: '[--no-table-headers] [<column> ...] [--timeout <timeout>]',
    description: 'Lists the virtual hosts',
    argHelp: [['<column>', `must be one of ${Object.keys(VHOST_COLUMNS).sort().join(', ')}`]],
    minArgs: 0,
    maxArgs: Infinity,
    requires: 'running',
    validate: (args) => void checkColumns(args, Object.keys(VHOST_COLUMNS)),
    banner: () => 'Listing vhosts ...',
    async run(args, ctx) {
      const columns = checkColumns(args.length > 0 ? args : ['name'], Object.keys(VHOST_COLUMNS));
      const vhosts = await apiCall(ctx.api.get<ApiVhost[]>('/api/vhosts'));
      ctx.list(
        columns,
        vhosts.map((v) => Object.fromEntries(columns.map((c) => [c, VHOST_COLUMNS[c]?.(v)]))),
        'list',
      );
    },
  },
];
