import { isCardNumber, isIban } from '@strongroom/money';
import { digitsOnly, redactPans, removeSensitiveAuthData } from './index';

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

/** `prefix` completed with its Luhn check digit. */
function withCheckDigit(prefix: string): string {
  for (let d = 0; d <= 9; d++) {
    const digits = `${prefix}${d}`;
    let sum = 0;
    for (let i = digits.length - 1, dbl = false; i >= 0; i--, dbl = !dbl) {
      let v = digits.charCodeAt(i) - 48;
      if (dbl) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 === 0) return digits;
  }
  throw new Error('unreachable');
}

describe('redactPans finds card numbers however they are written (issue 17)', () => {
  const PAN = '4000056655665556';
  const masked = '400005******5556';
  it.each([
    ['digit pairs', '40 00 05 66 55 66 55 56'],
    ['single digits', '4 0 0 0 0 5 6 6 5 5 6 6 5 5 5 6'],
    ['dots', '4000.0566.5566.5556'],
    ['slashes', '4000/0566/5566/5556'],
    ['underscores', '4000_0566_5566_5556'],
    ['tabs', '4000\t0566\t5566\t5556'],
    ['no-break spaces', '4000\u00a00566\u00a05566\u00a05556'],
    ['narrow no-break spaces', '4000\u202f0566\u202f5566\u202f5556'],
    ['zero-width spaces', '4000\u200b0566\u200b5566\u200b5556'],
    ['a zero-width joiner inside a group', '40\u200d000566556655\u200c56'],
    ['a line break', '4000 0566\n5566 5556'],
    ['en dashes', '4000\u20130566\u20135566\u20135556'],
    [
      'full-width digits',
      '\uff14\uff10\uff10\uff10\uff10\uff15\uff16\uff16\uff15\uff15\uff16\uff16\uff15\uff15\uff15\uff16',
    ],
    ['separators mixed', '4000 - 0566 . 5566_5556'],
  ])('%s', (_what, written) => {
    expect(redactPans(`card ${written} ok`)).toBe(`card ${masked} ok`);
  });

  it('never joins the digits of a masked card number with the digits around it', () => {
    // masking the Amex leaves 378282…; with the digits before it, that would read as a new card number
    const once = redactPans('CCD PAYMENT 2 2 2 3 0 0 4 2 6 4 5 378282123458612');
    expect(once).toMatch(/378282\*{5}8612$/);
    expect(redactPans(once)).toBe(once);
  });

  it('leaves hex digests alone, even when a digit run inside one would pass the card checks', () => {
    const digest = `e3b0c442${'4111111111111111'}98fc1c149afbf4c8996fb92427ae41e4649b934ca4`;
    expect(redactPans(`digest ${digest}`)).toBe(`digest ${digest}`);
  });

  it('finds a card number right after a valid IBAN', () => {
    expect(redactPans(`DE89370400440532013000 ${PAN}`)).toBe(`DE89370400440532013000 ${masked}`);
    expect(redactPans(`DE89 3704 0044 0532 0130 00 ${PAN}`)).toBe(`DE89 3704 0044 0532 0130 00 ${masked}`);
    // found by the leak test: the IBAN pattern ran on into the card's first groups, and IBAN + "4111 115"
    // passes mod 97 by chance — an IBAN is only taken at its country's length (22 for DE)
    expect(redactPans('paid DE89 3704 0044 0532 0130 00 4111 1157 9196 2644 ok')).toBe(
      'paid DE89 3704 0044 0532 0130 00 411111******2644 ok',
    );
    // and letters of no IBAN country before a card number ("INV12 4111 …" looked like an IBAN from "NV12")
    for (let i = 0; i < 100; i++) {
      const text = `INV${String(i).padStart(2, '0')} ${PAN.replace(/(\d{4})(?=\d)/g, '$1 ')}`;
      expect(redactPans(text).replace(/[^0-9]/g, '')).not.toContain(PAN);
    }
  });

  it('leaves Luhn-valid identifiers that no card network issues unchanged', () => {
    const trace = '021000021234500'; // an ACH trace number (ODFI routing 02100002, sequence 1234500)
    expect(withCheckDigit(trace.slice(0, -1))).toBe(trace);
    const account = withCheckDigit('700012341234123'); // 16 digits, prefix 7: no network
    const uuid = '12345678-1234-5678-1234-567812345678';
    const ref = withCheckDigit('100000000000000'); // 16 digits starting with 1
    for (const id of [trace, account, uuid, ref, '00000000-0000-4000-8000-000000000000'])
      expect(redactPans(`id ${id} end`)).toBe(`id ${id} end`);
  });

  it('still finds the networks: Visa, Mastercard (both series), Amex, Discover, JCB, Diners, UnionPay, Maestro', () => {
    for (const pan of [
      '4111111111111111',
      '5555555555554444',
      '2223003122003222',
      '378282246310005',
      '6011111111111117',
      '3530111333300000',
      '36227206271667',
      '6200000000000005',
      '6759649826438453',
    ])
      expect(redactPans(pan)).not.toBe(pan);
  });
});

