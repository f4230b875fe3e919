/** Times are kept as integer microseconds since the epoch (see storage/metadata/schema.ts). */
let last = 0;

/** Now, in microseconds; strictly increasing within this process so versions order by time. */
export function nowMicros(): number {
  const t = Math.max(Date.now() * 1000, last + 1);
  last = t;
  return t;
}

const pad6 = (n: number) => String(n).padStart(6, '0');

/** `2026-11-26T19:38:10.123456+00:00` */
export function isoMicros(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  return `${d.toISOString().slice(0, 19)}.${pad6(us % 1_000_000)}+00:00`;
}

/** HTTP date (second precision). */
export const httpDate = (us: number): string => new Date(Math.floor(us / 1000)).toUTCString();

/** `1795721891.118558` */
export const epochSeconds6 = (us: number): string => `${Math.floor(us / 1_000_000)}.${pad6(us % 1_000_000)}`;

/** Image API form: `YYYY-MM-DD HH:MM:SS`, UTC, fraction truncated. */
export const imageTime = (us: number): string =>
  new Date(Math.floor(us / 1000)).toISOString().slice(0, 19).replace('T', ' ');
