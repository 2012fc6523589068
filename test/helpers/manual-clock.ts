import type { SchedulerClock } from '../../main/orchestration/scheduler-activity.ts';

/** A clock that only moves when told: timers fire at their own instants as time is advanced past them. */
export class ManualClock implements SchedulerClock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  constructor(start: number | string) {
    this.current = typeof start === 'string' ? Date.parse(start) : start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /**
   * Moves time to `to`, firing each timer due on the way at its own instant, earliest first, and awaiting `settle`
   * after each one (timers set while settling are honoured too).
   */
  async advanceTo(to: number | string, settle: () => Promise<void>): Promise<void> {
    const target = typeof to === 'string' ? Date.parse(to) : to;
    for (;;) {
      const [id, timer] = [...this.timers].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0] ?? [];
      if (id === undefined || !timer) break;
      this.timers.delete(id);
      this.current = Math.max(this.current, timer.at);
      timer.callback();
      await settle();
    }
    this.current = Math.max(this.current, target);
  }
}
