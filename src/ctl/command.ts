// The shape of one warrenctl subcommand. main.ts checks the arguments and the broker state a
// command declares, prints its banner, then runs it; the command only talks to the API and prints.
import type { Context } from './context.js';

/** The broker state a command needs before it runs, as rabbitmqctl checks it. */
export type Requirement =
  /** the AMQP side must run (rabbitmqctl's RequiresRabbitAppRunning) */
  | 'running'
  /** the AMQP side must be stopped (reset) */
  | 'stopped'
  /** the broker must answer, in any state */
  | 'reachable'
  /** nothing is checked up front (await_startup waits for the broker itself) */
  | 'nothing';

export interface Command {
  name: string;
  /** arguments after the command name, as `help` shows them */
  usage: string;
  description: string;
  /** help text for the arguments: [name, meaning] */
  argHelp?: readonly (readonly [string, string])[];
  /** how many positional arguments it takes */
  minArgs: number;
  maxArgs: number;
  /** options it accepts besides the global ones (long names) */
  options?: readonly string[];
  requires: Requirement;
  /** the line(s) printed before it runs, unless -q, --silent or --formatter json */
  banner?(args: readonly string[], ctx: Context): Promise<string | readonly string[]> | string | readonly string[];
  /** checks argument values before anything is sent (bad values throw CtlError) */
  validate?(args: readonly string[], ctx: Context): void;
  run(args: readonly string[], ctx: Context): Promise<void>;
}
