import { describe, expect, it } from 'vitest';
import { allowedHostProblem, isLoopbackAddress, parseHostAndPort } from '../../src/config/host-names.js';

describe('parseHostAndPort', () => {
  it.each([
    ['example.com', { hostname: 'example.com', port: undefined }],
    ['Example.COM:08080', { hostname: 'example.com', port: '8080' }],
    ['my_host-1', { hostname: 'my_host-1', port: undefined }],
    ['10.0.0.2:80', { hostname: '10.0.0.2', port: '80' }],
    ['127.1', { hostname: '127.0.0.1', port: undefined }],
    ['[::1]:3000', { hostname: '[::1]', port: '3000' }],
    ['[0:0:0:0:0:0:0:1]', { hostname: '[::1]', port: undefined }],
  ])('%j', (text, expected) => {
    expect(parseHostAndPort(text)).toEqual(expected);
  });

  it.each(['', '*', '::1', 'http://example.com', 'example.com/', 'a b', 'user@host', 'host:', 'host:65536', 'host:x', '999.1.1.1', '[zz::1]', 'example..com', '.example.com'])(
    'refuses %j',
    (text) => {
      expect(parseHostAndPort(text)).toBeUndefined();
    },
  );
});

describe('allowedHostProblem', () => {
  it('accepts "*" and host[:port]', () => {
    expect(allowedHostProblem('*')).toBeUndefined();
    expect(allowedHostProblem('gateway.lan:8000')).toBeUndefined();
  });

  it('names the bad entry', () => {
    expect(allowedHostProblem('http://gateway.lan')).toMatch(/got "http:\/\/gateway\.lan"$/);
  });
});

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.0.0.2', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1'])('%s is loopback', (host) => {
    expect(isLoopbackAddress(host)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '192.168.1.10', 'gateway.lan', '', 'fe80::1%eth0', '128.0.0.1'])('%j is not', (host) => {
    expect(isLoopbackAddress(host)).toBe(false);
  });
});
