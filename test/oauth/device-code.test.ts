/**
 * The device authorization start (RFC 8628 §3.2) against a real loopback endpoint: the timing a
 * server sends is held to bounds the device can keep (finite, JSON-safe, a timer Node honours).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_DEVICE_EXPIRES_MS,
  MAX_DEVICE_INTERVAL_MS,
  MIN_DEVICE_INTERVAL_MS,
  startDeviceAuthorization,
} from '../../src/oauth/device-code.js';
import { fixedClock, grantContext } from './context.js';

const NOW = 1_760_000_000_000;

let server: Server;
let endpoint: string;
// JSON text, so that numbers beyond a double's range (1e400) reach the parser as a server sends them.
let answer = '{}';

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/device`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function start(timing: string): Promise<{ intervalMs: number; lifetimeMs: number }> {
  answer = `{"device_code":"dc","user_code":"UC","verification_uri":"https://login.example/device"${timing}}`;
  const pending = await startDeviceAuthorization(
    endpoint,
    { method: 'none', clientId: 'c' },
    'openid',
    grantContext({ clock: fixedClock(NOW) }),
  );
  return { intervalMs: pending.intervalMs, lifetimeMs: pending.expiresAt - NOW };
}

describe('startDeviceAuthorization timing', () => {
  it('takes interval and expires_in as sent within bounds (Microsoft 5 s / 900 s, Google 5 s / 1800 s)', async () => {
    expect(await start(',"interval":5,"expires_in":900')).toEqual({ intervalMs: 5_000, lifetimeMs: 900_000 });
    expect(await start(',"interval":"60","expires_in":"1800"')).toEqual({ intervalMs: 60_000, lifetimeMs: 1_800_000 });
    expect(await start('')).toEqual({ intervalMs: 5_000, lifetimeMs: 900_000 });
  });

  it('caps a huge interval at 60 s and a huge expires_in at 1 h, so timers stay finite and honoured', async () => {
    expect(MAX_DEVICE_INTERVAL_MS).toBe(60_000);
    expect(MAX_DEVICE_EXPIRES_MS).toBe(3_600_000);
    for (const huge of ['1e308', '1.7976931348623157e308', '"99999999999999999999999"', '86400']) {
      expect(await start(`,"interval":${huge},"expires_in":${huge}`)).toEqual({
        intervalMs: MAX_DEVICE_INTERVAL_MS,
        lifetimeMs: MAX_DEVICE_EXPIRES_MS,
      });
    }
    expect(await start(',"interval":61,"expires_in":3601')).toEqual({ intervalMs: 60_000, lifetimeMs: 3_600_000 });
    // Beyond a double's range JSON.parse gives Infinity, which is not a usable number: the defaults apply.
    expect(await start(',"interval":1e400,"expires_in":1e400')).toEqual({ intervalMs: 5_000, lifetimeMs: 900_000 });
  });

  it('still raises an interval below 1 s to the floor', async () => {
    expect((await start(',"interval":0.001')).intervalMs).toBe(MIN_DEVICE_INTERVAL_MS);
  });
});
