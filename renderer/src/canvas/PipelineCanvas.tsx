import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useNodesInitialized,
  useReactFlow,
  useStore,
  type Connection,
  type Node,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import './canvas.css';
import type { PipelineView, BlockRunState } from '../api/views.ts';
import type { KindInfo } from '../editing/block-factory.ts';
import type { ExportTarget } from '../editing/export-blocks.ts';
import type { CanvasCommands } from '../editing/use-canvas-commands.ts';
import type { PipelineEditor } from '../editing/use-pipeline-editor.ts';
import { KIND_MIME } from '../palette/Palette.tsx';
import { NODE_HEIGHT, NODE_WIDTH } from './auto-layout.ts';
import { BlockDialog } from './BlockDialog.tsx';
import { doBlockAction, menuPlace } from './block-key-actions.ts';
import { BlockNode, type BlockFlowNode } from './BlockNode.tsx';
import { CanvasToolbar } from './CanvasToolbar.tsx';
import { NodeMenu } from './NodeMenu.tsx';
import { bringLocalEdit } from '../editing/transfer-blocks.ts';
import { RunStateContext } from './RunStateContext.tsx';
import type { ChildTally } from '../orchestration/children-state.ts';
import { ShortcutHelp } from './ShortcutHelp.tsx';
import { ExportPreviewDialog } from '../design/ExportPreviewDialog.tsx';
import { useCanvasGraph } from './use-canvas-graph.ts';
import { useCanvasShortcuts } from './use-canvas-shortcuts.ts';
import { READABLE_ZOOM } from './readable-fit.ts';
import { useReadableFit } from './use-readable-fit.ts';
import { MINIMAP_BOX, useMinimap, type Minimap } from './use-minimap.ts';

// Declared once at module scope: React Flow re-mounts every node when this object changes identity.
const nodeTypes = { block: BlockNode };
// Stable identities: React Flow copies changed props into its store, and a new handler re-fires its listeners.
const MULTI_SELECT_KEYS = ['Shift', 'Meta', 'Control'];
const PRO_OPTIONS = { hideAttribution: true };
const MINIMAP_STYLE = { width: MINIMAP_BOX.width, height: MINIMAP_BOX.height };
const isValidConnection = (c: { source: string; target: string }) => c.source !== c.target;

/** Refits the graph when the canvas changes size (the details panel opening or closing, a window resize) or its block count. */
function FitOnResize() {
  const fit = useReadableFit();
  const width = useStore((state) => state.width);
  const height = useStore((state) => state.height);
  const count = useStore((state) => state.nodeLookup.size);
  const isMeasured = useNodesInitialized();
  useEffect(() => {
    // Also when blocks come or go, so an added block (or one from another editor) is in view.
    if (isMeasured) fit();
  }, [width, height, count, isMeasured, fit]);
  return null;
}

/** The minimap, when shown (see useMinimap): hovering it keeps it while a pan brings blocks under it. */
function CanvasMiniMap({ minimap, nodeClassName }: { minimap: Minimap; nodeClassName: (n: Node) => string }) {
  if (!minimap.isShown) return null;
  // MiniMap passes no mouse handlers on: a box-less wrapper hears the pointer enter and leave it.
  return (
    <div className="minimap-hover" onMouseEnter={() => minimap.setHovered(true)} onMouseLeave={() => minimap.setHovered(false)}>
      <MiniMap
        pannable
        zoomable
        ariaLabel="Minimap"
        style={MINIMAP_STYLE}
        nodeClassName={nodeClassName}
        nodeBorderRadius={4}
        maskColor="rgba(128, 128, 128, 0.12)"
      />
    </div>
  );
}

interface Props {
  pipeline: PipelineView;
  runBlocks: Record<string, BlockRunState>;
  /** Dynamic children of the last or current run, counted by status per parent block. */
  runChildren: Record<string, ChildTally>;
  stale: ReadonlySet<string>;
  kinds: KindInfo[];
  exportTargets: ExportTarget[];
  commands: CanvasCommands;
  editor: PipelineEditor;
  onSelectBlock(blockId: string | null): void;
  onSelectionChange(blockIds: string[]): void;
  onExport(blockId: string, target: ExportTarget): void;
  /** Asks the new block's name, then adds it at `at` (flow coordinates). */
  onAddKind(kind: KindInfo, at: { x: number; y: number }): void;
  /** Enter on a block: its details, on the code (or config) tab. */
  onOpenEditor(blockId: string): void;
}

