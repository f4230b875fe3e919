import type { Command } from 'commander';

export interface StorageFlags {
  dataDir?: string;
  databaseUrl?: string;
  blocks?: string;
}

/** The flags every command that touches data shares with `serve` (so they act on the same data). */
export function storageOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'folder for the embedded default data (env PLANKTON_DATA_DIR)', undefined)
    .option(
      '--database-url <url>',
      'postgres://… metadata database (env PLANKTON_DATABASE_URL; default SQLite in the data dir)',
    )
    .option(
      '--blocks <url>',
      'block store: a folder or s3://BUCKET?endpoint=…&region=… (env PLANKTON_BLOCKS; default <data-dir>/blocks)',
    );
}
