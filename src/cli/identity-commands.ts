import type { Command } from 'commander';
import { loadSettings, parseDuration } from '../config.ts';
import { CliError } from '../errors.ts';
import { Passwords, checkNewPassword } from '../domain/identity/passwords.ts';
import { Tokens } from '../domain/identity/tokens.ts';
import { Users, type User } from '../domain/identity/users.ts';
import { MetadataStore } from '../storage/metadata/database.ts';
import { IdentityRepository } from '../storage/metadata/identity-repository.ts';
import { isoMicros } from '../domain/time.ts';
import { out, outJson, table } from './output.ts';
import { readNewPassword } from './password-input.ts';
import { storageOptions, type StorageFlags } from './storage-options.ts';

/** Opens only the metadata database (user and token commands need no block store). */
async function withIdentity<T>(
  flags: StorageFlags,
  work: (users: Users, tokens: Tokens, ttl: number, passwords: Passwords) => Promise<T>,
): Promise<T> {
  const settings = loadSettings(flags);
  const store = MetadataStore.open(settings.databaseUrl, settings.dataDir);
  try {
    await store.migrate();
    const repo = new IdentityRepository(store.db);
    return await work(new Users(repo), new Tokens(repo), settings.tokenTtlSeconds, new Passwords(repo));
  } finally {
    await store.close();
  }
}

function ttlSeconds(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const s = parseDuration(text);
  if (s === undefined) throw new CliError(`invalid --ttl "${text}": give a duration like 30d, 12h, 90m or 45s`, 2);
  return s;
}

const userLine = (u: User) => [u.uuid, u.name, u.admin ? 'admin' : '-', u.active ? 'active' : 'disabled'];

