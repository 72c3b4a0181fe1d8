// Which address a request is counted against: the socket's, unless it is a trusted proxy; then the
// right-most X-Forwarded-For hop that is not one, whatever the client wrote to the left of it.
import { describe, expect, it } from '@jest/globals';
import { addressBucket, clientAddress, normaliseAddress, trustedProxyList } from './client-address.js';

const proxies = trustedProxyList(['10.0.0.0/8', '192.168.1.10', 'fd00::/8']);

describe('clientAddress', () => {
  it('with no trusted proxies, is the socket address whatever X-Forwarded-For says', () => {
    expect(clientAddress('203.0.113.7', '198.51.100.1', null)).toBe('203.0.113.7');
    expect(clientAddress('::ffff:203.0.113.7', undefined, trustedProxyList([]))).toBe('203.0.113.7');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(clientAddress('203.0.113.7', '198.51.100.1, 10.0.0.5', proxies)).toBe('203.0.113.7');
  });

  it('behind trusted proxies, is the right-most hop that is not one of them', () => {
    expect(clientAddress('10.0.0.5', '203.0.113.7', proxies)).toBe('203.0.113.7');
    expect(clientAddress('::ffff:10.0.0.5', '198.51.100.1, 203.0.113.7, 192.168.1.10', proxies)).toBe('203.0.113.7');
    expect(clientAddress('10.0.0.5', ['198.51.100.1, 203.0.113.7', '10.1.2.3'], proxies)).toBe('203.0.113.7');
    expect(clientAddress('fd00::1', '2001:db8::7', proxies)).toBe('2001:db8::7');
  });

  it('made-up hops to the left of the client change nothing', () => {
    for (const spoofed of ['1.2.3.4', '10.0.0.9, 8.8.8.8', 'not-an-address', '']) {
      expect(clientAddress('10.0.0.5', `${spoofed}, 203.0.113.7`, proxies)).toBe('203.0.113.7');
    }
  });

  it('when every hop is a trusted proxy, is the left-most; when a proxy passed on something that is not an address, the nearest proxy', () => {
    expect(clientAddress('10.0.0.5', '192.168.1.10, 10.9.9.9', proxies)).toBe('192.168.1.10');
    expect(clientAddress('10.0.0.5', undefined, proxies)).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.5', 'garbage', proxies)).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.5', '203.0.113.7, garbage, 10.0.0.6', proxies)).toBe('10.0.0.6');
  });

  it('without a socket address, counts the request as unknown', () => {
    expect(clientAddress(undefined, '203.0.113.7', proxies)).toBe('unknown');
  });
});

describe('normaliseAddress and addressBucket', () => {
  it('spells an address one way', () => {
    expect(normaliseAddress('::FFFF:203.0.113.7')).toBe('203.0.113.7');
    expect(normaliseAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normaliseAddress('2001:DB8::A')).toBe('2001:db8::a');
    expect(normaliseAddress('203.0.113.300')).toBeNull();
    expect(normaliseAddress('')).toBeNull();
  });

  it('counts IPv4 per address and IPv6 per /64', () => {
    expect(addressBucket('203.0.113.7')).toBe('203.0.113.7');
    expect(addressBucket('2001:db8:12:34::1')).toBe('2001:db8:12:34::/64');
    expect(addressBucket('2001:db8:12:34:ffff:ffff:ffff:ffff')).toBe('2001:db8:12:34::/64');
    expect(addressBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
    expect(addressBucket('64:ff9b::203.0.113.7')).toBe('64:ff9b:0:0::/64');
    expect(addressBucket('2001:db8:12:35::1')).not.toBe(addressBucket('2001:db8:12:34::1'));
  });
});
