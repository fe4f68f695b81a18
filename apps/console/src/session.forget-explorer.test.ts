import { explorerStorage, forgetExplorer } from './session';

/** An in-memory Storage with the browser's behaviour for the calls the console makes. */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  const s = {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (k: string) => items.get(k) ?? null,
    key: (i: number) => [...items.keys()][i] ?? null,
    removeItem: (k: string) => void items.delete(k),
    setItem: (k: string, v: string) => void items.set(k, String(v)),
  };
  // Object.keys(sessionStorage) lists the stored keys in a browser
  return new Proxy(s, {
    ownKeys: () => [...items.keys()],
    getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }),
  }) as unknown as Storage;
}

describe('forgetExplorer', () => {
  it('removes what the explorer kept, and a save the explorer makes after sign-out is dropped', () => {
    const tab = memoryStorage();
    tab.setItem('strongroom.token', 't');
    const explorer = explorerStorage(tab);
    explorer.setItem('graphiql:tabState', '{"tabs":[]}');
    explorer.setItem('graphiql:queries', '[]');
    expect(tab.getItem('graphiql:tabState')).toBe('{"tabs":[]}');
    tab.removeItem('strongroom.token');
    forgetExplorer(tab);
    expect(tab.length).toBe(0);
    // GraphiQL saves its tabs on a timer: a save that lands after sign-out leaves nothing behind
    explorer.setItem('graphiql:tabState', '{"tabs":[1]}');
    expect(tab.length).toBe(0);
    // the next person's explorer keeps its state again
    explorerStorage(tab).setItem('graphiql:tabState', '{"tabs":[2]}');
    expect(tab.getItem('graphiql:tabState')).toBe('{"tabs":[2]}');
  });
});
