import '../compile-cache';
import 'reflect-metadata';
import { COMMANDS } from './commands';
import { UsageError, wantsHelp } from './command';

const USAGE = `usage: npx rapport COMMAND [options]      (rapport COMMAND --help for each)

${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

Commands use DATABASE_URL, else the embedded PostgreSQL of a running npm start (RAPPORT_DATA_DIR),
else they start that embedded PostgreSQL for themselves.`;

/** Runs one subcommand; answers its exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || (wantsHelp([name]) && !rest.length)) {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    console.error(`unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  const command = await entry.load();
  if (wantsHelp(rest)) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${command.usage}`);
      return 2;
    }
    // Expected failures (unreachable database, data directory in use…) carry a message meant for people.
    console.error(`rapport ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.LOG_LEVEL === 'debug') console.error(err);
    return 1;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
