import { redactPans } from './index';

describe('redactPans', () => {
  it('masks a Luhn-valid card number to first six and last four digits', () => {
    expect(redactPans('card 4111111111111111 declined')).toBe('card 411111******1111 declined');
  });

  it('masks numbers written with spaces or dashes', () => {
    expect(redactPans('pan=5500-0000-0000-0004;')).toBe('pan=550000******0004;');
    expect(redactPans('4111 1111 1111 1111')).toBe('411111******1111');
  });

  it('leaves numbers alone that are not Luhn-valid or have the wrong length', () => {
    expect(redactPans('order 4111111111111112')).toBe('order 4111111111111112');
    expect(redactPans('amount 123456789012')).toBe('amount 123456789012');
  });
});

describe('redactPans, edge cases a scanner must not miss', () => {
  it('finds a PAN next to another number and with repeated separators', () => {
    expect(redactPans('refund 1 4111111111111111')).toBe('refund 1 411111******1111');
    expect(redactPans('4111  1111  1111  1111')).toBe('411111******1111');
    expect(redactPans('x4111111111111111y')).toBe('x411111******1111y');
  });

  it('leaves digit strings longer than 19 digits and valid IBANs alone', () => {
    expect(redactPans('ref 41111111111111110000')).toBe('ref 41111111111111110000');
    expect(redactPans('DK5000400440116243')).toBe('DK5000400440116243');
    expect(redactPans('iban DE89 3704 0044 0532 0130 00 ok')).toBe('iban DE89 3704 0044 0532 0130 00 ok');
  });
});

describe('sensitive authentication data (PCI DSS 3.3)', () => {
  it('removes magnetic-stripe track 1 and track 2 data entirely, not just the PAN in it', () => {
    const t1 = redactPans('swipe %B4111111111111111^DOE/JOHN^28121010000000000000? ok');
    expect(t1).toBe('swipe [track data removed] ok');
    expect(redactPans('t2 ;4111111111111111=28121010000000000? end')).toBe('t2 [track data removed] end');
  });

  it('removes a card verification code written next to its label, and keeps other numbers', () => {
    expect(redactPans('card 4111 1111 1111 1111 exp 12/28 CVV: 123')).toBe(
      'card 411111******1111 exp 12/28 CVV: [removed]',
    );
    expect(redactPans('cvc2 4567 and security code #987')).toBe('cvc2 [removed] and security code #[removed]');
    expect(redactPans('invoice 123 paid')).toBe('invoice 123 paid');
  });
});

describe('redactPans, the fast pre-checks change no result', () => {
  // the detector as it was before the pre-checks (digit count, '^', '=', CVV label) and the
  // allocation-free IBAN checksum: the same text must give the same output
  const TRACK1 = /%?B[0-9]{12,19}\^[^^\n]{2,26}\^(?:[0-9]{4}|\^)(?:[0-9]{3}|\^)[^?\n]*\??/g;
  const TRACK2 = /;?[0-9]{12,19}=(?:[0-9]{4}|=)(?:[0-9]{3}|=)[^?\n\s]*\??/g;
  const CVV =
    /\b(cvv2?|cvc2?|cid|csc|card security code|security code)(\s*(?:no\.?|number)?\s*[:=#]?\s*)[0-9]{3,4}\b/gi;
  const referenceIban = (compact: string) => {
    const rearranged = compact.slice(4) + compact.slice(0, 4);
    let rem = 0;
    for (const ch of rearranged) {
      const code = ch.charCodeAt(0);
      const v = code >= 65 ? String(code - 55) : ch;
      for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
    }
    return rem === 1;
  };
  const luhn = (digits: string) => {
    let sum = 0;
    for (let i = digits.length - 1, dbl = false; i >= 0; i--, dbl = !dbl) {
      let d = digits.charCodeAt(i) - 48;
      if (dbl) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    return sum % 10 === 0;
  };
  const reference = (input: string): string => {
    const text = /[0-9]{3}/.test(input)
      ? input
          .replace(TRACK1, '[track data removed]')
          .replace(TRACK2, '[track data removed]')
          .replace(CVV, '$1$2[removed]')
      : input;
    if (!/[0-9]{4}/.test(text)) return text;
    const ibans: [number, number][] = [];
    for (const m of text.matchAll(/[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}/g)) {
      let s = m[0];
      while (s.replace(/ /g, '').length >= 15) {
        if (referenceIban(s.replace(/ /g, ''))) {
          ibans.push([m.index, m.index + s.length]);
          break;
        }
        s = s.slice(0, -1).trimEnd();
      }
    }
    let out = '';
    let at = 0;
    for (const m of text.matchAll(/(?<![0-9])[0-9]+(?:[ -]+[0-9]+)*(?![0-9])/g)) {
      if (ibans.some(([a, b]) => m.index >= a && m.index < b)) continue;
      const groups = [...m[0].matchAll(/[0-9]+/g)].map((g) => ({
        start: m.index + g.index,
        end: m.index + g.index + g[0].length,
        digits: g[0],
      }));
      for (let a = 0; a < groups.length;) {
        let best: { start: number; end: number; digits: string } | undefined;
        let digits = '';
        for (let b = a; b < groups.length; b++) {
          digits += groups[b]!.digits;
          if (digits.length > 19) break;
          if (digits.length >= 13 && luhn(digits)) best = { start: groups[a]!.start, end: groups[b]!.end, digits };
        }
        if (!best) {
          a++;
          continue;
        }
        out +=
          text.slice(at, best.start) +
          `${best.digits.slice(0, 6)}${'*'.repeat(best.digits.length - 10)}${best.digits.slice(-4)}`;
        at = best.end;
        while (a < groups.length && groups[a]!.end <= best.end) a++;
      }
    }
    return out + text.slice(at);
  };

  it('on 20,000 random texts mixing card numbers, IBANs, track data and CVV labels', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = [
      'DE004111111111111111',
      'NL39AAAA0000003762',
      'FR16AAAA0000000000000598978',
      '4111111111111111',
      '4111 1111 1111 1111',
      '5500-0000-0000-0004',
      '4111111111111112',
      'DE89370400440532013000',
      'GB29 NWBK 6016 1331 9268 19',
      'DE89 3704',
      '%B4111111111111111^DOE/J^2512101?',
      ';4111111111111111=25121010000?',
      'CVV: 123',
      'cvc2 4567',
      'Security Code 999',
      '=',
      '^',
      ' ',
      '-',
      'abc',
      'Zoë',
      '12',
      '1234',
      '0',
      'INV-2026-12345',
      '\n',
    ];
    for (let i = 0; i < 20_000; i++) {
      let s = '';
      for (let k = rnd(8); k >= 0; k--)
        s += rnd(3) === 0 ? String(rnd(10 ** (1 + rnd(9)))) : (pieces[rnd(pieces.length)] as string);
      expect(redactPans(s)).toBe(reference(s));
    }
  });
});
