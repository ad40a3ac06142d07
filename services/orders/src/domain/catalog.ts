import type { Identity } from '@lattice/platform';
import { type Product, tenantCatalog } from '../data/products.ts';
import { OrdersErrors } from '../errors.ts';
import type { OrdersDeps } from './deps.ts';

/** The one currency of the catalog and of every order. */
export const CATALOG_CURRENCY = 'EUR';

export async function listProducts(
  deps: OrdersDeps,
  caller: Identity,
): Promise<{ items: Product[] }> {
  return { items: await tenantCatalog(deps.database.db, caller.tenantId).list() };
}

export interface NewProductRequest {
  sku: string;
  name: string;
  description?: string;
  priceCents: number;
  currency?: string;
}

/** A tenant admin adds a product of the tenant's own (the route checks the role). */
export async function addProduct(
  deps: OrdersDeps,
  caller: Identity,
  request: NewProductRequest,
): Promise<Product> {
  const product: Product = {
    sku: request.sku,
    name: request.name,
    description: request.description ?? '',
    priceCents: request.priceCents,
    currency: request.currency ?? CATALOG_CURRENCY,
  };
  const added = await deps.database.transaction((trx) =>
    tenantCatalog(trx, caller.tenantId).add(product),
  );
  if (!added) {
    throw OrdersErrors.productExists(
      `SKU ${product.sku} already names a product in your catalog; choose another`,
    );
  }
  return product;
}
