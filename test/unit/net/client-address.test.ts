import { describe, expect, it } from 'vitest';
import { limitKey } from '../../../server/net/client-address.ts';

describe('limitKey', () => {
  it('keys IPv6 addresses by their /64, whatever way they are written', () => {
    expect(limitKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(limitKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(limitKey('2001:DB8:1:2::abcd')).toBe('2001:db8:1:2::/64');
    expect(limitKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(limitKey('2001:db8:1:3::1')).not.toBe(limitKey('2001:db8:1:2::1'));
  });

  it('keys IPv4 by the address, also when IPv4-mapped', () => {
    expect(limitKey('203.0.113.7')).toBe('203.0.113.7');
    expect(limitKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(limitKey('::ffff:203.0.113.8')).not.toBe(limitKey('::ffff:203.0.113.7'));
  });

  it('keeps text that is not an address as it is', () => {
    expect(limitKey('proxy.example')).toBe('proxy.example');
    expect(limitKey('')).toBe('');
  });
});
