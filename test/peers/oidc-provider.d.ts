// Minimal typings for the parts of oidc-provider v9 the test peers use (the package ships none).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface ProviderContext {
    oidc?: { params?: Record<string, unknown> };
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (ctx: ProviderContext, ...args: unknown[]) => void): this;
    readonly Grant: { find(id: string): Promise<unknown | undefined> };
  }
}
