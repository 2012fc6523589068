import { parse } from 'yaml';
import { cronProblem } from '../model/trigger-schema.ts';
import type { MageSource } from './convert-block.ts';
import { lineOf, type ImportLog } from './import-types.ts';

const PRESETS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
};

/** pipelines/<uuid>/triggers.yaml → our `triggers:` (schedules in UTC, API triggers); the rest is reported. */
export async function convertTriggers(uuid: string, pipeline: string, src: MageSource, log: ImportLog): Promise<Record<string, unknown>[]> {
  const file = `pipelines/${uuid}/triggers.yaml`;
  const text = await src.read(file);
  if (text === undefined) return [];
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    log.add({
      pipeline,
      subject: 'triggers',
      outcome: 'attention',
      reason: `triggers.yaml is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
      file,
    });
    return [];
  }
  const list = (parsed as { triggers?: unknown } | null)?.triggers;
  const out: Record<string, unknown>[] = [];
  const names = new Set<string>();
  for (const raw of Array.isArray(list) ? (list as Record<string, unknown>[]) : []) {
    const trigger = convertOne(raw, pipeline, file, text, log);
    if (!trigger) continue;
    let name = String(trigger.name);
    for (let n = 2; names.has(name); n++) name = `${trigger.name}_${n}`;
    names.add(name);
    out.push({ ...trigger, name });
  }
  return out;
}

function convertOne(
  raw: Record<string, unknown>,
  pipeline: string,
  file: string,
  text: string,
  log: ImportLog,
): Record<string, unknown> | undefined {
  const title = String(raw.name ?? 'trigger');
  const name = title
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .replace(/^[^A-Za-z_]/, 't_')
    .slice(0, 63);
  const where = { pipeline, subject: `trigger ${title}`, file, line: lineOf(text, `name: ${title}`) };
  const enabled = raw.status !== 'inactive';
  const variables = raw.variables && typeof raw.variables === 'object' ? { variables: raw.variables } : {};
  if (raw.schedule_type === 'api') {
    log.add({ ...where, outcome: 'native', reason: 'API trigger' });
    return { name, type: 'api', enabled, ...variables };
  }
  if (raw.schedule_type !== undefined && raw.schedule_type !== 'time') {
    log.add({ ...where, outcome: 'attention', reason: `${String(raw.schedule_type)} triggers have no equivalent: not imported` });
    return undefined;
  }
  const interval = String(raw.schedule_interval ?? '');
  const cron = PRESETS[interval] ?? interval;
  if (interval === '@once' || cronProblem(cron)) {
    log.add({
      ...where,
      outcome: 'attention',
      reason: `schedule ${interval || '(none)'} not imported: ${interval === '@once' ? 'run it once with pipewright run' : 'not a cron expression'}`,
    });
    return undefined;
  }
  log.add({
    ...where,
    outcome: 'native',
    reason: `schedule ${cron} UTC${enabled ? '' : ', disabled as in Mage'}${raw.start_time ? ` (start_time ${String(raw.start_time)} not kept)` : ''}`,
  });
  return { name, type: 'schedule', cron, timezone: 'UTC', enabled, ...variables };
}
