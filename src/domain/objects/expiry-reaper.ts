/**
 * The periodic removal of expired objects in `serve` (X-Delete-At, issue 19 item 8). Expired
 * objects are already invisible (every read filters by time in SQL); this only frees their rows,
 * counters, quota and, through `plankton gc`, their blocks. Each object goes through the one
 * delete path (ObjectService.delete, guarded so a replaced or re-dated object stays), so several
 * nodes reaping at once is safe: each object is removed once.
 */
import { startPeriodic } from '../periodic.ts';
import type { ObjectService } from './object-service.ts';

/** Objects removed per query; a tick goes on while pages come back full, up to MAX_PAGES. */
const PAGE = 500;
const MAX_PAGES = 20;

export interface ReaperLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Every `intervalSeconds`, removes what has expired. */
export function startExpiryReaper(
  objects: ObjectService,
  intervalSeconds: number,
  log: ReaperLog,
): { stop(): Promise<void> } {
  const tick = async () => {
    let reaped = 0;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const n = await objects.reapExpired(undefined, PAGE);
        reaped += n;
        if (n < PAGE) break;
      }
      if (reaped) log.info({ reaped }, 'expired objects removed');
    } catch (err) {
      // The database may be briefly away; the next tick tries again.
      log.warn({ err: (err as Error).message, reaped }, 'removing expired objects failed');
    }
  };
  return startPeriodic(intervalSeconds * 1000, tick);
}
