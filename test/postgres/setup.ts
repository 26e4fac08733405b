import { afterAll, beforeAll, describe, it } from 'vitest';
import { postgresStatus, startPostgres, type PostgresPeer } from '../peers/postgres.js';

/**
 * Starts one private cluster for a test file and describes its tests, or skips them with a notice
 * when PostgreSQL is not installed; under `CI=true` a missing server fails instead.
 */
export function describePostgres(name: string, body: (peer: () => PostgresPeer) => void): void {
  if (!postgresStatus.available) {
    if (postgresStatus.required) {
      describe(name, () => {
        it('needs PostgreSQL in CI', () => {
          throw new Error(postgresStatus.message);
        });
      });
      return;
    }
    console.warn(postgresStatus.message);
    describe.skip(name, () => body(() => undefined as never));
    return;
  }
  describe(name, () => {
    let peer: PostgresPeer | undefined;
    beforeAll(async () => {
      peer = await startPostgres();
    }, 60_000);
    afterAll(async () => {
      await peer?.close();
    });
    body(() => {
      if (peer === undefined) throw new Error('the PostgreSQL peer did not start');
      return peer;
    });
  });
}

let tables = 0;
/** A table name no other test in this process uses: every store starts empty. */
export const freshTable = (): string => `t_${process.pid}_${tables++}`;