export function registerIdentityCommands(program: Command): void {
  const user = program.command('user').description('manage users (each user is also an object-store account)');

  storageOptions(
    user
      .command('create <display-name>')
      .description('create a user and issue it a token (shown once)')
      .option('--admin', 'give the user the admin flag')
      .option('--uuid <uuid>', 'use this UUID instead of a random one')
      .option('--ttl <duration>', 'lifetime of the first token, e.g. 30d, 12h')
      .option('--password-stdin', 'also set a password (for Keystone v3 logins), read from standard input')
      .option('--json', 'print exactly one JSON line {"uuid", "name", "token"}'),
  ).action(async (name: string, o) =>
    withIdentity(o, async (users, tokens, ttl, passwords) => {
      // Read and check the password first: a refused password must not leave a half-made user.
      const password = o.passwordStdin ? await readNewPassword(true) : undefined;
      if (password !== undefined) checkNewPassword(password);
      const u = await users.create(name, { admin: o.admin, uuid: o.uuid });
      if (password !== undefined) await passwords.set(u.uuid, password);
      const t = await tokens.issue(u.uuid, ttlSeconds(o.ttl, ttl), 'created with the user');
      if (o.json) return outJson({ uuid: u.uuid, name: u.name, token: t.secret });
      out(
        `uuid:    ${u.uuid}\nname:    ${u.name}\nadmin:   ${u.admin}\ntoken:   ${t.secret}\nexpires: ${isoMicros(t.expiresAt)}`,
      );
    }),
  );

  storageOptions(user.command('list').description('list users').option('--json', 'one JSON line')).action(async (o) =>
    withIdentity(o, async (users) => {
      const list = await users.list();
      if (o.json) return outJson(list.map((u) => ({ uuid: u.uuid, name: u.name, admin: u.admin, active: u.active })));
      out(table([['UUID', 'NAME', 'ADMIN', 'STATE'], ...list.map(userLine)]));
    }),
  );

  storageOptions(
    user
      .command('show <user>')
      .description("a user's fields and tokens (never the secrets)")
      .option('--json', 'one JSON line'),
  ).action(async (ref: string, o) =>
    withIdentity(o, async (users, tokens) => {
      const u = await users.find(ref);
      const list = await tokens.list(u.uuid);
      if (o.json) return outJson({ ...u, tokens: list });
      out(
        `uuid:    ${u.uuid}\nname:    ${u.name}\nadmin:   ${u.admin}\nactive:  ${u.active}\ncreated: ${isoMicros(u.createdAt)}\ntokens:`,
      );
      for (const t of list)
        out(`  ${t.tokenId}  ${t.state}  expires ${isoMicros(t.expiresAt)}${t.note ? `  ${t.note}` : ''}`);
    }),
  );

  storageOptions(
    user
      .command('password <user>')
      .description(
        'set the password of a user for Keystone v3 logins (prompted on a terminal; stored as a salted scrypt hash)',
      )
      .option(
        '--stdin',
        'read the password from standard input instead of prompting (one trailing newline is removed)',
      ),
  ).action(async (ref: string, o) => {
    const password = await readNewPassword(o.stdin === true);
    checkNewPassword(password);
    await withIdentity(o, async (users, _tokens, _ttl, passwords) => {
      const u = await users.find(ref);
      await passwords.set(u.uuid, password);
      out(`password set for ${u.name} (${u.uuid})`);
    });
  });

  storageOptions(user.command('rename <user> <new-display-name>').description('change the display name')).action(
    async (ref: string, name: string, o) => withIdentity(o, async (users) => out((await users.rename(ref, name)).name)),
  );

  storageOptions(user.command('admin <user> <on|off>').description('set or clear the admin flag')).action(
    async (ref: string, onOff: string, o) => {
      if (onOff !== 'on' && onOff !== 'off') throw new CliError('say "on" or "off"', 2);
      await withIdentity(o, async (users) =>
        out(userLine(await users.setFlag(ref, 'admin', onOff === 'on')).join('  ')),
      );
    },
  );

  for (const [cmd, on] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    storageOptions(
      user
        .command(`${cmd} <user>`)
        .description(on ? 'let a disabled user in again' : "refuse the user's tokens (users are never deleted)"),
    ).action(async (ref: string, o) =>
      withIdentity(o, async (users) => out(userLine(await users.setFlag(ref, 'active', on)).join('  '))),
    );
  }

  const token = program.command('token').description('issue, list and revoke tokens');

  storageOptions(
    token
      .command('issue <user>')
      .description('issue a new token for a user (shown once)')
      .option('--ttl <duration>', 'lifetime, e.g. 30d, 12h, 90m (default PLANKTON_TOKEN_TTL or 30d)')
      .option('--note <text>', 'a note kept with the token')
      .option('--quiet', 'print only the token')
      .option('--json', 'one JSON line'),
  ).action(async (ref: string, o) =>
    withIdentity(o, async (users, tokens, ttl) => {
      const u = await users.find(ref);
      const t = await tokens.issue(u.uuid, ttlSeconds(o.ttl, ttl), o.note);
      if (o.quiet) return out(t.secret);
      if (o.json)
        return outJson({
          token_id: t.tokenId,
          uuid: u.uuid,
          name: u.name,
          expires: isoMicros(t.expiresAt),
          token: t.secret,
        });
      out(
        `token_id: ${t.tokenId}\nuser:     ${u.uuid} (${u.name})\nexpires:  ${isoMicros(t.expiresAt)}\ntoken:    ${t.secret}`,
      );
    }),
  );

  storageOptions(
    token
      .command('revoke [token]')
      .description("revoke a token (the token itself or its token_id), or all of a user's")
      .option('--user <user>', 'revoke every token of this user'),
  ).action(async (ref: string | undefined, o) => {
    if ((ref === undefined) === (o.user === undefined))
      throw new CliError('give either a token (or token_id) or --user <user>', 2);
    await withIdentity(o, async (users, tokens) => {
      if (ref !== undefined) return out(`revoked ${await tokens.revoke(ref)}`);
      const u = await users.find(o.user);
      out(`revoked ${await tokens.revokeAll(u.uuid)} token(s) of ${u.name}`);
    });
  });

  storageOptions(
    token.command('list [user]').description('list tokens (never the secrets)').option('--json', 'one JSON line'),
  ).action(async (ref: string | undefined, o) =>
    withIdentity(o, async (users, tokens) => {
      const list = await tokens.list(ref === undefined ? undefined : (await users.find(ref)).uuid);
      if (o.json) return outJson(list);
      out(
        table([
          ['TOKEN_ID', 'USER', 'CREATED', 'EXPIRES', 'STATE'],
          ...list.map((t) => [t.tokenId, t.userName, isoMicros(t.createdAt), isoMicros(t.expiresAt), t.state]),
        ]),
      );
    }),
  );
}