/** The pipeline's DAG, editable: every change is saved to pipeline.yaml / layout.json and can be undone. */
export function PipelineCanvas(props: Props) {
  return (
    <ReactFlowProvider>
      <EditableCanvas {...props} />
    </ReactFlowProvider>
  );
}

function EditableCanvas({
  pipeline,
  runBlocks,
  runChildren,
  stale,
  kinds,
  exportTargets,
  commands,
  editor,
  onSelectBlock,
  onSelectionChange,
  onExport,
  onAddKind,
  onOpenEditor,
}: Props) {
  const graph = useCanvasGraph(pipeline);
  const flow = useReactFlow();
  const fit = useReadableFit();
  const minimap = useMinimap();
  const wrapper = useRef<HTMLDivElement>(null);
  const [menu, setMenu] = useState<{ blockId: string; x: number; y: number } | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [isHelpOpen, setHelpOpen] = useState(false);
  const [previewing, setPreviewing] = useState<string | null>(null);
  const runState = useMemo(() => ({ blocks: runBlocks, children: runChildren, stale }), [runBlocks, runChildren, stale]);
  const selectedIds = () => graph.nodes.filter((n) => n.selected).map((n) => n.id);

  useCanvasShortcuts({
    deleteSelection: () =>
      void commands.deleteSelection(
        selectedIds(),
        graph.edges.filter((e) => e.selected),
      ),
    copy: () => commands.copy(selectedIds()),
    paste: () => void commands.paste(),
    undo: () => void editor.undo(),
    redo: () => void editor.redo(),
    selectAll: () => graph.selectOnly(graph.nodes.map((n) => n.id)),
    fit,
    layout: () => void commands.autoLayout().then(() => setTimeout(fit, 50)),
    help: () => setHelpOpen(true),
    minimap: minimap.toggle,
    escape: () => {
      setMenu(null);
      graph.selectOnly([]);
    },
    selectedIds,
    block: (action, blockId) =>
      doBlockAction(action, blockId, {
        pipeline,
        exportTargets,
        commands,
        onOpenEditor,
        onExport,
        onEdit: setEditing,
        onMenu: () => setMenu({ blockId, ...menuPlace(wrapper.current, blockId) }),
      }),
  });

  const onDrop = useCallback(
    (event: DragEvent) => {
      const payload = event.dataTransfer.getData(KIND_MIME);
      const kind = kinds.find((k) => `${k.type}/${k.kind}` === payload);
      if (!kind) return;
      event.preventDefault();
      const at = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      onAddKind(kind, { x: at.x - NODE_WIDTH / 2, y: at.y - NODE_HEIGHT / 2 });
    },
    [kinds, flow, onAddKind],
  );
  const handlers = useMemo(
    () => ({
      onConnect: (c: Connection) => void commands.connect(c.source, c.target),
      onNodeDragStop: (_event: unknown, _node: Node, moved: Node[]) =>
        void commands.moveBlocks(Object.fromEntries(moved.map((n) => [n.id, n.position]))),
      onNodeClick: (_event: unknown, node: Node) => onSelectBlock(node.id),
      onPaneClick: () => {
        setMenu(null);
        onSelectBlock(null);
      },
      onSelectionChange: ({ nodes }: { nodes: Node[] }) => onSelectionChange(nodes.map((n) => n.id)),
      onNodeContextMenu: (event: MouseEvent | React.MouseEvent, node: Node) => {
        event.preventDefault();
        const box = wrapper.current?.getBoundingClientRect();
        setMenu({ blockId: node.id, x: event.clientX - (box?.left ?? 0), y: event.clientY - (box?.top ?? 0) });
      },
    }),
    [commands, onSelectBlock, onSelectionChange],
  );
  const minimapClass = useCallback(
    (n: Node) => `minimap-node type-${String(n.data.blockType)} status-${runBlocks[n.id]?.status ?? 'idle'}`,
    [runBlocks],
  );
  const menuBlock = menu ? pipeline.blocks.find((b) => b.id === menu.blockId) : undefined;
  /** "Bring local" for a block whose data lives in a warehouse: a source reading its table, right of it. */
  const bringLocal = (blockId: string) => {
    const at = graph.nodes.find((n) => n.id === blockId)?.position ?? { x: 0, y: 0 };
    const transfer = bringLocalEdit(pipeline, blockId, { x: at.x + 280, y: at.y + 120 });
    return transfer ? () => void editor.apply([transfer.edit], `Bring ${blockId} local`) : undefined;
  };
  const editedBlock = editing ? pipeline.blocks.find((b) => b.id === editing) : undefined;

  return (
    <RunStateContext.Provider value={runState}>
      <div
        className="canvas-wrapper"
        ref={wrapper}
        onDragOver={(e) => e.dataTransfer.types.includes(KIND_MIME) && e.preventDefault()}
        onDrop={onDrop}
      >
        <ReactFlow<BlockFlowNode>
          aria-label={`Canvas of pipeline ${pipeline.id}`}
          nodes={graph.nodes}
          edges={graph.edges}
          nodeTypes={nodeTypes}
          onNodesChange={graph.onNodesChange}
          onEdgesChange={graph.onEdgesChange}
          onConnect={handlers.onConnect}
          isValidConnection={isValidConnection}
          onNodeDragStop={handlers.onNodeDragStop}
          onNodeClick={handlers.onNodeClick}
          onPaneClick={handlers.onPaneClick}
          onSelectionChange={handlers.onSelectionChange}
          onNodeContextMenu={handlers.onNodeContextMenu}
          deleteKeyCode={null}
          selectionKeyCode="Shift"
          multiSelectionKeyCode={MULTI_SELECT_KEYS}
          minZoom={READABLE_ZOOM}
          proOptions={PRO_OPTIONS}
        >
          <Background gap={16} size={1} />
          <CanvasMiniMap minimap={minimap} nodeClassName={minimapClass} />
          <FitOnResize />
          <Controls showInteractive={false} aria-label="Zoom controls" onFitView={fit} />
          <CanvasToolbar
            canUndo={editor.canUndo}
            canRedo={editor.canRedo}
            onUndo={() => void editor.undo()}
            onRedo={() => void editor.redo()}
            onLayout={() => void commands.autoLayout()}
            onFit={fit}
            isMinimapShown={minimap.isShown}
            onToggleMinimap={minimap.toggle}
            onHelp={() => setHelpOpen(true)}
          />
        </ReactFlow>
        {menu && menuBlock && (
          <NodeMenu
            blockId={menu.blockId}
            blockType={menuBlock.type}
            x={menu.x}
            y={menu.y}
            exportTargets={exportTargets}
            onRun={(scope) => void commands.run(menu.blockId, scope)}
            onExport={(target) => onExport(menu.blockId, target)}
            onBringLocal={bringLocal(menu.blockId)}
            onEdit={() => setEditing(menu.blockId)}
            onPreviewExport={() => setPreviewing(menu.blockId)}
            onCopy={() => commands.copy([menu.blockId])}
            onDelete={() => void commands.deleteSelection([menu.blockId], [])}
            onClose={() => setMenu(null)}
          />
        )}
        {editedBlock && (
          <BlockDialog
            key={editedBlock.id}
            blockId={editedBlock.id}
            config={editedBlock.config}
            onSave={(newId, config) => commands.saveBlock(editedBlock.id, newId, config)}
            onClose={() => setEditing(null)}
          />
        )}
        {isHelpOpen && <ShortcutHelp onClose={() => setHelpOpen(false)} />}
        {previewing && <ExportPreviewDialog pipeline={pipeline} blockId={previewing} onClose={() => setPreviewing(null)} />}
      </div>
    </RunStateContext.Provider>
  );
}
