import { useState } from 'react';
import { ProjectPicker } from '../projects/ProjectPicker.tsx';

interface Props {
  project: string;
  pipelines: string[];
  selected: string | null;
  onSelect(pipelineId: string): void;
}

/** The project (a button to open, create or switch projects) and its pipelines; the selected one is on the canvas. */
export function PipelineList({ project, pipelines, selected, onSelect }: Props) {
  const [isPickerOpen, setPickerOpen] = useState(false);
  return (
    <nav className="sidebar" aria-label="Pipelines">
      {/* Named by its visible text ("shop Switch project"), as WCAG's label-in-name asks. */}
      <button type="button" className="sidebar-project-button" title="Open, create or switch projects" onClick={() => setPickerOpen(true)}>
        <span>{project}</span>
        <span className="muted">
          Switch project<span aria-hidden="true"> ▾</span>
        </span>
      </button>
      {isPickerOpen && <ProjectPicker onClose={() => setPickerOpen(false)} />}
      <h2 className="sidebar-title">Pipelines</h2>
      {pipelines.length === 0 && <p className="muted">No pipelines yet: add one under pipelines/&lt;id&gt;/pipeline.yaml.</p>}
      <ul>
        {pipelines.map((id) => (
          <li key={id}>
            <button type="button" className="sidebar-item" aria-current={id === selected ? 'page' : undefined} onClick={() => onSelect(id)}>
              {id}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
