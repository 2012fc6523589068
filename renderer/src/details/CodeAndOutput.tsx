import type { ReactNode } from 'react';
import { CODE_PANE } from '../layout/panels.ts';
import { ResizeHandle } from '../layout/ResizeHandle.tsx';
import { usePanelSize } from '../layout/use-panel-size.ts';

/**
 * The block's code beside its output (Mage's notebook loop): Ctrl/Cmd+Enter in the code runs the block and the rows
 * appear on the right, without switching tabs. The handle between them is dragged or moved with the arrow keys.
 */
export function CodeAndOutput({ code, output }: { code: ReactNode; output: ReactNode }) {
  const [width, setWidth] = usePanelSize('code-width', CODE_PANE);
  return (
    <div className="code-and-output">
      <div className="code-pane" style={{ flex: `0 1 ${width}px` }}>
        {code}
      </div>
      <ResizeHandle label="Resize the code and output" orientation="vertical" size={width} {...CODE_PANE} onResize={setWidth} />
      <section className="output-pane" aria-label="Output">
        {output}
      </section>
    </div>
  );
}
