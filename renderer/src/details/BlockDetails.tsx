import { useState } from 'react';
import type { PipelineView } from '../api/views.ts';
import { PreviewGrid } from '../preview/PreviewGrid.tsx';
import { stringify } from './yaml-text.ts';

type Tab = 'preview' | 'config';

interface Props {
  pipeline: PipelineView;
  blockId: string;
  runId: string | null;
  onClose(): void;
}

/** The selected block: its output preview, or its config and code (read-only for now). */
export function BlockDetails({ pipeline, blockId, runId, onClose }: Props) {
  const [tab, setTab] = useState<Tab>('preview');
  const block = pipeline.blocks.find((b) => b.id === blockId);
  if (!block) return null;
  return (
    <section className="details" aria-label={`Block ${blockId}`}>
      <header className="details-head">
        <h2>{blockId}</h2>
        <span className="muted">
          {block.type} · {block.kind}
        </span>
        <div className="tabs" role="tablist" aria-label="Block views">
          <TabButton tab="preview" current={tab} onSelect={setTab} label="Preview" />
          <TabButton tab="config" current={tab} onSelect={setTab} label="Config and code" />
        </div>
        <button type="button" className="icon-button" aria-label="Close block details" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="details-body" role="tabpanel" aria-label={tab === 'preview' ? 'Preview' : 'Config and code'}>
        {tab === 'preview' ? (
          <PreviewGrid key={blockId} pipelineId={pipeline.id} blockId={blockId} version={runId} />
        ) : (
          <div className="config-view">
            {block.description && <p>{block.description}</p>}
            <h3>Config</h3>
            <pre aria-label="Block config">{stringify({ upstream: block.upstream, config: block.config })}</pre>
            {block.code !== null && (
              <>
                <h3>{block.file}</h3>
                <pre aria-label="Block code">{block.code}</pre>
              </>
            )}
          </div>
        )}
      </div>
    </section>
  );
}

function TabButton({ tab, current, onSelect, label }: { tab: Tab; current: Tab; onSelect(tab: Tab): void; label: string }) {
  return (
    <button type="button" role="tab" aria-selected={tab === current} className="tab" onClick={() => onSelect(tab)}>
      {label}
    </button>
  );
}
