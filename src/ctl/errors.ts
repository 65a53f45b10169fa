// warrenctl's failures and exit codes. The codes are rabbitmqctl's (BSD sysexits), so scripts
// that test `$?` after a rabbitmqctl call behave the same with warrenctl; so are the texts, which
// were checked against rabbitmqctl 3.10 (including its odd ones, e.g. exit 69 for a missing queue).

export const ExitCode = {
  ok: 0,
  /** unknown command, wrong number of arguments, unknown option, wrong application state */
  usage: 64,
  /** bad input data: an invalid argument value, an unknown vhost, a failed authentication */
  dataErr: 65,
  /** the named user does not exist (rabbitmqctl's no_such_user) */
  noUser: 67,
  /** the broker cannot be reached (rabbitmqctl's nodedown), and some of rabbitmqctl's "{:error, _}" */
  unavailable: 69,
  /** the broker refused or failed the operation */
  software: 70,
  /** the operation timed out */
  tempFail: 75,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure that ends the command: `text` goes to stderr, then the process exits with `exitCode`. */
export class CtlError extends Error {
  constructor(
    readonly exitCode: ExitCodeValue,
    readonly text: string,
    /**
     * A validation failure: rabbitmqctl follows it with the arguments given and the command's
     * usage, and prints no banner.
     */
    readonly validation = false,
  ) {
    super(text);
  }
}

/** rabbitmqctl reports a refused operation as "Error:" on one line and the reason on the next. */
export function operationError(exitCode: ExitCodeValue, reason: string): CtlError {
  return new CtlError(exitCode, `Error:\n${reason}`);
}

/** A usage mistake (exit 64): rabbitmqctl's "Error (argument validation): …". */
export function usageError(reason: string): CtlError {
  return new CtlError(ExitCode.usage, `Error (argument validation): ${reason}`, true);
}

/** A bad argument value (exit 65), reported as a validation failure too. */
export function badArgument(reason: string): CtlError {
  return new CtlError(ExitCode.dataErr, `Error (argument validation): Bad argument: ${reason}`, true);
}

/** rabbitmqctl's wording when the application is not in the state a command needs (exit 64). */
export function wrongAppState(running: boolean): CtlError {
  const text = running
    ? "Error: this command requires the 'rabbit' app to be running on the target node. Start it with 'rabbitmqctl start_app'."
    : "Error: this command requires the 'rabbit' app to be stopped on the target node. Stop it with 'rabbitmqctl stop_app'.";
  return new CtlError(ExitCode.usage, text, true);
}

/** rabbitmqctl's `inspect` of {:no_such_user, name}, which some commands print as is (exit 69). */
export function noSuchUserTuple(name: string): CtlError {
  return operationError(ExitCode.unavailable, `{:no_such_user, ${JSON.stringify(name)}}`);
}
