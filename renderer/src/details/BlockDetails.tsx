import { useEffect, useState } from 'react';
import type { BlockRunState, PipelineView } from '../api/views.ts';
import { BlockCodePanel } from '../editor/BlockCodePanel.tsx';
import type { CanvasPlace } from '../layout/use-canvas-place.ts';
import { CanvasPlaceButtons } from '../layout/CanvasPlaceButtons.tsx';
import { BlockPreview } from '../preview/BlockPreview.tsx';
import { CodeAndOutput } from './CodeAndOutput.tsx';
import { ConfigForm } from './ConfigForm.tsx';
import { splitUpstream, upstreamText } from './block-inputs.ts';
import { useFormSources } from './use-kinds.ts';
import { stringify } from './yaml-text.ts';
import { ChecksForColumns } from '../design/ChecksForColumns.tsx';
import { useDesign } from '../design/DesignContext.tsx';
import { ChildrenTab } from '../orchestration/ChildrenTab.tsx';
import type { ChildTally } from '../orchestration/children-state.ts';

export type Tab = 'config' | 'code' | 'output' | 'children';

interface Props {
  pipeline: PipelineView;
  blockId: string;
  runId: string | null;
  /** The block's state in the last or current run: a failure is shown above every tab. */
  lastRun: BlockRunState | undefined;
  /** The last or current run, also while it runs (`runId` is null then). */
  liveRunId: string | null;
  /** Asked for from outside (Enter on a node opens the editor): each new `seq` switches to `tab`. */
  openTab?: { tab: Tab; seq: number } | null;
  /** A fanned-out block's children in the last or current run (`liveRunId`), counted by status. */
  childCounts?: ChildTally | undefined;
  /** Where the canvas sits while this block is open: above, beside (left) or hidden. */
  canvasPlace: CanvasPlace;
  onCanvasPlace(place: CanvasPlace): void;
  onClose(): void;
}

/** The selected block: its config as a typed form, its code beside its output, its output alone in a wide grid. */
export function BlockDetails({
  pipeline,
  blockId,
  runId,
  lastRun,
  liveRunId,
  childCounts,
  openTab,
  canvasPlace,
  onCanvasPlace,
  onClose,
}: Props) {
  const [tab, setTab] = useState<Tab>('output');
  useEffect(() => {
    if (openTab) setTab(openTab.tab);
  }, [openTab]);
  const block = pipeline.blocks.find((b) => b.id === blockId);
  if (!block) return null;
  const hasCode = Boolean(block.file);
  const hasChildren = Boolean(childCounts && childCounts.total > 0 && liveRunId);
  const shown = (tab === 'code' && !hasCode) || (tab === 'children' && !hasChildren) ? 'output' : tab;
  const output =
    block.type === 'export' ? (
      <p className="muted pad">
        An export writes outside the workspace, so it has no rows here: its last run&apos;s result is on the canvas and in the log.
        {block.upstream[0] && ` Select ${block.upstream[0]} to see the rows it sends.`}
      </p>
    ) : (
      <BlockPreview
        key={blockId}
        pipelineId={pipeline.id}
        blockId={blockId}
        version={previewVersion(liveRunId, lastRun)}
        noOutputNote={noOutputNote(blockId, lastRun)}
      />
    );
  return (
    <section className="details" aria-label={`Block ${blockId}`}>
      <header className="details-head">
        <h2>{blockId}</h2>
        <span className="muted">
          {block.type} · {block.kind}
        </span>
        <div className="tabs" role="tablist" aria-label="Block views">
          <TabButton tab="config" current={shown} onSelect={setTab} label="Config" />
          {hasCode && <TabButton tab="code" current={shown} onSelect={setTab} label="Code" />}
          <TabButton tab="output" current={shown} onSelect={setTab} label="Output" />
          {hasChildren && <TabButton tab="children" current={shown} onSelect={setTab} label="Children" />}
        </div>
        <CanvasPlaceButtons place={canvasPlace} onChange={onCanvasPlace} />
        <button type="button" className="icon-button" aria-label="Close block details" onClick={onClose}>
          ×
        </button>
      </header>
      {/* The Code tab shows the error at its line itself. */}
      {lastRun?.status === 'failed' && lastRun.error && shown !== 'code' && (
        <div className="details-error" role="alert" aria-label={`Error of ${blockId}`}>
          <strong>Last run failed</strong>
          <pre>{lastRun.error}</pre>
        </div>
      )}
      <div className="details-body" role="tabpanel" aria-label={TAB_LABELS[shown]}>
        {shown === 'output' && output}
        {shown === 'children' && childCounts && liveRunId && (
          <ChildrenTab key={`${liveRunId}:${blockId}`} runId={liveRunId} blockId={blockId} counts={childCounts} />
        )}
        {shown === 'code' && (
          <CodeAndOutput
            code={
              <BlockCodePanel
                key={blockId}
                pipelineId={pipeline.id}
                blockId={blockId}
                upstream={splitUpstream(pipeline, block.upstream).reads}
                version={runId}
                variables={pipeline.spec.variables}
              />
            }
            output={output}
          />
        )}
        {/* A block without code (a file, HTTP or warehouse source, an export) keeps its settings beside its rows instead. */}
        {shown === 'config' && <CodeAndOutput code={<ConfigTab key={blockId} pipeline={pipeline} blockId={blockId} />} output={output} />}
      </div>
    </section>
  );
}

