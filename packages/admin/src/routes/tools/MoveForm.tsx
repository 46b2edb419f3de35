import { useState, type FormEvent, type ReactNode } from 'react';
import type { BulkFilterInput, MoveLocationFragment, MoveResultsInput, Studio } from '@offload/types/graphql';
import { describeError } from '../../app/apollo';
import { about, formatBytes, formatResults } from '../../components/format';
import { useMoveResultsMutation } from './useBulkJobMutations';
import { useMovePlan } from './useMovePlan';

/** Which results a job takes, as its form holds them. */
export type Filter = { studio: Studio | ''; pathPrefix: string; createdAfter: string; createdBefore: string };
export const ANY_RESULTS: Filter = { studio: '', pathPrefix: '', createdAfter: '', createdBefore: '' };
type Form = Filter & { from: string; to: string; deleteSource: boolean };

const isLocal = (l: MoveLocationFragment) => l.provider === 'LOCAL';
const mostResults = (locations: MoveLocationFragment[]) => [...locations].sort((a, b) => b.usage.results - a.usage.results)[0];

/** The three moves admins make, as From and To; the delete-source choice stays theirs to make. */
function presetsOf(locations: MoveLocationFragment[]) {
  const local = locations.find(isLocal);
  const active = locations.find((l) => l.active && !isLocal(l));
  const buckets = locations.filter((l) => !isLocal(l));
  const elsewhere = mostResults(buckets.filter((l) => l !== active && l.usage.results > 0));
  const destination = active ?? buckets.find((l) => l !== elsewhere);
  const held = active ?? mostResults(buckets);
  return [
    {
      name: 'Offload existing results',
      help: active
        ? `From this server’s results disk to ${active.label}, the bucket new results go to.`
        : 'From this server’s results disk to the active bucket: make a bucket the Default Storage first.',
      route: local && active ? { from: local.id, to: active.id } : null,
    },
    {
      name: 'Move to another bucket',
      help:
        elsewhere && destination
          ? `From ${elsewhere.label} to ${destination.label}, e.g. after changing buckets or accounts.`
          : 'From one bucket to another, e.g. after changing buckets: no other bucket holds results now.',
      route: elsewhere && destination ? { from: elsewhere.id, to: destination.id } : null,
    },
    {
      name: 'Download back to this server',
      help: held
        ? `From ${held.label} to this server’s results disk, e.g. before leaving a provider.`
        : 'From a bucket to this server’s results disk: no bucket yet.',
      route: local && held ? { from: held.id, to: local.id } : null,
    },
  ];
}

/** A date picked in the browser, as the start of that day in the browser's time zone. */
const startOfDay = (date: string) => (date ? new Date(`${date}T00:00`).toISOString() : undefined);

export const filterInput = (filter: Filter): BulkFilterInput => ({
  studio: filter.studio || undefined,
  pathPrefix: filter.pathPrefix.trim() || undefined,
  createdAfter: startOfDay(filter.createdAfter),
  createdBefore: startOfDay(filter.createdBefore),
});

const inputOf = (form: Form): MoveResultsInput => ({
  sourceLocationId: form.from,
  targetLocationId: form.to,
  deleteSource: form.deleteSource,
  filter: filterInput(form),
});

export interface FilterFieldsProps {
  /** Their ids start with this. */
  id: string;
  filter: Filter;
  /** The server's problems, by the API's field name. */
  problems: Record<string, string | undefined>;
  onChange: (change: Partial<Filter>) => void;
}

/** The filter's fields, each with the server's problem with it. */
export function FilterFields({ id, filter, problems, onChange }: FilterFieldsProps) {
  return (
    <div className="form-grid">
      <Field id={`${id}-studio`} label="Studio" problem={problems['filter.studio']}>
        <select
          {...described(`${id}-studio`, problems['filter.studio'])}
          value={filter.studio}
          onChange={(e) => onChange({ studio: e.target.value as Studio | '' })}
        >
          <option value="">Any</option>
          <option value="IMAGE">Image Studio</option>
          <option value="VIDEO">Video Studio</option>
        </select>
      </Field>
      <Field id={`${id}-folder`} label="Folder" problem={problems['filter.pathPrefix']} help="Only results under this folder, e.g. images/gemini.">
        <input
          {...described(`${id}-folder`, problems['filter.pathPrefix'], true)}
          type="text"
          autoComplete="off"
          spellCheck={false}
          placeholder="Any folder"
          value={filter.pathPrefix}
          onChange={(e) => onChange({ pathPrefix: e.target.value })}
        />
      </Field>
      <Field id={`${id}-created-after`} label="Created after" problem={problems['filter.createdAfter']} help="From the start of this day.">
        <input
          {...described(`${id}-created-after`, problems['filter.createdAfter'], true)}
          type="date"
          value={filter.createdAfter}
          onChange={(e) => onChange({ createdAfter: e.target.value })}
        />
      </Field>
      <Field id={`${id}-created-before`} label="Created before" problem={problems['filter.createdBefore']} help="Up to the start of this day.">
        <input
          {...described(`${id}-created-before`, problems['filter.createdBefore'], true)}
          type="date"
          value={filter.createdBefore}
          onChange={(e) => onChange({ createdBefore: e.target.value })}
        />
      </Field>
    </div>
  );
}

