import { LOG_LEVELS, type LogFilter, type MinLevel } from './log-filter.ts';

interface Props {
  filter: LogFilter;
  blockIds: string[];
  onChange(filter: LogFilter): void;
}

/** The log's block, minimum level and text filters, each with its own accessible name. */
export function LogFilters({ filter, blockIds, onChange }: Props) {
  return (
    <div className="log-filters" role="group" aria-label="Log filters">
      <select
        aria-label="Filter log by block"
        value={filter.blockId ?? ''}
        onChange={(e) => onChange({ ...filter, blockId: e.target.value || null })}
      >
        <option value="">All blocks</option>
        {blockIds.map((id) => (
          <option key={id} value={id}>
            {id}
          </option>
        ))}
      </select>
      <select
        aria-label="Minimum log level"
        value={filter.minLevel}
        onChange={(e) => onChange({ ...filter, minLevel: e.target.value as MinLevel })}
      >
        {LOG_LEVELS.map((level) => (
          <option key={level} value={level}>
            {level === 'debug' ? 'All levels' : `${level} and above`}
          </option>
        ))}
      </select>
      <input
        type="search"
        aria-label="Search the log"
        placeholder="Search the log…"
        value={filter.text}
        onChange={(e) => onChange({ ...filter, text: e.target.value })}
      />
    </div>
  );
}
