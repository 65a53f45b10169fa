// Every warrenctl subcommand, and the sections `warrenctl help` lists them in (rabbitmqctl's).
import type { Command } from '../command.js';
import { definitionCommands } from './definitions.js';
import { listCommands } from './lists.js';
import { nodeCommands } from './node.js';
import { permissionCommands } from './permissions.js';
import { policyCommandList } from './policies.js';
import { queueCommands } from './queues.js';
import { userCommands } from './users.js';
import { vhostCommands } from './vhosts.js';

export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [...userCommands, ...permissionCommands, ...vhostCommands, ...listCommands, ...queueCommands, ...nodeCommands, ...definitionCommands, ...policyCommandList].map(
    (c) => [c.name, c] as const,
  ),
);

const SECTION_NAMES: readonly (readonly [string, readonly string[]])[] = [
  ['Nodes', ['await_startup', 'reset', 'start_app', 'stop', 'stop_app']],
  ['Users', ['add_user', 'authenticate_user', 'change_password', 'clear_password', 'delete_user', 'list_users', 'set_user_tags']],
  ['Access Control', ['clear_permissions', 'list_permissions', 'list_user_permissions', 'list_vhosts', 'set_permissions']],
  ['Monitoring, observability and health checks', ['list_bindings', 'list_channels', 'list_connections', 'list_consumers', 'list_exchanges', 'list_queues', 'status']],
  ['Virtual hosts', ['add_vhost', 'delete_vhost']],
  ['Definitions', ['export_definitions', 'import_definitions']],
  ['Operations', ['close_connection']],
  ['Queues', ['delete_queue', 'purge_queue']],
  ['Policies', ['clear_operator_policy', 'clear_policy', 'list_operator_policies', 'list_policies', 'set_operator_policy', 'set_policy']],
];

export const SECTIONS: readonly { title: string; commands: readonly Command[] }[] = SECTION_NAMES.map(([title, names]) => ({
  title,
  commands: names.map((n) => {
    const c = COMMANDS.get(n);
    if (!c) throw new Error(`help section ${title} names an unknown command ${n}`);
    return c;
  }),
}));
