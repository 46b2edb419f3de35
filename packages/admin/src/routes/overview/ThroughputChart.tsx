import type { OverviewQuery } from '@offload/types/graphql';
import { formatBytes } from '../../components/format';

type Hour = OverviewQuery['overview']['throughput'][number];

const WIDTH = 480;
const HEIGHT = 120;
const hourLabel = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** Offloads per hour as bars (an SVG, no chart library); the numbers are in its label and in each bar's tooltip. */
export function ThroughputChart({ hours }: { hours: Hour[] }) {
  const total = hours.reduce((sum, h) => ({ results: sum.results + h.results, bytes: sum.bytes + h.bytes }), { results: 0, bytes: 0 });
  const busiest = hours.reduce((best, h) => (h.results > best.results ? h : best), hours[0]!);
  const max = Math.max(1, busiest.results);
  const bar = WIDTH / hours.length;
  const summary =
    total.results === 0
      ? `No offloads in the last ${hours.length} hours.`
      : `${total.results.toLocaleString()} results (${formatBytes(total.bytes)}) offloaded in the last ${hours.length} hours; ` +
        `the busiest hour, from ${hourLabel(busiest.hour)}, had ${busiest.results.toLocaleString()}.`;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary} data-testid="throughput-chart">
        {hours.map((h, i) => {
          const height = h.results ? Math.max(2, (h.results / max) * (HEIGHT - 4)) : 0;
          return (
            <rect key={h.hour} x={i * bar + 1} y={HEIGHT - height} width={bar - 2} height={height} className="bar">
              <title>{`${hourLabel(h.hour)}: ${h.results.toLocaleString()} results, ${formatBytes(h.bytes)}`}</title>
            </rect>
          );
        })}
        <line x1="0" x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} className="axis" />
      </svg>
      <figcaption className="help" data-testid="throughput-summary">
        {summary}
      </figcaption>
    </figure>
  );
}
