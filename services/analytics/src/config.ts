import { Type } from 'typebox';

export const analyticsConfig = Type.Object({
  ANALYTICS_MAX_HOURLY_POINTS: Type.Integer({
    minimum: 24,
    maximum: 24 * 366,
    default: 24 * 31,
    description:
      'Longest hourly time series one request may ask for, in hours (bounds the cost of a query; longer ranges answer 400)',
  }),
  ANALYTICS_MAX_DAILY_POINTS: Type.Integer({
    minimum: 1,
    maximum: 3660,
    default: 366,
    description: 'Longest daily time series (and summary range) one request may ask for, in days',
  }),
  ANALYTICS_REBUILD_SOURCE: Type.Union(
    [Type.Literal('auto'), Type.Literal('stream'), Type.Literal('log')],
    {
      default: 'auto',
      description:
        "What `npm run rebuild` replays: stream = the JetStream streams, log = the service's own event log, auto = stream in distributed mode and log in embedded mode",
    },
  ),
});

export type AnalyticsConfigProperties = (typeof analyticsConfig)['properties'];
