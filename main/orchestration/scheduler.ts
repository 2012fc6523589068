import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { toErrorShape } from '../model/errors.ts';
import { newRunId } from '../model/run-ids.ts';
import type { RunResult } from '../model/engine-types.ts';
import type { RunEvent } from '../model/run-events.ts';
import type { OpenProject } from '../runtime/open-project.ts';
import { planFires, type PlannedFire } from './catch-up.ts';
import { RunLimitReachedError } from '../runtime/run-limit.ts';
import { cronClock, fireTimesBetween, type CronClock } from './cron-times.ts';
import { iso, systemClock, type SchedulerActivity, type SchedulerClock } from './scheduler-activity.ts';
import { TriggerStateStore } from './trigger-state.ts';
import { loadTriggers, type LoadedSchedule } from './triggers.ts';

export interface SchedulerOptions {
  open: OpenProject;
  clock?: SchedulerClock;
  /** Pipeline files are re-read at least this often, so edited triggers take effect; default 30 s. */
  rescanMs?: number;
  /** A fire handled at most this late is on time; later, it counts as missed and follows catch_up. Default 60 s. */
  graceMs?: number;
  /** The most missed fires `catch_up: all` runs (the latest ones); default 1000. */
  maxCatchUp?: number;
  onActivity?: (activity: SchedulerActivity) => void;
  /** Every event of the runs the scheduler starts (serve pushes them to the UI). */
  onEvent?: (event: RunEvent) => void;
}

interface Tracked {
  loaded: LoadedSchedule;
  clock: CronClock;
  lastFiredAt: number;
  /** A catch-up sequence is running: its own fires come first, in order. */
  isBusy: boolean;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Fires the project's schedule triggers while it runs. Each trigger's cursor (the scheduled time of the latest fire
 * it handled) is stored in the run history before the run it stands for starts, so a restart, even after a crash,
 * never fires the same time twice and knows which fires it missed; those follow the trigger's catch_up policy.
 * A trigger whose cron, time zone or enabled flag changes restarts from now: an edit never fires a run.
 */
export class Scheduler {
  private readonly opts: SchedulerOptions;
  private readonly open: OpenProject;
  private readonly clock: SchedulerClock;
  private readonly state: TriggerStateStore;
  private readonly options: Required<Pick<SchedulerOptions, 'rescanMs' | 'graceMs' | 'maxCatchUp'>>;
  private readonly report: (activity: SchedulerActivity) => void;
  private readonly tracked = new Map<string, Tracked>();
  private readonly work = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();
  private readonly reportedProblems = new Map<string, string>();
  private timer: unknown;
  private ticking: Promise<void> | undefined;
  private isTickWanted = false;
  private isStopped = false;
  private isPausedNow = false;

  /** Opens the trigger state in the project's run history; call start() to begin firing. */
  constructor(opts: SchedulerOptions) {
    this.opts = opts;
    this.open = opts.open;
    this.clock = opts.clock ?? systemClock;
    this.state = TriggerStateStore.open(path.join(opts.open.project.stateDir, 'history.sqlite'));
    this.options = { rescanMs: opts.rescanMs ?? 30_000, graceMs: opts.graceMs ?? 60_000, maxCatchUp: opts.maxCatchUp ?? 1000 };
    this.report = (activity) => opts.onActivity?.(activity);
  }

  /** Reads the triggers, handles missed fires, and resolves once that first pass is done; fires go on until stop(). */
  async start(): Promise<void> {
    this.requestTick();
    await this.settled();
  }

  /** Stops firing, cancels the runs the scheduler started, waits for them, and closes its history connection. */
  async stop(): Promise<void> {
    this.isStopped = true;
    this.clock.clearTimeout(this.timer);
    this.abort.abort();
    await this.settled();
    await Promise.allSettled([...this.work]);
    this.state.close();
  }

  /** Re-reads the pipeline files now (e.g. on a file-change event) and handles what is due; resolves when done. */
  async rescan(): Promise<void> {
    this.requestTick();
    await this.settled();
  }

  /** Resolves when no pass over the triggers is in progress (runs may still go on). */
  async settled(): Promise<void> {
    while (this.ticking) await this.ticking;
  }

