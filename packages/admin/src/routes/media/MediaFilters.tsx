import { OFFLOAD_STATUSES } from '@offload/types';
import { LOCATIONS } from './locations';
import type { OffloadStatus, StorageKey, Studio } from '@offload/types/graphql';

export type Filters = { location: StorageKey | null; status: OffloadStatus | null; studio: Studio | null };
export const NO_FILTERS: Filters = { location: null, status: null, studio: null };

const LOCATION_OPTIONS = Object.entries(LOCATIONS) as [StorageKey, string][];
const STATUS_OPTIONS = OFFLOAD_STATUSES.map((s): [OffloadStatus, string] => [s, s.toLowerCase()]);
const STUDIO_OPTIONS: [Studio, string][] = [
  ['IMAGE', 'Image Studio'],
  ['VIDEO', 'Video Studio'],
];

function Select<T extends string>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: T | null;
  options: [T, string][];
  onChange: (v: T | null) => void;
}) {
  const id = `filter-${label.toLowerCase()}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value ?? ''} onChange={(e) => onChange((e.target.value || null) as T | null)}>
        <option value="">All</option>
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </div>
  );
}

export function MediaFilters({ filters, onChange, onRefresh }: { filters: Filters; onChange: (filters: Filters) => void; onRefresh: () => void }) {
  return (
    <div className="filters">
      <Select label="Location" value={filters.location} options={LOCATION_OPTIONS} onChange={(location) => onChange({ ...filters, location })} />
      <Select label="Status" value={filters.status} options={STATUS_OPTIONS} onChange={(status) => onChange({ ...filters, status })} />
      <Select label="Studio" value={filters.studio} options={STUDIO_OPTIONS} onChange={(studio) => onChange({ ...filters, studio })} />
      <button type="button" onClick={onRefresh}>
        Refresh
      </button>
    </div>
  );
}
