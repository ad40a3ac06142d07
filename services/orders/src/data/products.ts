import type { Executor } from './schema.ts';

export interface Product {
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
}

/**
 * The catalog a tenant sees: the global products (tenant_id NULL) and the tenant's own. Every
 * read starts here, so a tenant's products never reach another tenant.
 */
export function tenantCatalog(db: Executor, tenantId: string) {
  const visible = () =>
    db
      .selectFrom('products')
      .select(['sku', 'name', 'description', 'price_cents', 'currency'])
      .where((eb) => eb.or([eb('tenant_id', 'is', null), eb('tenant_id', '=', tenantId)]));

  return {
    async list(): Promise<Product[]> {
      const rows = await visible().orderBy('sku').orderBy('tenant_id').execute();
      return rows.map(toProduct);
    },

    async bySkus(skus: readonly string[]): Promise<Map<string, Product>> {
      if (skus.length === 0) return new Map();
      const rows = await visible()
        .where('sku', 'in', [...skus])
        .execute();
      return new Map(rows.map((row) => [row.sku, toProduct(row)]));
    },

    /**
     * Adds a product of the tenant's own; false when the SKU is taken, globally or in this
     * tenant (the unique index settles two concurrent adds of one SKU).
     */
    async add(product: Product): Promise<boolean> {
      const taken = await visible().where('sku', '=', product.sku).executeTakeFirst();
      if (taken) return false;
      const inserted = await db
        .insertInto('products')
        .values({
          tenant_id: tenantId,
          sku: product.sku,
          name: product.name,
          description: product.description,
          price_cents: product.priceCents,
          currency: product.currency,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('sku')
        .executeTakeFirst();
      return inserted !== undefined;
    },
  };
}

function toProduct(row: {
  sku: string;
  name: string;
  description: string;
  price_cents: number;
  currency: string;
}): Product {
  return {
    sku: row.sku,
    name: row.name,
    description: row.description,
    priceCents: row.price_cents,
    currency: row.currency,
  };
}
