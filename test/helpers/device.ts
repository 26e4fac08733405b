import { createMailOAuth, type MailOAuthOptions } from '../../src/index.js';
import type { TokenStore } from '../../src/store/types.js';
import { memoryStore } from '../../src/store/memory.js';
import { fakeProvider, recordingLogger } from './fake-provider.js';
import { ManualClock } from './manual-clock.js';

export const ACCOUNT = 'scanner@contoso.example';

/** A device on the manual's pages with a fake provider, a manual clock and a recording logger. */
export async function makeDevice(options: Partial<MailOAuthOptions> & { store?: TokenStore; clock?: ManualClock } = {}) {
  const clock = options.clock ?? new ManualClock();
  const provider = fakeProvider(clock);
  const logger = recordingLogger();
  const store = options.store ?? memoryStore();
  const device = await createMailOAuth({ providers: [provider], store, clock, logger, random: () => 0.5, ...options });
  return { device, clock, provider, logger, store };
}

export async function configureOAuth(
  device: Awaited<ReturnType<typeof makeDevice>>['device'],
  pageId: string,
  account = ACCOUNT,
): Promise<void> {
  await device.page(pageId).configure({ authMethod: 'oauth2', provider: 'fake', account });
}
