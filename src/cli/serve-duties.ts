/**
 * What `serve` does besides answering requests, once per node (the single process, or the
 * primary of a cluster): removing expired objects, and moving back the images of uploads whose
 * process died (their lease ran out: domain/images/upload-leases.ts). Both are safe with several
 * nodes doing them at once.
 */
import { startExpiryReaper } from '../domain/objects/expiry-reaper.ts';
import { startPeriodic } from '../domain/periodic.ts';
import type { Logger } from 'pino';
import type { Services } from '../services.ts';

export function startServeDuties(services: Services, log: Logger): { stop(): Promise<void> } {
  const { settings } = services;
  const duties = [
    // At start too: a restart after a crash finds its own abandoned uploads once their leases run out.
    startPeriodic(
      (settings.uploadLeaseSeconds * 1000) / 2,
      async () => {
        try {
          const moved = await services.images.reclaimAbandoned();
          if (moved.saving || moved.importing)
            log.warn(moved, 'images of uploads whose process stopped (lease ran out) moved back to queued');
        } catch (err) {
          // The database may be briefly away; the next tick tries again.
          log.warn({ err: (err as Error).message }, 'moving back abandoned uploads failed');
        }
      },
      { now: true },
    ),
  ];
  if (settings.expiryReapIntervalSeconds > 0)
    duties.push(startExpiryReaper(services.objects, settings.expiryReapIntervalSeconds, log));
  return {
    async stop() {
      await Promise.all(duties.map((d) => d.stop()));
    },
  };
}