  /** Resolves when no pass is in progress and every run the scheduler started has finished. */
  async idle(): Promise<void> {
    for (;;) {
      await this.settled();
      if (this.work.size === 0) return;
      await Promise.allSettled([...this.work]);
    }
  }

  /**
   * Pauses (or resumes) every schedule until this process ends; resolves once the change took effect. A fire due
   * while paused is recorded as skipped and never caught up: resuming fires the next time, not the paused ones.
   */
  async setPaused(isPaused: boolean): Promise<void> {
    this.isPausedNow = isPaused;
    this.requestTick();
    await this.settled();
  }

  /** Whether setPaused(true) holds every schedule. */
  get isPaused(): boolean {
    return this.isPausedNow;
  }

  /** The enabled schedules this scheduler fires (or would, once resumed), each with its next fire time. */
  activeSchedules(): { pipelineId: string; trigger: string; nextAt: number | null }[] {
    return [...this.tracked.values()]
      .filter((t) => t.loaded.spec.enabled)
      .map((t) => ({
        pipelineId: t.loaded.pipeline.id,
        trigger: t.loaded.spec.name,
        nextAt: t.clock.nextAfter(Math.max(t.lastFiredAt, this.clock.now())) ?? null,
      }));
  }

  /** The trigger records (`trigger.fired`, `trigger.skipped`, …), for tests and the CLI. */
  fires(pipelineId?: string): ReturnType<TriggerStateStore['listFires']> {
    return this.state.listFires(pipelineId ? { pipelineId } : {});
  }

  private requestTick(): void {
    if (this.isStopped) return;
    if (this.ticking) {
      this.isTickWanted = true;
      return;
    }
    this.ticking = (async () => {
      do {
        this.isTickWanted = false;
        await this.tick();
      } while (this.isTickWanted && !this.isStopped);
    })().finally(() => {
      this.ticking = undefined;
      this.armTimer();
    });
  }

  /** One pass: 1. re-read triggers, 2. handle due fires of each one. */
  private async tick(): Promise<void> {
    const now = this.clock.now();
    try {
      await this.syncTriggers(now);
      if (this.isStopped) return;
      for (const tracked of this.tracked.values()) {
        if (!tracked.loaded.spec.enabled || tracked.isBusy) continue;
        if (this.isPausedNow) this.skipPaused(tracked, now);
        else this.handleDue(tracked, now);
      }
    } catch (error) {
      this.report({ type: 'problem', message: `the scheduler could not read the project: ${toErrorShape(error).message}` });
    }
  }

  private async syncTriggers(now: number): Promise<void> {
    const loaded = await loadTriggers(this.open);
    const failing = new Set(loaded.problems.map((p) => p.pipelineId));
    this.reportProblems(loaded.problems);
    const seen = new Set<string>();
    for (const schedule of loaded.schedules) {
      seen.add(schedule.key);
      this.syncSchedule(schedule, now);
    }
    // A pipeline that fails to load keeps its last good triggers: a half-saved file must not stop its schedules.
    for (const [key, tracked] of this.tracked) if (!seen.has(key) && !failing.has(tracked.loaded.pipeline.id)) this.tracked.delete(key);
  }

  private syncSchedule(schedule: LoadedSchedule, now: number): void {
    const { pipeline, spec, signature } = schedule;
    const cursor = this.state.readCursor(pipeline.id, spec.name);
    const clock = cronClock(spec.cron, spec.timezone);
    if (cursor && cursor.signature === signature) {
      const existing = this.tracked.get(schedule.key);
      if (existing) existing.loaded = schedule;
      else this.tracked.set(schedule.key, { loaded: schedule, clock, lastFiredAt: cursor.lastFiredAt, isBusy: false });
      return;
    }
    // New or edited timing: start from now, so nothing fires for times before the edit.
    this.state.writeCursor(pipeline.id, spec.name, { signature, lastFiredAt: now }, now);
    // A catch-up of the old timing still in progress stops before its next fire (it checks it is still tracked).
    this.tracked.set(schedule.key, { loaded: schedule, clock, lastFiredAt: now, isBusy: false });
    const nextAt = spec.enabled ? clock.nextAfter(now) : undefined;
    this.report({
      type: 'registered',
      pipelineId: pipeline.id,
      trigger: spec.name,
      nextAt,
      isEnabled: spec.enabled,
      isChange: cursor !== undefined,
    });
  }

