import { limitKey } from './call-scope';

describe('limitKey (the bucket of a caller without a valid credential)', () => {
  it('is the IPv4 address, or the /64 of an IPv6 address however it is written', () => {
    expect(limitKey('127.0.0.1')).toBe('address:127.0.0.1');
    expect(limitKey('2001:db8:0:1:aaaa:bbbb:cccc:1')).toBe('address:2001:db8:0:1::/64');
    expect(limitKey('2001:0DB8:0000:0001::9')).toBe('address:2001:db8:0:1::/64'); // same /64, other host
    expect(limitKey('2001:db8::1')).toBe('address:2001:db8:0:0::/64');
    expect(limitKey('::1')).toBe('address:0:0:0:0::/64');
  });
});
