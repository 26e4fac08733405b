/**
 * Renders the token-scope machine as a Mermaid state diagram from the shared machine definition
 * itself (`xstate/graph`), with no services bound. `npm run diagram` rewrites
 * docs/state-machine.md; a test fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import { tokenScopeMachine } from '../src/machine/token-scope.js';

type StateNode = DirectedGraphNode['stateNode'];
type Transition = DirectedGraphNode['edges'][number]['transition'];

const name = (node: StateNode): string => node.id.replace(/^tokenScope\.?/, '').replace(/\./g, '_') || 'tokenScope';

function label(eventType: string): string {
  if (eventType.startsWith('xstate.done.actor')) return 'done';
  if (eventType.startsWith('xstate.error.actor')) return 'error';
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  return eventType === '' ? 'always' : eventType;
}

function guardOf(transition: Transition): string {
  const guard = transition.guard as string | { type?: string } | ((...args: never[]) => unknown) | undefined;
  if (guard === undefined) return '';
  // Inline guards read a done event's typed output; each is a named function.
  if (typeof guard === 'function') return ` [${guard.name}]`;
  const type = typeof guard === 'string' ? guard : guard.type;
  return type ? ` [${type}]` : '';
}

function actionsOf(transition: Transition): string[] {
  return (transition.actions as ReadonlyArray<string | { type?: string } | ((...args: never[]) => unknown)>)
    .map((action) => (typeof action === 'string' ? action : typeof action === 'function' ? '' : (action.type ?? '')))
    .filter((type) => type !== '' && !type.startsWith('xstate.'));
}

function render(graph: DirectedGraphNode, depth: number, lines: string[], rules: string[]): void {
  const pad = '  '.repeat(depth);
  const node = graph.stateNode;
  const initial = node.initial?.target[0];
  if (initial !== undefined) lines.push(`${pad}[*] --> ${name(initial)}`);
  for (const child of graph.children) {
    const status = [...child.stateNode.tags].filter((t) => t !== 'busy').join(', ');
    if (child.children.length > 0) {
      lines.push(`${pad}state ${name(child.stateNode)} {`);
      render(child, depth + 1, lines, rules);
      lines.push(`${pad}}`);
    }
    if (status) lines.push(`${pad}${name(child.stateNode)} : ${status}`);
  }
  for (const child of graph.children) {
    for (const [eventType, transitions] of child.stateNode.transitions) {
      for (const transition of transitions) {
        const targets = transition.target ?? [];
        for (const target of targets)
          lines.push(`${pad}${name(child.stateNode)} --> ${name(target)} : ${label(eventType)}${guardOf(transition)}`);
        if (targets.length === 0)
          rules.push(`| ${name(child.stateNode)} | ${eventType}${guardOf(transition)} | ${actionsOf(transition).join(', ')} |`);
      }
    }
    for (const transition of child.stateNode.always ?? []) {
      for (const target of transition.target ?? [])
        lines.push(`${pad}${name(child.stateNode)} --> ${name(target)} : always${guardOf(transition)}`);
    }
  }
}

function rootRules(rules: string[]): void {
  for (const [eventType, transitions] of tokenScopeMachine.root.transitions) {
    for (const transition of transitions) {
      const targets = (transition.target ?? []).map(name).join(', ');
      rules.push(
        `| (any) | ${eventType}${guardOf(transition)} | ${[...actionsOf(transition), ...(targets ? [`→ ${targets}`] : [])].join(', ')} |`,
      );
    }
  }
}

/** The Markdown document with the diagram. */
export function stateDiagramMarkdown(): string {
  const lines: string[] = [];
  const rules: string[] = [];
  render(toDirectedGraph(tokenScopeMachine), 1, lines, rules);
  const fallbacks: string[] = [];
  rootRules(fallbacks);
  return [
    '# Token-scope state machine',
    '',
    'Generated from `src/machine/token-scope.ts` by `npm run diagram`; a test fails when this file is stale.',
    'Each state is labelled with the status the settings pages show (`not-acquired`, `waiting-for-authorization`,',
    '`acquired`, `invalid`). Delays are computed from context: `untilRenewal` = expiry − margin (default 10 min,',
    'at most half the token life), `retry` = exponential back-off with jitter, honouring `Retry-After`.',
    'Every request event carries an id; the machine answers it with exactly one emitted `reply` (`respond` answers',
    'at once, `wait` keeps the caller until the state it waits for, `answer` settles the callers waiting on a state,',
    '`defer` holds the request until the busy state ends).',
    '',
    '```mermaid',
    'stateDiagram-v2',
    ...lines,
    '```',
    '',
    '## Requests answered without a state change',
    '',
    '| state | event [guard] | actions |',
    '|---|---|---|',
    ...rules,
    '',
    '## Fallbacks (any state that does not handle the event itself)',
    '',
    '| state | event [guard] | actions |',
    '|---|---|---|',
    ...fallbacks,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../docs/state-machine.md', import.meta.url), stateDiagramMarkdown());
}
