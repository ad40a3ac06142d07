-- The product catalog. Global products (tenant_id NULL) are seeded here and visible to every
-- tenant; a tenant admin adds products of the tenant's own (tenant_id set), visible to that
-- tenant only. A SKU names one product for a tenant: unique among the global products and the
-- tenant's own (a tenant cannot shadow a global SKU: src/data/products.ts checks it).
-- Prices are in minor units of one currency, EUR, for the whole catalog.
CREATE TABLE products (
  id bigserial PRIMARY KEY,
  tenant_id text,
  sku text NOT NULL,
  name text NOT NULL,
  description text NOT NULL,
  price_cents integer NOT NULL CHECK (price_cents >= 0),
  currency text NOT NULL CHECK (currency = 'EUR'),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX products_sku_idx ON products (coalesce(tenant_id, ''), sku);

INSERT INTO products (tenant_id, sku, name, description, price_cents, currency) VALUES
  (NULL, 'MUG-01', 'Lattice mug', 'Stoneware mug, 350 ml, dishwasher safe', 1299, 'EUR'),
  (NULL, 'TEE-01', 'Lattice T-shirt', 'Organic cotton T-shirt with the lattice print', 2499, 'EUR'),
  (NULL, 'HOOD-01', 'Lattice hoodie', 'Heavy fleece hoodie, unisex fit', 5499, 'EUR'),
  (NULL, 'CAP-01', 'Lattice cap', 'Six-panel cotton cap, adjustable strap', 1999, 'EUR'),
  (NULL, 'STICK-01', 'Sticker pack', 'Ten vinyl stickers, weatherproof', 499, 'EUR'),
  (NULL, 'NOTE-01', 'Dot-grid notebook', 'A5 notebook, 192 pages, lay-flat binding', 1499, 'EUR'),
  (NULL, 'PEN-01', 'Gel pen set', 'Three 0.5 mm gel pens, black ink', 799, 'EUR'),
  (NULL, 'BOTTLE-01', 'Steel bottle', 'Insulated bottle, 750 ml, keeps cold 24 h', 2999, 'EUR'),
  (NULL, 'BAG-01', 'Tote bag', 'Canvas tote bag with inner pocket', 1599, 'EUR'),
  (NULL, 'SOCK-01', 'Socks', 'Two pairs of cotton socks, sizes 39-46', 1199, 'EUR'),
  (NULL, 'PIN-01', 'Enamel pin', 'Hard enamel pin, 25 mm', 699, 'EUR'),
  (NULL, 'POSTER-01', 'Architecture poster', 'A2 print of the Lattice architecture map', 1899, 'EUR');
