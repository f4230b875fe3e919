import { Command, CommanderError } from 'commander';
import { loadSettings } from '../config.ts';
import { CliError } from '../errors.ts';
import { UserError } from '../domain/identity/users.ts';
import { MetadataStore } from '../storage/metadata/database.ts';
import { registerIdentityCommands } from './identity-commands.ts';
import { registerServeCommand } from './serve-command.ts';
import { registerGcCommand } from './gc-command.ts';
import { registerImageCommands } from './image-commands.ts';
import { registerScrubCommand } from './scrub-command.ts';
import { registerAccountCommands } from './account-commands.ts';
import { err, out } from './output.ts';
import { storageOptions } from './storage-options.ts';

const program = new Command('plankton')
  .description(
    'Plankton: image service (Glance v1 / Plankton API) over a Pithos-compatible object store, with identity',
  )
  // Usage errors in one line on stderr (commander's suggestion kept on that line), exit status 2.
  .configureOutput({ outputError: (text, write) => write(`${text.trim().split('\n').join(' ')} (see --help)\n`) })
  .exitOverride();

registerServeCommand(program);
registerIdentityCommands(program);
registerGcCommand(program);
registerScrubCommand(program);
registerImageCommands(program);
registerAccountCommands(program);

storageOptions(
  program.command('migrate').description('apply pending database migrations and exit (serve does this too)'),
).action(async (o) => {
  const settings = loadSettings(o);
  const store = MetadataStore.open(settings.databaseUrl, settings.dataDir);
  try {
    const applied = await store.migrate();
    out(applied.length ? `applied ${applied.join(', ')} to ${store.label}` : `${store.label} is up to date`);
  } finally {
    await store.close();
  }
});

for (const cmd of program.commands) cmd.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander already printed the usage error (or the help text, which exits 0)
    process.exit(e.exitCode === 0 ? 0 : 2);
  }
  if (e instanceof CliError) {
    err(`plankton: ${e.message}`);
    process.exit(e.exitCode);
  }
  if (e instanceof UserError) {
    err(`plankton: ${e.message}`);
    process.exit(1);
  }
  err(`plankton: ${describe(e)}`);
  process.exit(1);
}

/** One line for an unexpected failure (database unreachable and the like), never a stack trace. */
function describe(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 'ECONNREFUSED')
    return `cannot reach the database or block store (${msg}): is it running? check --database-url / --blocks`;
  if (e instanceof AggregateError && e.errors.length) return describe(e.errors[0]);
  return msg || String(code);
}
