import { useState, type FormEvent } from 'react';
import {
  PlanRemoveLocalCopiesDocument,
  PlanScanResultsDiskDocument,
  PlanVerifyStoredObjectsDocument,
  type MoveLocationFragment,
  type VerifyStoredObjectsInput,
} from '@offload/types/graphql';
import { describeError } from '../../app/apollo';
import { about, formatBytes, formatResults } from '../../components/format';
import { ANY_RESULTS, described, Field, FILTER_FIELDS, FilterFields, filterInput, type Filter, type FilterFieldsProps } from './MoveForm';
import { useBulkPlan } from './useBulkPlan';
import { formatCopies, useRemoveLocalCopiesMutation, useScanResultsDiskMutation, useVerifyStoredObjectsMutation } from './useBulkJobMutations';

type Plan = ReturnType<typeof useBulkPlan>;

/** The dry-run line: counting, the server's refusal (when no field shows it), or `said` of the plan. */
function lineOf(dryRun: Plan, fields: string[], said: (plan: NonNullable<Plan['plan']>) => string) {
  const unplaced = dryRun.error && !Object.keys(dryRun.problems).some((f) => fields.includes(f)) ? describeError(dryRun.error) : null;
  const line = !dryRun.current ? 'Counting…' : dryRun.plan ? said(dryRun.plan) : (unplaced ?? 'Nothing to do: see the problem above.');
  return { line, unplaced, ready: Boolean(dryRun.plan && dryRun.plan.items > 0) };
}

function DryRun({ id, line, error }: { id: string; line: string; error: boolean }) {
  return (
    <p className={`dry-run ${error ? 'error' : ''}`} role="status" aria-live="polite" data-testid={id}>
      {line}
    </p>
  );
}

/** Which of the bucket's results: folded at first; opened by the admin, or by a problem in it, and then left open. */
function WhichResults(props: FilterFieldsProps) {
  const narrowed = JSON.stringify(props.filter) !== JSON.stringify(ANY_RESULTS);
  const [open, setOpen] = useState(false);
  // A problem opens it; the toggle that follows keeps it open after the problem is gone.
  const problem = FILTER_FIELDS.some((f) => props.problems[f]);
  return (
    <details className="which-results" open={open || problem} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Which results: {narrowed ? 'some' : 'all'}</summary>
      <FilterFields {...props} />
    </details>
  );
}

function StartButton({ ready, starting }: { ready: boolean; starting: boolean }) {
  return (
    <button type="submit" className="primary" disabled={!ready || starting}>
      {starting ? 'Starting…' : 'Start'}
    </button>
  );
}

/** The scan's dry run walks the whole results disk (minutes on a large one): it runs when the admin asks, not with the screen. */
function ScanForm({ refresh }: { refresh: string }) {
  // When Count was pressed (the jobs as they were then): a job started or finished since makes it
  // out of date, to be asked for again rather than walked again unasked.
  const [countedAt, setCountedAt] = useState<string | null>(null);
  const asked = countedAt === refresh;
  const dryRun = useBulkPlan(PlanScanResultsDiskDocument, asked ? {} : null, (d) => d.planScanResultsDisk);
  const { line, unplaced, ready } = !asked
    ? { line: 'Count first: the scan walks the whole results disk.', unplaced: null, ready: false }
    : lineOf(dryRun, [], (plan) =>
        plan.items === 0
          ? 'Every result on this server is registered: nothing to do.'
          : `${formatResults(plan.items)}, ${formatBytes(plan.bytes)} on this server were never finalized and would be registered.`,
      );
  const [start, starting] = useScanResultsDiskMutation();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await start();
  };
  return (
    <form className="tool" onSubmit={submit} aria-labelledby="scan-heading">
      <h3 id="scan-heading">Scan the results disk</h3>
      <small className="help">Registers the results on this server’s results disk that were saved but never finalized, e.g. after a crash.</small>
      <DryRun id="scan-plan" line={line} error={Boolean(unplaced)} />
      {!asked && (
        <button type="button" onClick={() => setCountedAt(refresh)}>
          Count
        </button>
      )}
      <StartButton ready={ready} starting={starting.loading} />
    </form>
  );
}

/** The bucket chosen in a tool's select: the admin's pick, else the active bucket, else the one holding most results. */
function useBucket(buckets: MoveLocationFragment[]) {
  const [chosen, setChosen] = useState('');
  const fallback = buckets.find((l) => l.active) ?? [...buckets].sort((a, b) => b.usage.results - a.usage.results)[0];
  const id = buckets.some((l) => l.id === chosen) ? chosen : (fallback?.id ?? '');
  return [id, setChosen] as const;
}

function BucketSelect({
  id,
  buckets,
  value,
  problem,
  onChange,
}: {
  id: string;
  buckets: MoveLocationFragment[];
  value: string;
  problem?: string;
  onChange: (id: string) => void;
}) {
  return (
    <Field id={id} label="Bucket" problem={problem}>
      <select {...described(id, problem)} value={value} disabled={!buckets.length} onChange={(e) => onChange(e.target.value)}>
        {buckets.length ? null : <option value="">No bucket yet</option>}
        {buckets.map((l) => (
          <option key={l.id} value={l.id}>
            {l.label}
            {l.current ? '' : ' (retired)'} — {formatResults(l.usage.results)}
          </option>
        ))}
      </select>
    </Field>
  );
}

