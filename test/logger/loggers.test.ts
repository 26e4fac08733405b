import { Console } from 'node:console';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import winston from 'winston';
import { describe, expect, it } from 'vitest';
import { resolveLogger, type Logger } from '../../src/logger.js';
import { configureOAuth, makeDevice } from '../helpers/device.js';

/** A stream that keeps what was written, as text. */
function memoryStream(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Starts a device-code authorization on the manual's first SMTP page: the SDK logs `authorization started` with fields. */
async function logThroughDevice(logger: Logger): Promise<void> {
  const { device } = await makeDevice({ logger });
  try {
    await configureOAuth(device, 'smtp.services');
    await device.page('smtp.services').getToken({ flow: 'device-code' });
  } finally {
    await device.close();
  }
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any, expect.objectContaining, ...) as any
const started = { msg: 'authorization started', scope: expect.any(String), provider: 'fake', flow: 'device-code' };

describe('pino', () => {
  it('a pino logger passed to createMailOAuth keeps scope and every other field as JSON properties', async () => {
    const out = memoryStream();
    await logThroughDevice(pino({ level: 'debug' }, out.stream));
    const line = jsonLines(out.text()).find((entry) => entry['msg'] === 'authorization started');
    expect(line).toMatchObject({ ...started, level: 30 });
    expect(typeof line?.['scope']).toBe('string');
    expect((line?.['scope'] as string).length).toBeGreaterThan(0);
  });

  it('each level keeps its fields, child loggers too, and a line without fields is just the message', () => {
    const out = memoryStream();
    const logger = resolveLogger(pino({ level: 'debug' }, out.stream).child({ device: 'mfp-3f' }));
    logger.debug('d', { scope: 's1', n: 1 });
    logger.info('i', { scope: 's2', ok: true });
    logger.warn('w', { scope: 's3', code: 'ERR_STORE_WRITE' });
    logger.error('e', { scope: 's4' });
    logger.info('plain');
    expect(jsonLines(out.text()).map(({ level, msg, scope, n, ok, code, device }) => ({ level, msg, scope, n, ok, code, device }))).toEqual(
      [
        { level: 20, msg: 'd', scope: 's1', n: 1, ok: undefined, code: undefined, device: 'mfp-3f' },
        { level: 30, msg: 'i', scope: 's2', n: undefined, ok: true, code: undefined, device: 'mfp-3f' },
        { level: 40, msg: 'w', scope: 's3', n: undefined, ok: undefined, code: 'ERR_STORE_WRITE', device: 'mfp-3f' },
        { level: 50, msg: 'e', scope: 's4', n: undefined, ok: undefined, code: undefined, device: 'mfp-3f' },
        { level: 30, msg: 'plain', scope: undefined, n: undefined, ok: undefined, code: undefined, device: 'mfp-3f' },
      ],
    );
  });

  it("stays correct when resolved twice (transports resolve the device's logger again)", () => {
    const out = memoryStream();
    const logger = resolveLogger(resolveLogger(pino(out.stream)));
    logger.info('twice', { scope: 'x' });
    expect(jsonLines(out.text())[0]).toMatchObject({ msg: 'twice', scope: 'x' });
  });
});

describe('winston', () => {
  it('a winston logger with a JSON format and a stream transport keeps scope and the other fields', async () => {
    const out = memoryStream();
    const logger = winston.createLogger({
      level: 'debug',
      format: winston.format.json(),
      transports: [new winston.transports.Stream({ stream: out.stream })],
    });
    await logThroughDevice(logger);
    const line = jsonLines(out.text()).find((entry) => entry['message'] === 'authorization started');
    expect(line).toMatchObject({
      level: 'info',
      message: 'authorization started',
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any, expect.objectContaining, ...) as any
      scope: expect.any(String),
      provider: 'fake',
      flow: 'device-code',
    });
  });
});

describe('console', () => {
  it('console prints the message and the fields, and no "undefined" for a line without fields', async () => {
    const out = memoryStream();
    const logger = new Console({ stdout: out.stream, stderr: out.stream });
    await logThroughDevice(logger);
    // A caller forwarding optional fields passes `undefined` explicitly.
    resolveLogger(logger).info('no fields here', undefined);
    const text = out.text();
    expect(text).toMatch(/authorization started \{[^}]*scope: '[^']+'[^}]*provider: 'fake'[^}]*flow: 'device-code'/s);
    expect(text).toContain('no fields here\n');
    expect(text).not.toContain('undefined');
  });
});

describe('a failing logger', () => {
  it('never breaks the operation that was logging', async () => {
    const throwing: Logger = {
      debug: () => {
        throw new Error('disk full');
      },
      info: () => {
        throw new Error('disk full');
      },
      warn: () => {
        throw new Error('disk full');
      },
      error: () => {
        throw new Error('disk full');
      },
    };
    const { device } = await makeDevice({ logger: throwing });
    await configureOAuth(device, 'smtp.services');
    await expect(device.page('smtp.services').getToken({ flow: 'device-code' })).resolves.toMatchObject({ kind: 'device-code' });
    expect(device.page('smtp.services').status).toBe('waiting-for-authorization');
    await device.close();
  });
});
