/**
 * Renders the token-scope machine as a Mermaid state diagram, from the machine definition
 * itself. `npm run diagram` rewrites docs/state-machine.md; a test fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTokenScopeMachine, type ScopeServices } from '../src/machine/token-scope.js';

interface Node {
  key: string;
  id: string;
  tags: Set<string>;
  states: Record<string, Node>;
  initial?: { target: Node[] };
  transitions: Map<string, Array<{ target?: Node[]; eventType: string; guard?: string | { type?: string } }>>;
  after: Array<{ eventType: string; delay: string | number; target?: Node[] }>;
  always?: Array<{ target?: Node[]; guard?: string | { type?: string } }>;
}

const unused = (): never => {
  throw new Error('not called while rendering');
};
const services: ScopeServices = {
  now: () => 0,
  random: () => 0,
  refreshMarginMs: 0,
  backoff: { initialMs: 0, maxMs: 0 },
  start: unused,
  poll: unused,
  exchange: unused,
  renew: unused,
  save: unused,
  saveLater: unused,
  revoke: unused,
};

const name = (node: Node): string => node.id.replace(/^tokenScope\.?/, '').replace(/\./g, '_') || 'tokenScope';

function label(eventType: string): string {
  const done = /^xstate\.done\.actor\.\d+\.tokenScope\.(.+)$/.exec(eventType) ?? /^xstate\.done\.actor\.(.+)$/.exec(eventType);
  if (done) return 'done';
  if (eventType.startsWith('xstate.error.actor')) return 'error';
  return eventType;
}

function guardOf(transition: { guard?: string | { type?: string } }): string {
  const guard = typeof transition.guard === 'string' ? transition.guard : transition.guard?.type;
  return guard ? ` [${guard}]` : '';
}

function render(node: Node, depth: number, lines: string[]): void {
  const pad = '  '.repeat(depth);
  const children = Object.values(node.states);
  if (node.initial?.target[0]) lines.push(`${pad}[*] --> ${name(node.initial.target[0])}`);
  for (const child of children) {
    const status = [...child.tags].filter((t) => t !== 'busy').join(', ');
    if (Object.keys(child.states).length > 0) {
      lines.push(`${pad}state ${name(child)} {`);
      render(child, depth + 1, lines);
      lines.push(`${pad}}`);
    }
    if (status) lines.push(`${pad}${name(child)} : ${status}`);
  }
  for (const child of children) {
    for (const [eventType, list] of child.transitions) {
      for (const transition of list) {
        for (const target of transition.target ?? []) {
          const guard = guardOf(transition);
          if (eventType.startsWith('xstate.after')) continue;
          lines.push(`${pad}${name(child)} --> ${name(target)} : ${label(eventType)}${guard}`);
        }
      }
    }
    for (const delayed of child.after) {
      for (const target of delayed.target ?? []) lines.push(`${pad}${name(child)} --> ${name(target)} : after ${String(delayed.delay)}`);
    }
    for (const transition of child.always ?? []) {
      for (const target of transition.target ?? []) {
        const guard = guardOf(transition);
        lines.push(`${pad}${name(child)} --> ${name(target)} : always${guard}`);
      }
    }
  }
}

/** The Markdown document with the diagram. */
export function stateDiagramMarkdown(): string {
  const machine = createTokenScopeMachine(services);
  const lines: string[] = [];
  render(machine.root as unknown as Node, 1, lines);
  return [
    '# Token-scope state machine',
    '',
    'Generated from `src/machine/token-scope.ts` by `npm run diagram`; a test fails when this file is stale.',
    'Each state is labelled with the status the settings pages show (`not-acquired`, `waiting-for-authorization`,',
    '`acquired`, `invalid`). Delays are computed from context: `untilRenewal` = expiry − margin (default 10 min,',
    'at most half the token life), `retry` = exponential back-off with jitter, honouring `Retry-After`.',
    '',
    '```mermaid',
    'stateDiagram-v2',
    ...lines,
    '```',
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../docs/state-machine.md', import.meta.url), stateDiagramMarkdown());
}
