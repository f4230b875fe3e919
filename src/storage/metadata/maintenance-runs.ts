import type { Kysely } from 'kysely';
import { nowMicros } from '../../domain/time.ts';
import type { Database } from './schema.ts';

/** Which maintenance command a row is the last result of. */
export type MaintenanceKind = 'gc' | 'scrub';

/** A command's summary: counts only (never hashes or names), as `/metrics` exports them. */
export type MaintenanceSummary = Readonly<Record<string, number>>;

export interface MaintenanceRun {
  readonly kind: MaintenanceKind;
  /** Microseconds since the epoch. */
  readonly finishedAt: number;
  readonly summary: MaintenanceSummary;
}

/** Replaces the kind's last result. */
export async function recordMaintenanceRun(
  db: Kysely<Database>,
  kind: MaintenanceKind,
  summary: MaintenanceSummary,
): Promise<void> {
  const row = { kind, finished_at: nowMicros(), summary: JSON.stringify(summary) };
  await db
    .insertInto('maintenance_runs')
    .values(row)
    .onConflict((oc) => oc.column('kind').doUpdateSet({ finished_at: row.finished_at, summary: row.summary }))
    .execute();
}

export async function lastMaintenanceRuns(db: Kysely<Database>): Promise<MaintenanceRun[]> {
  const rows = await db.selectFrom('maintenance_runs').selectAll().execute();
  return rows.map((r) => ({
    kind: r.kind as MaintenanceKind,
    finishedAt: Number(r.finished_at),
    summary: JSON.parse(r.summary) as MaintenanceSummary,
  }));
}
