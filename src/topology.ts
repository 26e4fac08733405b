/**
 * Types for describing a device's settings pages and how they share tokens, and for the page
 * class `device.page(id)` returns for a literal id. Imported as `mail-oauth/topology`; the main
 * entry keeps them out because a device using the `mfpPages()` preset never names them.
 *
 * @packageDocumentation
 */
export type { LinkGroup, PageDefinition, PageTopology, TypedPageDefinition } from './registry/topology.js';
export type { MfpPageId } from './registry/mfp-pages.js';
export type { PageFor, PageOfProtocol } from './pages/types.js';
