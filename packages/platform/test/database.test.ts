// Migrations, schema isolation and commit wake-ups share one process so they share one PGlite: starting one
// costs seconds of CPU, the largest part of this package's test time.
import './database/migrations.suite.ts';
import './database/schema-isolation.suite.ts';
import './database/commit-wakes.suite.ts';