function ConfigTab({ pipeline, blockId }: { pipeline: PipelineView; blockId: string }) {
  const sources = useFormSources();
  const { schemas } = useDesign();
  const block = pipeline.blocks.find((b) => b.id === blockId);
  if (!block) return null;
  const kind = sources.kinds?.find((k) => k.type === block.type && k.kind === block.kind);
  // A gcs block takes gcs connections, a postgres block postgres ones; kinds without a match list them all.
  const matching = sources.connections.filter((c) => c.type === block.kind);
  const connections = matching.length ? matching : sources.connections;
  const upstream = upstreamText(pipeline, block.upstream);
  // An export's fields (partition_by, key, clustering) name its upstream's columns; others name their own input's.
  const reads = splitUpstream(pipeline, block.upstream).reads[0];
  const columns = (reads ? schemas.get(reads)?.columns : undefined)?.map((c) => c.name);
  return (
    <div className="config-view">
      {block.description && <p>{block.description}</p>}
      <p className="muted">{upstream}</p>
      {kind ? (
        <ConfigForm
          pipelineId={pipeline.id}
          blockId={blockId}
          version={pipeline.version}
          config={(block.config ?? {}) as Record<string, unknown>}
          schema={kind.configSchema}
          connections={connections}
          {...(columns ? { columns } : {})}
        />
      ) : (
        <>
          {sources.error && <p className="muted">No form for this block ({sources.error}); its settings as in pipeline.yaml:</p>}
          {!sources.error && sources.kinds === null && (
            <p className="muted" role="status">
              Loading the form…
            </p>
          )}
          <pre aria-label="Block config">{stringify({ upstream: block.upstream, config: block.config })}</pre>
        </>
      )}
      <ChecksForColumns pipeline={pipeline} blockId={blockId} />
    </div>
  );
}

const TAB_LABELS: Record<Tab, string> = { config: 'Config', code: 'Code', output: 'Output', children: 'Children' };

function TabButton({ tab, current, onSelect, label }: { tab: Tab; current: Tab; onSelect(tab: Tab): void; label: string }) {
  return (
    <button type="button" role="tab" aria-selected={tab === current} className="tab" onClick={() => onSelect(tab)}>
      {label}
    </button>
  );
}

/** Changes when the run changes and when this block's status in it does, so rows appear as soon as the block finishes. */
function previewVersion(runId: string | null, lastRun: BlockRunState | undefined): string | null {
  return runId === null ? null : `${runId}:${lastRun?.status ?? 'idle'}`;
}

/** What to say when the block has no stored output, given where it is in the last or current run. */
function noOutputNote(blockId: string, lastRun: BlockRunState | undefined): string {
  switch (lastRun?.status) {
    case 'pending':
    case 'queued':
    case 'running':
      return `${blockId} has not finished in this run yet: its rows appear here when it does.`;
    case 'failed':
      return `No output: the last run of ${blockId} failed (see above).`;
    case 'skipped':
    case 'upstream_failed':
    case 'cancelled':
      return `No output: ${blockId} did not run to the end (${lastRun.status.replace('_', ' ')}).`;
    default:
      return `No output yet: press Run block (or Run pipeline) to produce ${blockId}'s rows.`;
  }
}
