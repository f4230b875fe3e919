import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { IdentityRepository } from '../../storage/metadata/identity-repository.ts';
import { nowMicros } from '../time.ts';
import { UserError } from './users.ts';

/**
 * Real passwords, stored as `scrypt$N$r$p$salt$hash` (base64url): scrypt from node:crypto with a
 * 16-byte random salt per password, N = 2^15, r = 8, p = 1 (about 32 MiB and tens of
 * milliseconds per check: slow for a guesser, fine for a login). The parameters travel with the
 * hash so they can be raised later without invalidating stored passwords.
 */
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
/** Longer passwords are refused before hashing (Keystone's limit too): hashing them is wasted CPU. */
export const MAX_PASSWORD_LENGTH = 4096;
const MIN_PASSWORD_LENGTH = 8;

function derive(password: string, salt: Buffer, p: { N: number; r: number; p: number }): Promise<Buffer> {
  // 128 * N * r bytes of memory; allow twice that (Node's default ceiling is exactly 32 MiB).
  const options: ScryptOptions = { ...p, maxmem: 256 * p.N * p.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** True when `password` matches the stored hash; compares in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * A hash of a password nobody knows, checked when the user is unknown or has no password, so
 * that a failed login costs the same time whether or not the user exists.
 */
let decoy: Promise<string> | undefined;
export const decoyHash = (): Promise<string> => (decoy ??= hashPassword(randomBytes(24).toString('base64url')));

/** Why a new password is refused (the CLI prints it). */
export function checkNewPassword(password: string): void {
  if ([...password].length < MIN_PASSWORD_LENGTH)
    throw new UserError(`a password has at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH)
    throw new UserError(`a password has at most ${MAX_PASSWORD_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(password))
    throw new UserError('a password cannot contain control characters (a trailing newline is removed)');
}

export class Passwords {
  constructor(private readonly repo: IdentityRepository) {}

  async set(userUuid: string, password: string): Promise<void> {
    checkNewPassword(password);
    await this.repo.setPasswordHash(userUuid, await hashPassword(password), nowMicros());
  }

  /** Checks a password against the user's (a decoy when the user has none, same cost). */
  async matches(userUuid: string | undefined, password: string): Promise<boolean> {
    const stored = userUuid === undefined ? undefined : await this.repo.passwordHash(userUuid);
    const ok = await verifyPassword(password, stored ?? (await decoyHash()));
    return ok && stored !== undefined;
  }
}
