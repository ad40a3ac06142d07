import { Lru } from '@lattice/platform';
import { type Product, tenantCatalog } from './products.ts';
import type { Executor } from './schema.ts';

/**
 * The products a tenant's orders named before, kept in memory: a product never changes once
 * added (the catalog has no update or delete, and a tenant cannot shadow a global SKU), so one
 * found is found for good and placing an order needs no catalog read for it. A SKU not found is
 * not remembered: it may be added later, by this instance or another.
 */
export class KnownProducts {
  readonly #products: Lru<string, Product>;

  constructor(max = 10_000) {
    this.#products = new Lru(max);
  }

  async bySkus(
    db: Executor,
    tenantId: string,
    skus: readonly string[],
  ): Promise<Map<string, Product>> {
    const found = new Map<string, Product>();
    const missing: string[] = [];
    for (const sku of skus) {
      const product = this.#products.get(`${tenantId}\u0000${sku}`);
      if (product) found.set(sku, product);
      else missing.push(sku);
    }
    if (missing.length === 0) return found;
    for (const [sku, product] of await tenantCatalog(db, tenantId).bySkus(missing)) {
      this.#products.set(`${tenantId}\u0000${sku}`, product);
      found.set(sku, product);
    }
    return found;
  }
}
