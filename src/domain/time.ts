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

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/**
 * Image API form: `YYYY-MM-DD HH:MM:SS`, UTC, fraction truncated. A list page renders two per
 * image, so the usual years are computed with integer arithmetic (days to civil date, as in
 * H. Hinnant's `civil_from_days`) instead of through a `Date` and three intermediate strings;
 * others go the `Date` way.
 */
export function imageTime(us: number): string {
  const seconds = Math.floor(us / 1_000_000);
  const days = Math.floor(seconds / 86_400);
  // 0001-01-01 .. 9999-12-31: four-digit years, which toISOString prints without a sign.
  if (!(days >= -719_162 && days <= 2_932_896)) return slowImageTime(us);
  let rest = seconds - days * 86_400;
  const hh = Math.floor(rest / 3600);
  rest -= hh * 3600;
  const mm = Math.floor(rest / 60);
  const ss = rest - mm * 60;
  const z = days + 719_468; // days since 0000-03-01
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153); // March = 0
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const y = year >= 1000 ? `${year}` : `${year}`.padStart(4, '0');
  return `${y}-${pad2(month)}-${pad2(day)} ${pad2(hh)}:${pad2(mm)}:${pad2(ss)}`;
}

const slowImageTime = (us: number): string =>
  new Date(Math.floor(us / 1000)).toISOString().slice(0, 19).replace('T', ' ');

/**
 * The ISO 8601 forms the image APIs read in list filters. `strict` (Glance v1's `changes-since`):
 * `YYYY-MM-DD[( |T)HH:MM[:SS[.f]][Z|±HH[:]MM]]`. `glance` (Image API v2's time filters, as Glance's
 * iso8601 parser): also a comma before the fraction, spaces before the zone and an hours-only zone.
 */
const ISO_SYNTAX = {
  strict: /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i,
  glance: /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i,
} as const;

/**
 * An ISO 8601 date or date-time as microseconds since the epoch (no zone = UTC, as Glance
 * normalises), or null when it is not one in `syntax` (impossible dates such as February 30th
 * included). The inverse of `isoMicros`, for every API that reads times.
 */
export function parseIsoMicros(text: string, syntax: keyof typeof ISO_SYNTAX): number | null {
  const m = ISO_SYNTAX[syntax].exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // unlike Date.UTC, keeps years below 100 as they are
  d.setUTCHours(hour, minute, second, 0);
  if (d.getUTCDate() !== day) return null;
  const fraction = Number((m[7] ?? '').slice(0, 6).padEnd(6, '0'));
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const hh = Number(digits.slice(1, 3));
    const mm = Number(digits.slice(3, 5) || '0');
    if (hh > 23 || mm > 59) return null;
    offsetMinutes = (digits[0] === '-' ? -1 : 1) * (hh * 60 + mm);
  }
  return (d.getTime() - offsetMinutes * 60_000) * 1000 + fraction;
}