  private handleDue(tracked: Tracked, now: number): void {
    const { spec, pipeline } = tracked.loaded;
    const due = fireTimesBetween(tracked.clock, tracked.lastFiredAt, now, this.options.maxCatchUp);
    if (due.times.length === 0) return;
    const plan = planFires(due.times, now, spec.catch_up, this.options.graceMs);
    if (due.more && spec.catch_up === 'all') {
      this.report({
        type: 'problem',
        pipelineId: pipeline.id,
        message: `${pipeline.id}/${spec.name} missed more than ${this.options.maxCatchUp} fires; catch_up: all runs only the latest ${this.options.maxCatchUp}`,
      });
    }
    if (plan.dropped.length > 0) this.dropMissed(tracked, plan.dropped, due.more);
    if (plan.toRun.length === 1 && plan.toRun[0]?.isLate === false) {
      this.fire(tracked, plan.toRun[0]);
    } else if (plan.toRun.length > 0) {
      tracked.isBusy = true;
      this.hold(
        this.catchUp(tracked, plan.toRun).finally(() => {
          tracked.isBusy = false;
          this.requestTick();
        }),
      );
    }
  }

  /** Records the latest fire due while paused as skipped and moves past it, so resuming does not catch up. */
  private skipPaused(tracked: Tracked, now: number): void {
    const { spec, pipeline } = tracked.loaded;
    const last = fireTimesBetween(tracked.clock, tracked.lastFiredAt, now, this.options.maxCatchUp).times.at(-1);
    if (last === undefined) return;
    const reason = 'schedules are paused in the app';
    this.moveCursor(tracked, last);
    this.state.recordFire({
      pipelineId: pipeline.id,
      triggerName: spec.name,
      kind: 'trigger.skipped',
      scheduledAt: last,
      reason,
      at: this.clock.now(),
    });
    this.report({ type: 'skipped', pipelineId: pipeline.id, trigger: spec.name, scheduledAt: last, reason });
  }

  private dropMissed(tracked: Tracked, dropped: number[], isMore: boolean): void {
    const { spec, pipeline } = tracked.loaded;
    const first = dropped[0] ?? 0;
    const last = dropped.at(-1) ?? first;
    const count = `${isMore ? 'more than ' : ''}${dropped.length} fire${dropped.length === 1 ? '' : 's'}`;
    const reason = `missed ${count} (${iso(first)}${dropped.length > 1 ? ` to ${iso(last)}` : ''}) while no scheduler was running (or the machine slept); catch_up: ${spec.catch_up} does not run them`;
    this.moveCursor(tracked, last);
    this.state.recordFire({
      pipelineId: pipeline.id,
      triggerName: spec.name,
      kind: 'trigger.missed',
      scheduledAt: last,
      reason,
      at: this.clock.now(),
    });
    this.report({ type: 'missed', pipelineId: pipeline.id, trigger: spec.name, count: dropped.length, first, last, reason });
  }

  /** Runs catch-up fires one after another (a run per missed time, in order), then the on-time one if any. */
  private async catchUp(tracked: Tracked, fires: PlannedFire[]): Promise<void> {
    for (const planned of fires) {
      // Stopped, or the trigger was edited meanwhile (its new timing starts from the edit).
      if (this.isStopped || this.tracked.get(tracked.loaded.key) !== tracked) return;
      await this.fire(tracked, planned);
    }
  }

