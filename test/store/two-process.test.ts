// Two processes share one store file and increment one counter 200 times each, every increment a
// read-modify-write inside withLock: any lost update (a lock that let both in) shows as < 400.
import { expect, it } from 'vitest';
import { fileStore } from '../../src/store/file.js';
import { finished, launcherFromEnv } from './children.js';
import { tempPaths, testKey } from './helpers.js';

const paths = tempPaths('two-process');
const PER_PROCESS = 200;

it(`two processes doing ${PER_PROCESS} locked increments each end at exactly ${2 * PER_PROCESS}`, async () => {
  const path = paths.next();
  const { launch } = await launcherFromEnv('tsx');
  const started = Date.now();
  const results = await Promise.all([0, 1].map(() => finished(launch('incrementer', [path, String(PER_PROCESS)]))));
  for (const { code, stderr } of results) {
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }
  expect(await fileStore({ path, key: testKey() }).get('counter')).toEqual({ n: 2 * PER_PROCESS });
  console.log(`two-process lock test: ${2 * PER_PROCESS} increments in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 120_000);