/** The filter fields a job's form reads from the server's problems. */
export const FILTER_FIELDS = ['filter.studio', 'filter.pathPrefix', 'filter.createdAfter', 'filter.createdBefore'];

/** One control with its label, and the server's problem with it (by the API's field name) under it. */
export function Field({ id, label, problem, help, children }: { id: string; label: string; problem?: string; help?: string; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {help && (
        <small id={`${id}-help`} className="help">
          {help}
        </small>
      )}
      {problem && (
        <small id={`${id}-error`} className="error field-error">
          {problem}
        </small>
      )}
    </div>
  );
}

/** aria-invalid and aria-describedby for a control that `Field` wraps. */
export const described = (id: string, problem?: string, help?: boolean) => ({
  id,
  'aria-invalid': problem ? true : undefined,
  'aria-describedby': [help && `${id}-help`, problem && `${id}-error`].filter(Boolean).join(' ') || undefined,
});

/**
 * The move form: where from and to (with a preset for each common task), whether to delete the
 * source copies, which results; the dry run of what it would take, updated as the form changes.
 */
export function MoveForm({ locations }: { locations: MoveLocationFragment[] }) {
  const presets = presetsOf(locations);
  const [form, setForm] = useState<Form>(() => ({
    ...(presets[0]!.route ?? { from: locations.find(isLocal)?.id ?? '', to: '' }),
    deleteSource: false,
    ...ANY_RESULTS,
  }));
  const set = (change: Partial<Form>) => setForm((f) => ({ ...f, ...change }));
  const sameLocation = form.from !== '' && form.from === form.to;
  const input = form.from && form.to && !sameLocation ? inputOf(form) : null;
  const source = locations.find((l) => l.id === form.from);
  const dryRun = useMovePlan(input, source?.usage.results);
  const problems: Record<string, string | undefined> = {
    ...dryRun.problems,
    ...(sameLocation ? { targetLocationId: 'Choose a location other than the one results move from.' } : {}),
  };
  const [start, starting] = useMoveResultsMutation();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (input) await start(input);
  };

  const fieldProblems = new Set(['sourceLocationId', 'targetLocationId', ...FILTER_FIELDS]);
  const unplaced = dryRun.error && !Object.keys(dryRun.problems).some((f) => fieldProblems.has(f)) ? describeError(dryRun.error) : null;
  const line = !input
    ? sameLocation
      ? 'Nothing would move: From and To are the same location.'
      : 'Choose where results move from and to.'
    : !dryRun.current
      ? 'Counting…'
      : dryRun.plan
        ? dryRun.plan.items === 0
          ? 'No results match: nothing would move.'
          : `${about(dryRun.plan.estimated)}${formatResults(dryRun.plan.items)}, ${formatBytes(dryRun.plan.bytes)} would move${form.deleteSource ? ', each source copy deleted once its copy is verified' : ''}.`
        : (unplaced ?? 'Nothing would move: see the problems above.');
  const ready = Boolean(input && dryRun.plan && dryRun.plan.items > 0);

  const locationOptions = locations.map((l) => (
    <option key={l.id} value={l.id}>
      {l.label}
      {l.current ? '' : ' (retired)'} — {formatResults(l.usage.results)}
    </option>
  ));
  return (
    <form className="panel move-form" onSubmit={submit} aria-labelledby="move-heading">
      <h2 id="move-heading">Move results</h2>
      <div className="presets" role="group" aria-label="Common tasks">
        {presets.map((p) => (
          <div className="preset" key={p.name}>
            <button type="button" disabled={!p.route} onClick={() => p.route && set(p.route)}>
              {p.name}
            </button>
            <small className="help">{p.help}</small>
          </div>
        ))}
      </div>
      <div className="form-grid">
        <Field id="move-from" label="From" problem={problems.sourceLocationId}>
          <select {...described('move-from', problems.sourceLocationId)} value={form.from} onChange={(e) => set({ from: e.target.value })}>
            <option value="">Choose a location…</option>
            {locationOptions}
          </select>
        </Field>
        <Field id="move-to" label="To" problem={problems.targetLocationId}>
          <select {...described('move-to', problems.targetLocationId)} value={form.to} onChange={(e) => set({ to: e.target.value })}>
            <option value="">Choose a location…</option>
            {locationOptions}
          </select>
        </Field>
      </div>
      <label className="check" htmlFor="move-delete-source">
        <input id="move-delete-source" type="checkbox" checked={form.deleteSource} onChange={(e) => set({ deleteSource: e.target.checked })} />
        <span>
          Delete the source copy once the copy is verified
          <small className="help">
            Each result is copied, checked against its recorded SHA-256 and switched to its new location before its old copy is deleted. Leave unticked to keep
            both.
          </small>
        </span>
      </label>
      <fieldset>
        <legend>Which results</legend>
        <FilterFields id="move" filter={form} problems={problems} onChange={set} />
      </fieldset>
      <p className={`dry-run ${unplaced ? 'error' : ''}`} role="status" aria-live="polite" data-testid="move-plan">
        {line}
      </p>
      <button type="submit" className="primary" disabled={!ready || starting.loading}>
        {starting.loading ? 'Starting…' : 'Start'}
      </button>
    </form>
  );
}
