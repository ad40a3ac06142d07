import { ROLES, type ServiceApp, type ServiceContext } from '@lattice/platform';
import { addProduct, listProducts } from '../domain/catalog.ts';
import type { OrdersDeps } from '../domain/deps.ts';
import { callerOf } from './caller.ts';
import { NewProductBody, ProductListReply, ProductReply } from './schemas.ts';

const tags = ['products'];
export const PRODUCTS_BASE = '/api/v1/products';

/** The catalog: global products for everyone, plus each tenant's own. */
export function registerProductRoutes(
  app: ServiceApp,
  deps: OrdersDeps,
  auth: ServiceContext['auth'],
): void {
  app.get(
    PRODUCTS_BASE,
    {
      onRequest: [auth.authenticate],
      schema: {
        tags,
        summary: "The catalog: the global products and your tenant's own, by SKU",
        description: 'Requires `Authorization: Bearer <accessToken>`',
        response: { 200: ProductListReply },
      },
    },
    async (request) => listProducts(deps, callerOf(request)),
  );

  app.post(
    PRODUCTS_BASE,
    {
      onRequest: [auth.authenticate, auth.requireRole(ROLES.admin)],
      schema: {
        tags,
        summary: "Add a product to your tenant's catalog (tenant admin); 409 if the SKU exists",
        description: 'Requires an access token with the role admin',
        body: NewProductBody,
        response: { 201: ProductReply },
      },
    },
    async (request, reply) => {
      const product = await addProduct(deps, callerOf(request), request.body);
      return reply.code(201).send(product);
    },
  );
}
