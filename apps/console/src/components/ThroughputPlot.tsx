import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { type RatePoint } from '../view/runs';

/** Records per second over the run's time, drawn live as progress snapshots arrive (uPlot, canvas). */
export function ThroughputPlot({ points, live }: { points: RatePoint[]; live: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  useEffect(() => {
    if (!host.current) return;
    plot.current = new uPlot(
      {
        width: Math.min(900, host.current.clientWidth || 900),
        height: 220,
        scales: { x: { time: false } },
        axes: [{ label: 'seconds since start' }, { label: 'records/s', size: 80 }],
        series: [{ label: 's' }, { label: 'records/s', stroke: '#1f6feb', width: 2, fill: 'rgba(31,111,235,0.12)' }],
      },
      [[], []],
      host.current,
    );
    return () => plot.current?.destroy();
  }, []);
  useEffect(() => {
    plot.current?.setData([points.map((p) => p.t), points.map((p) => p.rate)]);
  }, [points]);
  return (
    <figure className="plot">
      <div ref={host} data-testid="throughput-plot" data-points={points.length} />
      <figcaption className="muted">
        Throughput{live ? ', live' : ''} — {points.length ? `${points.length} points` : 'drawn while the run goes on'}
      </figcaption>
    </figure>
  );
}
