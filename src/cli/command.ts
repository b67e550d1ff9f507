/**
 * One subcommand of the `rapport` bin (src/cli/rapport.ts). A command module exports `command`;
 * src/cli/commands.ts lists them with a one-line summary. `run` gets the arguments after the command name and answers the
 * exit code: 0 done, 1 failed, 2 usage error (the bin prints `usage` after a UsageError's message).
 */
export interface Command {
  /** The whole help text, printed by `rapport NAME --help`. */
  usage: string;
  run(argv: string[]): Promise<number>;
}

export class UsageError extends Error {}

/** True when the arguments ask for help; commands answer it before touching a database. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
