import { useEffect } from 'react';

/** Re-runs a query from the network every two seconds while `active` (live lists and partitions). */
export function useRefreshEvery(refresh: (opts: { requestPolicy: 'network-only' }) => void, active = true): void {
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => refresh({ requestPolicy: 'network-only' }), 2000);
    return () => clearInterval(timer);
  }, [active, refresh]);
}
