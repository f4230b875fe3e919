import type { Command } from 'commander';
import { loadSettings } from '../config.ts';
import { CliError } from '../errors.ts';
import { Users } from '../domain/identity/users.ts';
import { Quotas } from '../domain/objects/quotas.ts';
import { ContainerRepository } from '../storage/metadata/container-repository.ts';
import { MetadataStore } from '../storage/metadata/database.ts';
import { IdentityRepository } from '../storage/metadata/identity-repository.ts';
import { out, outJson } from './output.ts';
import { storageOptions } from './storage-options.ts';

/**
 * `plankton account quota <user> [<bytes>]`: an admin sets (or reads) an account's byte quota,
 * which every write into the account's containers then respects (413), images included. Works on
 * the database directly, like the user commands; `0` removes the quota.
 */
export function registerAccountCommands(program: Command): void {
  const account = program.command('account').description("manage users' object-store accounts");
  storageOptions(
    account
      .command('quota <user> [bytes]')
      .description("set the account's byte quota (0: none), or show it and the bytes used")
      .option('--json', 'print one JSON line'),
  ).action(async (ref: string, bytes: string | undefined, o) => {
    let quota: number | undefined;
    if (bytes !== undefined) {
      if (!/^\d+$/.test(bytes) || !Number.isSafeInteger(Number(bytes)))
        throw new CliError(`invalid quota "${bytes}": give a number of bytes (0: no quota)`, 2);
      quota = Number(bytes);
    }
    const settings = loadSettings(o);
    const store = MetadataStore.open(settings.databaseUrl, settings.dataDir);
    try {
      await store.migrate();
      const user = await new Users(new IdentityRepository(store.db)).find(ref);
      const quotas = new Quotas(store.db);
      if (quota !== undefined) await quotas.setAccountQuota(user.uuid, quota);
      const current = await quotas.accountQuota(user.uuid);
      const totals = await new ContainerRepository(store.db).accountTotals(user.uuid);
      if (o.json) return outJson({ uuid: user.uuid, quota: current, bytes_used: totals.bytes });
      out(`${user.uuid}  quota ${current === 0 ? 'none' : `${current} bytes`}  used ${totals.bytes} bytes`);
    } finally {
      await store.close();
    }
  });
}
