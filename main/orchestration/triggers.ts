import { existsSync } from 'node:fs';
import path from 'node:path';
import { listPipelineIds } from '../project/load-project.ts';
import type { Pipeline, Project } from '../model/project.ts';
import { toErrorShape, type ErrorShape } from '../model/errors.ts';
import { cronClock } from './cron-times.ts';
import type { ApiTrigger, ScheduleTrigger, TriggerSpec } from '../model/trigger-schema.ts';
import { TriggerStateStore, type TriggerFire } from './trigger-state.ts';

/** What reading triggers needs of an open project. */
export interface TriggerSource {
  project: Project;
  loadPipeline(id: string): Promise<Pipeline>;
}

/** A schedule trigger with the pipeline it belongs to. */
export interface LoadedSchedule {
  /** `<pipeline>/<trigger>`: unique in a project. */
  key: string;
  pipeline: Pipeline;
  spec: ScheduleTrigger;
  /** What the schedule's timing depends on; when it changes, the schedule restarts from now (an edit never fires). */
  signature: string;
}

export interface LoadedTriggers {
  schedules: LoadedSchedule[];
  /** Every trigger of every pipeline that loaded, in pipeline then file order. */
  all: { pipelineId: string; spec: TriggerSpec }[];
  /** Pipelines that failed to load: their triggers are unknown until the file is fixed. */
  problems: { pipelineId: string; error: ErrorShape }[];
}

/** One upcoming fire, in UTC and in the machine's local time. */
export interface FireTime {
  utc: string;
  local: string;
}

/** A trigger as `pipewright triggers list` and `triggers.list` show it. */
export interface TriggerDescription {
  pipelineId: string;
  name: string;
  type: TriggerSpec['type'];
  enabled: boolean;
  cron?: string;
  timezone?: string;
  catchUp?: ScheduleTrigger['catch_up'];
  skipIfRunning?: boolean;
  variables: Record<string, unknown>;
  /** The next fires (five by default); empty for API triggers and disabled schedules. */
  next: FireTime[];
  /** What the scheduler last did for this trigger, when the history knows. */
  lastFire?: { kind: TriggerFire['kind']; scheduledAt: string; runId?: string; reason?: string };
}

/** Reads every pipeline on disk now (new ones included) and collects their triggers. Never throws for a bad pipeline file. */
export async function loadTriggers(source: TriggerSource): Promise<LoadedTriggers> {
  const result: LoadedTriggers = { schedules: [], all: [], problems: [] };
  for (const pipelineId of await listPipelineIds(source.project.dir)) {
    let pipeline: Pipeline;
    try {
      pipeline = await source.loadPipeline(pipelineId);
    } catch (error) {
      result.problems.push({ pipelineId, error: toErrorShape(error) });
      continue;
    }
    for (const spec of pipeline.spec.triggers ?? []) {
      result.all.push({ pipelineId, spec });
      if (spec.type === 'schedule')
        result.schedules.push({ key: `${pipelineId}/${spec.name}`, pipeline, spec, signature: scheduleSignature(spec) });
    }
  }
  return result;
}

/** The part of a schedule its fire times depend on. */
export function scheduleSignature(spec: ScheduleTrigger): string {
  return JSON.stringify([spec.cron, spec.timezone, spec.enabled]);
}

/** The pipeline's first enabled API trigger, or undefined when it has none (the API then refuses to start it). */
export function findApiTrigger(pipeline: Pipeline): ApiTrigger | undefined {
  return (pipeline.spec.triggers ?? []).find((t): t is ApiTrigger => t.type === 'api' && t.enabled);
}

/** Describes a trigger with its next `count` fire times after `now`. */
export function describeTrigger(pipelineId: string, spec: TriggerSpec, now: number, count = 5): TriggerDescription {
  const base = { pipelineId, name: spec.name, type: spec.type, enabled: spec.enabled, variables: spec.variables };
  if (spec.type === 'api') return { ...base, next: [] };
  const next = spec.enabled ? cronClock(spec.cron, spec.timezone).nextTimes(count, now).map(toFireTime) : [];
  return { ...base, cron: spec.cron, timezone: spec.timezone, catchUp: spec.catch_up, skipIfRunning: spec.skip_if_running, next };
}

/**
 * Describes every trigger of the project (pipelines that fail to load are listed in `problems`), each with its latest
 * fire record from the run history when there is one.
 */
export async function listTriggerDescriptions(
  source: TriggerSource,
  now = Date.now(),
): Promise<{ triggers: TriggerDescription[]; problems: LoadedTriggers['problems'] }> {
  const loaded = await loadTriggers(source);
  const lastFires = readLastFires(path.join(source.project.stateDir, 'history.sqlite'));
  const triggers = loaded.all.map(({ pipelineId, spec }) => {
    const description = describeTrigger(pipelineId, spec, now);
    const last = lastFires.get(`${pipelineId}/${spec.name}`);
    if (last) description.lastFire = { kind: last.kind, scheduledAt: toFireTime(last.scheduledAt).utc, ...pick(last) };
    return description;
  });
  return { triggers, problems: loaded.problems };
}

/** The latest fire of each trigger; none for a project that has never run (a listing does not create its history). */
function readLastFires(file: string): Map<string, TriggerFire> {
  if (!existsSync(file)) return new Map();
  const store = TriggerStateStore.open(file);
  try {
    return store.latestFires();
  } finally {
    store.close();
  }
}

function pick(fire: TriggerFire): { runId?: string; reason?: string } {
  return { ...(fire.runId ? { runId: fire.runId } : {}), ...(fire.reason ? { reason: fire.reason } : {}) };
}

const localFormat = new Intl.DateTimeFormat('sv-SE', {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});

function toFireTime(ms: number): FireTime {
  // sv-SE writes `2026-11-22 06:00:00 CET`: ISO-like and sortable, in the machine's own time zone.
  return { utc: new Date(ms).toISOString().replace('.000Z', 'Z'), local: localFormat.format(new Date(ms)) };
}
