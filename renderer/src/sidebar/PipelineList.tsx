interface Props {
  project: string;
  pipelines: string[];
  selected: string | null;
  onSelect(pipelineId: string): void;
}

/** The project's pipelines; the selected one is on the canvas. */
export function PipelineList({ project, pipelines, selected, onSelect }: Props) {
  return (
    <nav className="sidebar" aria-label="Pipelines">
      <div className="sidebar-project" title="Project">
        {project}
      </div>
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
