import { stringify } from 'yaml';
import { convertBlock, pickRetry, type MageBlock, type MageSource } from './convert-block.ts';
import { planPython } from './convert-python.ts';
import { convertTriggers } from './convert-triggers.ts';
import { lineOf, safeId, type ImportLog } from './import-types.ts';

type PwBlock = Record<string, unknown> & { id: string; upstream?: string[] };

/**
 * One Mage pipeline (folder `uuid`) → pipelines/<id>/pipeline.yaml and layout.json in `log.files`. Blocks that
 * cannot be imported are left out, and edges to them dropped, so what is written loads.
 */
export async function convertPipeline(
  uuid: string,
  id: string,
  meta: Record<string, unknown>,
  metaText: string,
  src: MageSource,
  log: ImportLog,
): Promise<void> {
  const file = `pipelines/${uuid}/metadata.yaml`;
  const mageBlocks = readBlocks(meta, metaText);
  const blocks: PwBlock[] = [];
  for (const block of mageBlocks) {
    for (const converted of (await convertBlock(block, id, src, log)) as PwBlock[]) {
      // Two Mage uuids can make one id (`load-data`, `load_data`): the second is left out, not silently merged.
      if (blocks.some((b) => b.id === converted.id)) {
        log.add({
          pipeline: id,
          subject: block.uuid,
          outcome: 'attention',
          reason: `its id ${converted.id} is taken by another block: not imported`,
          file,
          line: block.line,
        });
      } else blocks.push(converted);
    }
  }
  sensorsLast(blocks);
  dropMissingUpstream(blocks, id, file, log);
  breakCycles(blocks, id, file, log);
  await attachConditionals(blocks, meta, metaText, id, uuid, src, log);
  if (blocks.length === 0) {
    log.add({ pipeline: id, subject: id, outcome: 'attention', reason: 'no block could be imported: pipeline not written', file });
    return;
  }
  const pipeline: Record<string, unknown> = {};
  if (typeof meta.name === 'string') pipeline.name = meta.name;
  if (typeof meta.description === 'string') pipeline.description = meta.description;
  const variables = convertVariables(meta.variables, id, file, log);
  if (variables) pipeline.variables = variables;
  const retry = pickRetry(meta.retry_config);
  if (retry) pipeline.retry = retry;
  const runs = (meta.concurrency_config as { pipeline_run_limit?: unknown } | undefined)?.pipeline_run_limit;
  if (typeof runs === 'number' && runs >= 1) pipeline.max_concurrent_runs = Math.min(64, runs);
  const triggers = await convertTriggers(uuid, id, src, log);
  if (triggers.length > 0) pipeline.triggers = triggers;
  pipeline.blocks = blocks;
  log.write(`pipelines/${id}/pipeline.yaml`, `# Imported from Mage pipeline ${uuid} (see IMPORT_REPORT.md)\n${stringify(pipeline)}`);
  log.write(`pipelines/${id}/layout.json`, `${JSON.stringify(layout(blocks), null, 2)}\n`);
}

function readBlocks(meta: Record<string, unknown>, text: string): MageBlock[] {
  const raw = Array.isArray(meta.blocks) ? (meta.blocks as Record<string, unknown>[]) : [];
  const blocks = raw.filter((b) => b && typeof b.uuid === 'string');
  const read = new Set(blocks.flatMap((b) => (Array.isArray(b.upstream_blocks) ? (b.upstream_blocks as unknown[]).map(String) : [])));
  return blocks.map((b) => {
    const uuid = b.uuid as string;
    return {
      uuid,
      type: String(b.type ?? ''),
      language: String(b.language ?? 'python'),
      upstream: Array.isArray(b.upstream_blocks) ? (b.upstream_blocks as unknown[]).map(String) : [],
      configuration: b.configuration && typeof b.configuration === 'object' ? (b.configuration as Record<string, unknown>) : {},
      retry_config: b.retry_config as Record<string, unknown> | undefined,
      timeout: b.timeout,
      hasDownstream: read.has(uuid),
      line: lineOf(text, new RegExp(`uuid:\\s*['"]?${uuid.replace(/[^\w-]/g, '\\$&')}['"]?\\s*$`, 'm')),
    };
  });
}

/**
 * A sensor has an output here (one row: what it found) but none in Mage, so a Python block after one would get an
 * extra DataFrame: moved after the real upstream outputs, it lands in the `*args` of Mage's templates.
 */
function sensorsLast(blocks: PwBlock[]): void {
  const sensors = new Set(blocks.filter((b) => b.type === 'sensor').map((b) => b.id));
  for (const block of blocks) {
    if (block.kind === 'python' && block.upstream?.some((u) => sensors.has(u))) {
      block.upstream = [...block.upstream.filter((u) => !sensors.has(u)), ...block.upstream.filter((u) => sensors.has(u))];
    }
  }
}

function dropMissingUpstream(blocks: PwBlock[], pipeline: string, file: string, log: ImportLog): void {
  const ids = new Set(blocks.map((b) => b.id));
  for (const block of [...blocks]) {
    const missing = (block.upstream ?? []).filter((u) => !ids.has(u));
    if (missing.length === 0) continue;
    block.upstream = (block.upstream ?? []).filter((u) => ids.has(u));
    let what = 'the edge was dropped';
    if (block.upstream.length === 0 && block.type === 'transform') {
      block.type = 'source'; // a transform needs an upstream: with none left it runs as a source
      what = 'the edge was dropped and the block runs as a source';
    } else if (block.upstream.length === 0 && block.type === 'export') {
      blocks.splice(blocks.indexOf(block), 1);
      what = 'nothing left to export: not imported';
    }
    log.add({ pipeline, subject: block.id, outcome: 'attention', reason: `upstream ${missing.join(', ')} not imported: ${what}`, file });
  }
}

