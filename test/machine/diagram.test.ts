import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stateDiagramMarkdown } from '../../scripts/state-diagram.js';

describe('docs/state-machine.md', () => {
  it('is generated from the current machine definition (run `npm run diagram` after changing the machine)', () => {
    const committed = readFileSync(new URL('../../docs/state-machine.md', import.meta.url), 'utf8');
    expect(committed).toBe(stateDiagramMarkdown());
  });
});