describe('redactPans against a slow reference of the same rule', () => {
  // the rule written the simple way: normalise (digits, separators, invisible), cut IBANs (of their country's
  // length: a longer prefix may pass the checksum alone, and the card number right after the IBAN is still found)
  // and UUIDs out, take runs of digit groups with at most three separators between them, and in each the longest
  // card number at each start
  const isCard = (d: string) => d.length >= 13 && d.length <= 19 && isCardNumber(d);
  const reference = (input: string): string => {
    const text = removeSensitiveAuthData(input);
    const kinds: string[] = [];
    for (const ch of text) {
      const cp = ch.codePointAt(0) as number;
      for (let k = 0; k < ch.length; k++) kinds.push('|');
      const at = kinds.length - ch.length;
      if (/[0-9]/.test(ch)) kinds[at] = ch;
      else if (cp >= 0xff10 && cp <= 0xff19) kinds[at] = String(cp - 0xff10);
      else if (/[\u00ad\u180e\u200b-\u200d\u2060\ufeff]/.test(ch)) kinds[at] = '';
      else if (/[ \t\n\r\-./_\u00a0\u2000-\u200a\u2010-\u2015\u202f\u205f\u2212\u3000\uff0d-\uff0f]/.test(ch))
        kinds[at] = ' ';
    }
    if (!(text.length <= 34 && /^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(text) && isIban(text))) {
      for (const m of text.matchAll(/[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}/g)) {
        let t = m[0];
        while (t.replace(/ /g, '').length >= 15) {
          if (isIban(t.replace(/ /g, ''))) {
            for (let k = m.index; k < m.index + t.length; k++) kinds[k] = '|';
            break;
          }
          t = t.slice(0, -1).trimEnd();
        }
      }
      for (const m of text.matchAll(/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g))
        for (let k = m.index; k < m.index + m[0].length; k++) kinds[k] = '|';
      for (const m of text.matchAll(/[0-9]{6}\*{3,9}[0-9]{4}/g))
        for (let k = m.index; k < m.index + m[0].length; k++) kinds[k] = '|';
      for (const m of text.matchAll(/(?<![0-9A-Za-z])[0-9a-fA-F]{32,}(?![0-9A-Za-z])/g))
        if (/[a-fA-F]/.test(m[0])) for (let k = m.index; k < m.index + m[0].length; k++) kinds[k] = '|';
    } else {
      return text;
    }
    // runs: groups (consecutive digit positions, invisible ones skipped) with 1..3 separators between
    const groups: { start: number; end: number; digits: string; gapBefore: number }[] = [];
    let gap = Infinity;
    for (let k = 0; k < kinds.length; k++) {
      const c = kinds[k] as string;
      if (c === '') continue;
      if (/[0-9]/.test(c)) {
        const last = groups[groups.length - 1];
        if (last && last.end === k && gap === 0) {
          last.digits += c;
          last.end = k + 1;
        } else if (last && gap === 0) {
          // only invisible characters in between
          last.digits += c;
          last.end = k + 1;
        } else groups.push({ start: k, end: k + 1, digits: c, gapBefore: gap });
        gap = 0;
      } else if (c === ' ') gap = gap === Infinity ? Infinity : gap + 1;
      else gap = Infinity;
    }
    const out: { start: number; end: number; digits: string }[] = [];
    let runStart = 0;
    for (let g = 0; g <= groups.length; g++) {
      if (g === groups.length || (g > runStart && (groups[g] as { gapBefore: number }).gapBefore > 3)) {
        const run = groups.slice(runStart, g);
        for (let a = 0; a < run.length;) {
          let best: { start: number; end: number; digits: string } | undefined;
          let digits = '';
          for (let b = a; b < run.length; b++) {
            digits += run[b]!.digits;
            if (digits.length > 19) break;
            if (isCard(digits)) best = { start: run[a]!.start, end: run[b]!.end, digits };
          }
          if (!best) {
            a++;
            continue;
          }
          out.push(best);
          while (a < run.length && run[a]!.end <= best.end) a++;
        }
        runStart = g;
      }
    }
    let result = '';
    let at = 0;
    for (const p of out) {
      result +=
        text.slice(at, p.start) + `${p.digits.slice(0, 6)}${'*'.repeat(p.digits.length - 10)}${p.digits.slice(-4)}`;
      at = p.end;
    }
    return result + text.slice(at);
  };

  it('on 20,000 random texts mixing card numbers written every way, IBANs, UUIDs, identifiers, track data and CVV labels', () => {
    let seed = 42;
    const rnd = (n: number) => {
      // an exact LCG modulo 2^31 (Math.imul: the product written as a double lost its low bits)
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return Math.floor((seed / 2147483648) * n); // by its high bits: an LCG's low bits repeat with short periods
    };
    const pieces = [
      'DE004111111111111111',
      'NL39AAAA0000003762',
      'FR16AAAA0000000000000598978',
      '4111111111111111',
      '4111 1111 1111 1111',
      '5500-0000-0000-0004',
      '40 00 05 66 55 66 55 56',
      '4 0 0 0 0 5 6 6 5 5 6 6 5 5 5 6',
      '4000.0566.5566.5556',
      '4000\u200b0566\u200b5566\u200b5556',
      '\uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11',
      '4111111111111112',
      '021000021234500',
      '12345678-1234-5678-1234-567812345678',
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
      '.',
      '/',
      '\u00a0',
      '\t',
      'abc',
      'Zoë',
      '12',
      '1234',
      '0',
      'INV-2026-12345',
      '411111******1111',
      '378282*****0005',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'ab4111111111111111111111111111111111cd',
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

describe('digitsOnly', () => {
  it('gives the digits of a card field however it was typed, and undefined when anything else is in it', () => {
    expect(digitsOnly('4111111111111111')).toBe('4111111111111111');
    expect(digitsOnly('')).toBe('');
    expect(digitsOnly('4111 1111-1111 1111')).toBe('4111111111111111');
    expect(digitsOnly('４１１１\u200b1111')).toBe('41111111');
    expect(digitsOnly('4111x1111')).toBeUndefined();
  });
});