/** Drops each edge that closes a cycle (depth-first, in file order) and reports it: Pipewright needs a DAG. */
function breakCycles(blocks: PwBlock[], pipeline: string, file: string, log: ImportLog): void {
  const byId = new Map(blocks.map((b) => [b.id, b]));
  const state = new Map<string, 'open' | 'done'>();
  const visit = (block: PwBlock, path: string[]) => {
    state.set(block.id, 'open');
    for (const up of [...(block.upstream ?? [])]) {
      const next = byId.get(up);
      if (!next) continue;
      if (state.get(up) === 'open') {
        block.upstream = (block.upstream ?? []).filter((u) => u !== up);
        const cycle = [...path.slice(path.indexOf(up)), block.id, up].join(' ← ');
        const asSource = block.upstream.length === 0 && block.type === 'transform';
        if (asSource) block.type = 'source'; // a transform needs an upstream: with none left it runs as a source
        log.add({
          pipeline,
          subject: block.id,
          outcome: 'attention',
          reason: `cycle ${cycle}: edge ${up} → ${block.id} dropped${asSource ? '; the block runs as a source' : ''}`,
          file,
        });
      } else if (!state.has(up)) visit(next, [...path, block.id]);
    }
    state.set(block.id, 'done');
  };
  for (const block of blocks) if (!state.has(block.id)) visit(block, []);
}

/**
 * Mage conditionals are Python @condition functions attached to blocks (their `upstream_blocks`): each file is copied to
 * blocks/conditionals/ and becomes `condition: { python }` on every block it guards, run before the block as in Mage.
 */
async function attachConditionals(
  blocks: PwBlock[],
  meta: Record<string, unknown>,
  text: string,
  pipeline: string,
  uuid: string,
  src: MageSource,
  log: ImportLog,
): Promise<void> {
  const list = Array.isArray(meta.conditionals) ? (meta.conditionals as Record<string, unknown>[]) : [];
  for (const cond of list) {
    if (!cond || typeof cond.uuid !== 'string') continue;
    const where = { pipeline, subject: cond.uuid, file: `pipelines/${uuid}/metadata.yaml`, line: lineOf(text, `uuid: ${cond.uuid}`) };
    const rel = `conditionals/${cond.uuid}.py`;
    const code = await src.read(rel);
    if (code === undefined) {
      log.add({ ...where, outcome: 'attention', reason: `conditional file ${rel} not found: the blocks it guards run unconditionally` });
      continue;
    }
    const file = `blocks/conditionals/${safeId(cond.uuid)}.py`;
    log.write(file, code);
    const fn = planPython(code).fn;
    const syntax = src.syntax.get(rel);
    const guarded = (Array.isArray(cond.upstream_blocks) ? (cond.upstream_blocks as unknown[]) : []).map((b) => safeId(String(b)));
    const attached: string[] = [];
    const taken: string[] = [];
    for (const target of guarded) {
      const block = blocks.find((b) => b.id === target);
      if (!block) continue;
      if (block.condition) taken.push(target);
      else {
        block.condition = { python: file, ...(fn ? { function: fn.name } : {}) };
        attached.push(target);
      }
    }
    const problems = [
      ...(syntax ? [syntax.message] : []),
      ...(fn?.decorator === 'condition' ? [] : ['no @condition function found']),
      ...(attached.length === 0 ? ['it guards no imported block'] : []),
      ...(taken.length > 0 ? [`${taken.join(', ')} already has a condition (Pipewright takes one per block): not attached there`] : []),
    ];
    const reason = `condition: { python: ${file} } on ${attached.join(', ') || 'no block'}: ${fn?.name ?? 'the function'} runs before the block with its upstream outputs, and False skips it and its downstream`;
    log.add({
      ...where,
      outcome: problems.length > 0 ? 'attention' : 'python',
      reason: problems.length > 0 ? `${reason}; ${problems.join('; ')}` : reason,
    });
  }
}

function convertVariables(raw: unknown, pipeline: string, file: string, log: ImportLog): Record<string, unknown> | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const id = safeId(name);
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) out[id] = value;
    else {
      out[id] = JSON.stringify(value);
      log.add({
        pipeline,
        subject: name,
        outcome: 'attention',
        reason: `variable ${name} is a ${Array.isArray(value) ? 'list' : 'map'}: kept as JSON text`,
        file,
      });
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Positions by depth (columns) and order within a depth (rows), so the canvas opens readable. */
function layout(blocks: PwBlock[]): { nodes: Record<string, { x: number; y: number }> } {
  const depth = new Map<string, number>();
  const depthOf = (b: PwBlock): number => {
    const known = depth.get(b.id);
    if (known !== undefined) return known;
    depth.set(b.id, 0);
    const d =
      Math.max(
        -1,
        ...(b.upstream ?? []).map((u) => {
          const up = blocks.find((x) => x.id === u);
          return up ? depthOf(up) : -1;
        }),
      ) + 1;
    depth.set(b.id, d);
    return d;
  };
  const rows = new Map<number, number>();
  const nodes: Record<string, { x: number; y: number }> = {};
  for (const b of blocks) {
    const d = depthOf(b);
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    nodes[b.id] = { x: d * 280, y: row * 140 };
  }
  return { nodes };
}