  /** Handles one fire: moves the cursor durably, then starts the run unless skip_if_running says otherwise. */
  private fire(tracked: Tracked, planned: PlannedFire): Promise<unknown> {
    const { spec, pipeline } = tracked.loaded;
    const ref = { pipelineId: pipeline.id, trigger: spec.name };
    this.moveCursor(tracked, planned.at);
    const busyWith = spec.skip_if_running ? this.runningRunOf(pipeline.id) : undefined;
    if (busyWith !== undefined) {
      const reason = `a run of ${pipeline.id} is still running${busyWith ? ` (${busyWith})` : ''} and skip_if_running is on`;
      this.state.recordFire({
        pipelineId: pipeline.id,
        triggerName: spec.name,
        kind: 'trigger.skipped',
        scheduledAt: planned.at,
        reason,
        at: this.clock.now(),
      });
      this.report({ type: 'skipped', ...ref, scheduledAt: planned.at, reason });
      return Promise.resolve();
    }
    const runId = newRunId();
    const firedAt = performance.now();
    let hasStarted = false;
    const onEvent = (event: RunEvent) => {
      if (event.type === 'run.started' && event.runId === runId) {
        hasStarted = true;
        this.state.recordFire({
          pipelineId: pipeline.id,
          triggerName: spec.name,
          kind: 'trigger.fired',
          scheduledAt: planned.at,
          runId,
          at: this.clock.now(),
        });
        this.report({
          type: 'fired',
          ...ref,
          scheduledAt: planned.at,
          runId,
          isLate: planned.isLate,
          startLatencyMs: performance.now() - firedAt,
        });
      }
      this.opts.onEvent?.(event);
    };
    const run = this.open.run(
      {
        pipeline,
        scope: { kind: 'pipeline' },
        trigger: { kind: 'schedule', by: spec.name },
        variables: spec.variables,
        executionDate: new Date(planned.at),
        runId,
        signal: this.abort.signal,
      },
      onEvent,
    );
    return this.hold(
      run.then(
        (result: RunResult) =>
          this.report({ type: 'finished', ...ref, scheduledAt: planned.at, runId, status: result.status, durationMs: result.durationMs }),
        (error: unknown) => {
          const message = toErrorShape(error).message;
          // on_limit: skip refused the run: like skip_if_running, a decision rather than a failure.
          const kind = error instanceof RunLimitReachedError ? 'trigger.skipped' : 'trigger.failed';
          if (!hasStarted)
            this.state.recordFire({
              pipelineId: pipeline.id,
              triggerName: spec.name,
              kind,
              scheduledAt: planned.at,
              reason: message,
              at: this.clock.now(),
            });
          if (kind === 'trigger.skipped') this.report({ type: 'skipped', ...ref, scheduledAt: planned.at, reason: message });
          else this.report({ type: 'failed', ...ref, scheduledAt: planned.at, message });
        },
      ),
    );
  }

  /** The id of a running run of the pipeline ('' for one still waiting for a slot), or undefined when none runs. */
  private runningRunOf(pipelineId: string): string | undefined {
    // A run left `running` by a process that died since this one opened the store must not block the schedule.
    this.open.store.markOrphanedRuns();
    const [running] = this.open.store.listRuns({ pipelineId, status: 'running', limit: 1 });
    if (running) return running.id;
    return this.open.activeRuns(pipelineId) > 0 ? '' : undefined;
  }

  private moveCursor(tracked: Tracked, to: number): void {
    tracked.lastFiredAt = to;
    const { pipeline, spec, signature } = tracked.loaded;
    this.state.writeCursor(pipeline.id, spec.name, { signature, lastFiredAt: to }, this.clock.now());
  }

  private hold<T>(promise: Promise<T>): Promise<T> {
    const settled = promise.finally(() => this.work.delete(settled));
    this.work.add(settled);
    return settled;
  }

  private reportProblems(problems: { pipelineId: string; error: { message: string } }[]): void {
    const current = new Map(problems.map((p) => [p.pipelineId, p.error.message]));
    for (const [pipelineId, message] of current) {
      if (this.reportedProblems.get(pipelineId) !== message)
        this.report({
          type: 'problem',
          pipelineId,
          message: `${message}\n(its schedules keep their last good definition until the file is fixed)`,
        });
    }
    this.reportedProblems.clear();
    for (const [id, message] of current) this.reportedProblems.set(id, message);
  }

  private armTimer(): void {
    if (this.isStopped) return;
    this.clock.clearTimeout(this.timer);
    const now = this.clock.now();
    let wakeAt = now + this.options.rescanMs;
    for (const tracked of this.tracked.values()) {
      if (!tracked.loaded.spec.enabled || tracked.isBusy) continue;
      const next = tracked.clock.nextAfter(tracked.lastFiredAt);
      if (next !== undefined) wakeAt = Math.min(wakeAt, next);
    }
    this.timer = this.clock.setTimeout(() => this.requestTick(), Math.min(MAX_TIMER_MS, Math.max(0, wakeAt - now)));
  }
}