function VerifyForm({ buckets, refresh }: { buckets: MoveLocationFragment[]; refresh: string }) {
  const [locationId, setLocationId] = useBucket(buckets);
  const [sample, setSample] = useState('');
  const [filter, setFilter] = useState<Filter>(ANY_RESULTS);
  const sampleNumber = sample.trim() === '' ? null : Number(sample);
  const badSample = sampleNumber !== null && !(Number.isInteger(sampleNumber) && sampleNumber > 0);
  const input: VerifyStoredObjectsInput | null = locationId && !badSample ? { locationId, sample: sampleNumber, filter: filterInput(filter) } : null;
  const dryRun = useBulkPlan(PlanVerifyStoredObjectsDocument, input && { input }, (d) => d.planVerifyStoredObjects, refresh);
  const problems: Record<string, string | undefined> = {
    ...dryRun.problems,
    ...(badSample ? { sample: 'A whole number of results, 1 or more; leave blank to check them all.' } : {}),
  };
  const fields = ['locationId', 'sample', ...FILTER_FIELDS];
  const { line, unplaced, ready } = !input
    ? { line: badSample ? 'Nothing to check: see the problem above.' : 'Choose a bucket.', unplaced: null, ready: false }
    : lineOf(dryRun, fields, (plan) =>
        plan.items === 0
          ? 'No stored objects in this bucket match: nothing to check.'
          : `${about(plan.estimated)}${formatResults(plan.items)}, ${formatBytes(plan.bytes)} would be read back and checked.`,
      );
  const [start, starting] = useVerifyStoredObjectsMutation();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (input) await start(input);
  };
  return (
    <form className="tool" onSubmit={submit} aria-labelledby="verify-heading">
      <h3 id="verify-heading">Verify stored objects</h3>
      <small className="help">
        Reads objects back and compares them with their recorded SHA-256; mismatched or missing ones are marked, and repaired from a local copy where one
        exists.
      </small>
      <div className="form-grid">
        <BucketSelect id="verify-location" buckets={buckets} value={locationId} problem={problems.locationId} onChange={setLocationId} />
        <Field id="verify-sample" label="Sample" problem={problems.sample} help="At most this many results, from a random place; blank: all.">
          <input
            {...described('verify-sample', problems.sample, true)}
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            placeholder="All"
            value={sample}
            onChange={(e) => setSample(e.target.value)}
          />
        </Field>
      </div>
      <WhichResults id="verify" filter={filter} problems={problems} onChange={(change) => setFilter((f) => ({ ...f, ...change }))} />
      <DryRun id="verify-plan" line={line} error={Boolean(unplaced)} />
      <StartButton ready={ready} starting={starting.loading} />
    </form>
  );
}

function RemoveLocalForm({ buckets, refresh }: { buckets: MoveLocationFragment[]; refresh: string }) {
  const [locationId, setLocationId] = useBucket(buckets);
  const [filter, setFilter] = useState<Filter>(ANY_RESULTS);
  const input = locationId ? { locationId, filter: filterInput(filter) } : null;
  const dryRun = useBulkPlan(PlanRemoveLocalCopiesDocument, input && { input }, (d) => d.planRemoveLocalCopies, refresh);
  const { line, unplaced, ready } = !input
    ? { line: 'Choose a bucket.', unplaced: null, ready: false }
    : lineOf(dryRun, ['locationId', ...FILTER_FIELDS], (plan) =>
        plan.items === 0
          ? 'No local copies of this bucket’s results match: nothing to delete.'
          : `${about(plan.estimated)}${formatCopies(plan.items)}, ${formatBytes(plan.bytes)} would be deleted, each once its stored object reads back as recorded.`,
      );
  const [start, starting] = useRemoveLocalCopiesMutation();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const bucket = buckets.find((l) => l.id === locationId);
    if (bucket && input && dryRun.plan) await start(input, bucket.label, formatCopies(dryRun.plan.items));
  };
  return (
    <form className="tool" onSubmit={submit} aria-labelledby="remove-local-heading">
      <h3 id="remove-local-heading">Remove local copies</h3>
      <small className="help">Frees this server’s disk of results kept here as well as in a bucket.</small>
      <BucketSelect id="remove-local-location" buckets={buckets} value={locationId} problem={dryRun.problems.locationId} onChange={setLocationId} />
      <WhichResults id="remove-local" filter={filter} problems={dryRun.problems} onChange={(change) => setFilter((f) => ({ ...f, ...change }))} />
      <DryRun id="remove-local-plan" line={line} error={Boolean(unplaced)} />
      <StartButton ready={ready} starting={starting.loading} />
    </form>
  );
}

/**
 * The other bulk tools, each a small form with its dry run: register what the results disk holds
 * unfinalized, check a bucket's objects, free this server of copies a bucket holds. `refresh`
 * changes when a job starts or finishes, and the dry runs are asked again.
 */
export function OtherTools({ locations, refresh }: { locations: MoveLocationFragment[]; refresh: string }) {
  const buckets = locations.filter((l) => l.provider !== 'LOCAL');
  return (
    <section className="panel other-tools" aria-labelledby="other-tools-heading">
      <h2 id="other-tools-heading">Other tools</h2>
      <ScanForm refresh={refresh} />
      <VerifyForm buckets={buckets} refresh={refresh} />
      <RemoveLocalForm buckets={buckets} refresh={refresh} />
    </section>
  );
}
