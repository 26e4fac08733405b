import { TopologyError } from '../errors.js';
import type { Protocol } from '../settings/types.js';

/**
 * A settings page of the device.
 * @category Device
 */
export interface PageDefinition {
  /** Stable page id (used in the API and in the web UI). */
  id: string;
  /** The protocol the page configures. */
  protocol: Protocol;
  /** A human label (for the UI; not localized here). */
  label?: string;
}

/**
 * A {@link PageDefinition} whose id and protocol are literal types, so that `device.page(id)`
 * can be typed by protocol.
 * @category Device
 */
export interface TypedPageDefinition<Id extends string, P extends Protocol> extends PageDefinition {
  /** The page id, as a literal type. */
  readonly id: Id;
  /** The protocol, as a literal type. */
  readonly protocol: P;
}

/**
 * Pages that show one shared token: obtaining or deleting it on one updates all.
 * @category Device
 */
export interface LinkGroup {
  /** The scope id: the key under which the shared token is stored. Default: the first page's id. Keep it stable. */
  id?: string;
  /** The linked page ids. */
  pages: readonly string[];
}

/**
 * The device's pages and which of them share a token.
 * @category Device
 */
export interface PageTopology {
  /** Every page. A page not in a link group has its own token. */
  pages: readonly PageDefinition[];
  /** Groups of linked pages. */
  links?: readonly LinkGroup[];
}

/** A resolved scope: one token slot and the pages that view it. @internal */
export interface ScopeDefinition {
  id: string;
  protocol: Protocol;
  pages: readonly string[];
}

/** The validated topology: page → scope. @internal */
export interface Registry {
  readonly pages: ReadonlyMap<string, PageDefinition>;
  readonly scopes: ReadonlyMap<string, ScopeDefinition>;
  scopeOf(pageId: string): ScopeDefinition | undefined;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function fail(code: ConstructorParameters<typeof TopologyError>[0], message: string, params: Record<string, string>): never {
  throw new TopologyError(code, message, { params, kind: 'usage' });
}

/**
 * Validates a topology and resolves it into scopes. Throws a coded {@link TopologyError} for a
 * topology that cannot work.
 * @internal
 */
export function createRegistry(topology: PageTopology): Registry {
  if (topology.pages.length === 0) fail('ERR_TOPOLOGY_EMPTY', 'A topology needs at least one page', {});
  const pages = new Map<string, PageDefinition>();
  for (const page of topology.pages) {
    if (typeof page.id !== 'string' || !ID.test(page.id))
      fail('ERR_TOPOLOGY_UNKNOWN_PAGE', `Invalid page id "${String(page.id)}"`, { page: String(page.id) });
    if (page.protocol !== 'smtp' && page.protocol !== 'pop3' && page.protocol !== 'imap') {
      fail('ERR_TOPOLOGY_MIXED_PROTOCOLS', `Page "${page.id}" has an unknown protocol`, { page: page.id });
    }
    if (pages.has(page.id)) fail('ERR_TOPOLOGY_DUPLICATE_PAGE', `Page "${page.id}" is declared twice`, { page: page.id });
    pages.set(page.id, { ...page });
  }
  const scopes = new Map<string, ScopeDefinition>();
  const scopeOfPage = new Map<string, ScopeDefinition>();
  for (const group of topology.links ?? []) {
    if (group.pages.length === 0) fail('ERR_TOPOLOGY_EMPTY', 'A link group needs at least one page', {});
    const protocols = new Set<Protocol>();
    for (const id of group.pages) {
      const page = pages.get(id);
      if (page === undefined) fail('ERR_TOPOLOGY_UNKNOWN_PAGE', `Link group names unknown page "${id}"`, { page: id });
      if (scopeOfPage.has(id) || group.pages.indexOf(id) !== group.pages.lastIndexOf(id)) {
        fail('ERR_TOPOLOGY_PAGE_IN_TWO_GROUPS', `Page "${id}" is linked twice`, { page: id });
      }
      protocols.add(page.protocol);
    }
    if (protocols.size > 1)
      fail('ERR_TOPOLOGY_MIXED_PROTOCOLS', `Linked pages must share one protocol: ${group.pages.join(', ')}`, {
        pages: group.pages.join(', '),
      });
    // Not empty (checked above); the default keeps the type a plain string.
    const [first = ''] = group.pages;
    const id = group.id ?? first;
    if (!ID.test(id)) fail('ERR_TOPOLOGY_UNKNOWN_PAGE', `Invalid scope id "${id}"`, { scope: id });
    if (scopes.has(id)) fail('ERR_TOPOLOGY_DUPLICATE_PAGE', `Scope id "${id}" is used twice`, { scope: id });
    const scope: ScopeDefinition = { id, protocol: [...protocols][0] as Protocol, pages: [...group.pages] };
    scopes.set(id, scope);
    for (const pageId of group.pages) scopeOfPage.set(pageId, scope);
  }
  for (const page of pages.values()) {
    if (scopeOfPage.has(page.id)) continue;
    if (scopes.has(page.id))
      fail('ERR_TOPOLOGY_DUPLICATE_PAGE', `Scope id "${page.id}" collides with a page of its own`, { scope: page.id });
    const scope: ScopeDefinition = { id: page.id, protocol: page.protocol, pages: [page.id] };
    scopes.set(page.id, scope);
    scopeOfPage.set(page.id, scope);
  }
  return { pages, scopes, scopeOf: (pageId) => scopeOfPage.get(pageId) };
}
