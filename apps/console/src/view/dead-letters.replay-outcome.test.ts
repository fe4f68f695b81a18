import { discardOutcome, replayOutcome, toggle, toggleAll } from './dead-letters';
import { errorText } from './errors';

describe('the dead-letter views', () => {
  it('says what a replay and a discard did', () => {
    expect(replayOutcome({ loaded: 1, alreadyLoaded: 0, stillFailing: 0, skipped: 0 })).toBe('Replayed: 1 loaded.');
    expect(replayOutcome({ loaded: 2, alreadyLoaded: 1, stillFailing: 3, skipped: 4 })).toBe(
      'Replayed: 2 loaded, 1 already loaded, 3 still failing, 4 skipped (not pending).',
    );
    expect(discardOutcome({ discarded: 5, skipped: 0 })).toBe('Discarded: 5.');
    expect(discardOutcome({ discarded: 5, skipped: 2 })).toBe('Discarded: 5, 2 skipped (not pending).');
  });

  it('selects one, all shown, and none again', () => {
    let s = toggle(new Set(), 'a');
    expect([...s]).toEqual(['a']);
    s = toggleAll(s, ['a', 'b', 'c']);
    expect([...s].sort()).toEqual(['a', 'b', 'c']);
    s = toggleAll(s, ['a', 'b', 'c']);
    expect([...s]).toEqual([]);
    expect([...toggle(new Set(['a']), 'a')]).toEqual([]);
  });

  it('shows errors without the client prefix', () => {
    expect(errorText('[GraphQL] the reason must not be empty')).toBe('the reason must not be empty');
  });
});
