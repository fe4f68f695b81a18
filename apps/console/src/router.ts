// A router of the console's pages (/, /runs/<id>, /dead-letters, /alerts, /audit, /explorer) on the History API: links stay plain hrefs that work
// with a middle click, and reloading a page shows it again (the gateway serves the console at every path).
import { useEffect, useState } from 'react';

export type Route =
  | { page: 'runs' }
  | { page: 'run'; id: string }
  | { page: 'dead-letters'; runId?: string }
  | { page: 'alerts' }
  | { page: 'audit' }
  | { page: 'explorer' };

export function routeOf(pathname: string, search = ''): Route {
  const m = /^\/runs\/([0-9a-f-]{36})\/?$/i.exec(pathname);
  if (m?.[1]) return { page: 'run', id: m[1] };
  if (/^\/dead-letters\/?$/.test(pathname)) {
    const runId = new URLSearchParams(search).get('run');
    return runId && /^[0-9a-f-]{36}$/i.test(runId) ? { page: 'dead-letters', runId } : { page: 'dead-letters' };
  }
  if (/^\/alerts\/?$/.test(pathname)) return { page: 'alerts' };
  if (/^\/audit\/?$/.test(pathname)) return { page: 'audit' };
  if (/^\/explorer\/?$/.test(pathname)) return { page: 'explorer' };
  return { page: 'runs' };
}

export function navigate(path: string): void {
  window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(window.location.pathname, window.location.search));
  useEffect(() => {
    const onPop = () => setRoute(routeOf(window.location.pathname, window.location.search));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  return route;
}

/** An in-page link: a real href, followed without reloading the page on a plain click. */
export function follow(
  event: { button: number; metaKey: boolean; ctrlKey: boolean; shiftKey: boolean; preventDefault(): void },
  path: string,
): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(path);
}
