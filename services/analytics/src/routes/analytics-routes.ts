import type { ServiceApp, ServiceContext } from '@lattice/platform';
import { type AnalyticsDeps, readSummary, readTimeseries } from '../domain/read-analytics.ts';
import { SummaryQuery, SummaryReply, TimeseriesQuery, TimeseriesReply } from './schemas.ts';
import { tenantOf } from './tenant-scope.ts';

const tags = ['analytics'];
const description =
  "Requires `Authorization: Bearer <accessToken>` with the tenant's admin role (or platform-admin)";
const BASE = '/api/v1/analytics';

/** Thin handlers: validated query in, the tenant decided in one place, a read use case out. */
export function registerAnalyticsRoutes(
  app: ServiceApp,
  deps: AnalyticsDeps,
  auth: ServiceContext['auth'],
): void {
  const onRequest = [auth.authenticate];

  app.get(
    `${BASE}/summary`,
    {
      onRequest,
      schema: {
        tags,
        summary: "The tenant's totals over a range (whole UTC hours)",
        description,
        querystring: SummaryQuery,
        response: { 200: SummaryReply },
      },
    },
    async (request) => {
      const { tenantId, ...range } = request.query;
      return readSummary(deps, tenantOf(request, tenantId), range);
    },
  );

  app.get(
    `${BASE}/timeseries`,
    {
      onRequest,
      schema: {
        tags,
        summary: 'One metric per hour or UTC day over a range',
        description,
        querystring: TimeseriesQuery,
        response: { 200: TimeseriesReply },
      },
    },
    async (request) => {
      const { tenantId, ...query } = request.query;
      return readTimeseries(deps, tenantOf(request, tenantId), query);
    },
  );
}
