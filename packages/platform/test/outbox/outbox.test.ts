// The relay and inbox suites share one process so they share one PGlite: starting one costs
// seconds of CPU, most of this folder's test time.
import './relay.suite.ts';
import './inbox.suite.ts';
