import { z } from 'zod';
import type { Scheduler } from '../orchestration/scheduler.ts';
import type { EmitEvent, HandlersOf } from './api-types.ts';

/** Params of the schedules line's methods; contract.ts lists them among its methods. */
export const schedulesMethods = {
  /** Whether this process fires schedules (`isRunning`), whether they are paused, and the enabled ones with their next fire (ms). */
  'schedules.status': z.strictObject({}),
  /** Pauses or resumes every schedule of the open project until the app or serve stops; resolves with the new status. Event: `schedules.changed`. */
  'schedules.setPaused': z.strictObject({ isPaused: z.boolean() }),
} as const;

/** The scheduler of this process, once started; absent where none runs (serve without schedules, tests). */
export interface SchedulerAccess {
  scheduler?: Scheduler;
}

export interface SchedulesStatus {
  isRunning: boolean;
  isPaused: boolean;
  active: { pipelineId: string; trigger: string; nextAt: number | null }[];
}

/** `schedules.*` over the process's scheduler; a pause is announced to every window. */
export function createSchedulesHandlers(access: SchedulerAccess, emit: EmitEvent) {
  const status = (): SchedulesStatus => {
    const { scheduler } = access;
    if (!scheduler) return { isRunning: false, isPaused: false, active: [] };
    return { isRunning: true, isPaused: scheduler.isPaused, active: scheduler.activeSchedules() };
  };
  return {
    'schedules.status': async () => status(),
    'schedules.setPaused': async (p) => {
      await access.scheduler?.setPaused(p.isPaused);
      const now = status();
      emit('schedules.changed', now);
      return now;
    },
  } satisfies HandlersOf<keyof typeof schedulesMethods>;
}
