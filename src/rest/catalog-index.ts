/**
 * Per-catalog lookups for the REST routes: tools and prompts by name, and the argument checker.
 * Built lazily once per catalog object; an upstream replaces its catalog on every refresh, so a
 * stale index (and its compiled validators) is dropped with the old catalog.
 *
 * @module
 */
import type { Prompt, Tool } from '@modelcontextprotocol/client';
import type { Logger } from '../log/logger.js';
import type { Catalog } from '../upstream/catalog.js';
import { ArgumentsChecker } from './validate-arguments.js';

export interface CatalogIndex {
  tools: ReadonlyMap<string, Tool>;
  prompts: ReadonlyMap<string, Prompt>;
  checker: ArgumentsChecker;
}

export class CatalogIndexes {
  private readonly indexes = new WeakMap<Catalog, CatalogIndex>();

  constructor(private readonly logger: Logger) {}

  of(catalog: Catalog): CatalogIndex {
    let index = this.indexes.get(catalog);
    if (!index) {
      index = {
        tools: new Map(catalog.tools.map((tool) => [tool.name, tool])),
        prompts: new Map(catalog.prompts.map((prompt) => [prompt.name, prompt])),
        checker: new ArgumentsChecker(this.logger),
      };
      this.indexes.set(catalog, index);
    }
    return index;
  }
}
