/**
 * `npm run donations -- export|stats|delete`: the operator's offline tool for donated crops
 * (docs/privacy.md). It opens the leaderboard's SQLite file directly (the server may keep
 * running: WAL mode allows it) and is never imported by `npm start`.
 *
 *   export --out donated.csv.gz [--min-agreement p] [--since YYYY-MM-DD] [--validation-fraction f]
 *   stats [--validation-fraction f]
 *   delete --donor <donor id>
 *
 * Bad flags, a missing database or an unwritable output end with a clear message and exit 2.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { LEADERBOARD_DB_FILE } from '../store/create-store.ts';
import { openPgDonationStore } from '../store/donation-pg-store.ts';
import { DonationTableMissingError, SqliteDonationStore } from '../store/donation-sqlite-store.ts';
import type { DonationStore } from '../store/donation-types.ts';
import { DONOR_ID_PATTERN } from './donor-id.ts';
import { exportDonations } from './export.ts';
import { DEFAULT_VALIDATION_FRACTION } from './split.ts';
import { formatStats, StatsTally } from './stats.ts';

class UsageError extends Error {}

function fraction(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
      throw new InvalidArgumentError(`${name} must be a number between 0 and 1`);
    }
    return n;
  };
}

function date(v: string): number {
  if (!/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+Z?)?$/.test(v))
    throw new InvalidArgumentError('--since must be a date like 2026-11-30');
  const t = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  if (!Number.isFinite(t)) throw new InvalidArgumentError(`--since: "${v}" is not a calendar date`);
  return t;
}

function donorId(v: string): string {
  if (!DONOR_ID_PATTERN.test(v))
    throw new InvalidArgumentError('--donor must be a 16-character donor id (A-Z a-z 0-9 _ -)');
  return v;
}

function defaultDb(env: NodeJS.ProcessEnv): string {
  return resolve(env.DATA_DIR || 'data', LEADERBOARD_DB_FILE);
}

/** The cluster's PostgreSQL database when a URL is given, else the SQLite file. */
async function openStore(
  where: { file: string; databaseUrl: string | null },
  readonly: boolean,
): Promise<DonationStore> {
  if (where.databaseUrl) {
    try {
      return await openPgDonationStore({ connectionString: where.databaseUrl });
    } catch (err) {
      throw new UsageError(`cannot open the donations in PostgreSQL (--database-url): ${(err as Error).message}`);
    }
  }
  return openSqlite(where.file, readonly);
}

function openSqlite(file: string, readonly: boolean): SqliteDonationStore {
  if (!existsSync(file)) {
    throw new UsageError(
      `no database at ${file}: pass --db <leaderboard.sqlite> or set DATA_DIR (the server creates it)`,
    );
  }
  try {
    return new SqliteDonationStore(file, { readonly });
  } catch (err) {
    if (err instanceof DonationTableMissingError) throw new UsageError(err.message);
    throw new UsageError(`cannot open ${file}: ${(err as Error).message}`);
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let action: (() => Promise<void>) | null = null;
  const program = new Command('donations')
    .description('export, count or delete donated face crops (docs/privacy.md)')
    .option('--db <file>', `the leaderboard SQLite file (default $DATA_DIR/${LEADERBOARD_DB_FILE}, DATA_DIR=data)`)
    .option('--database-url <url>', 'the cluster PostgreSQL database instead (default $DATABASE_URL when set)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const where = (): { file: string; databaseUrl: string | null } => {
    const o = program.opts<{ db?: string; databaseUrl?: string }>();
    // An explicit --db means SQLite even when DATABASE_URL is set in the environment.
    const databaseUrl = o.databaseUrl ?? (o.db ? null : env.DATABASE_URL || null);
    return { file: o.db ? resolve(o.db) : defaultDb(env), databaseUrl };
  };
  program
    .command('export')
    .description('write donated crops as a FER2013-layout file (emotion,pixels,Usage) for npm run retrain -- --data')
    .requiredOption('--out <file>', 'output .csv or .csv.gz')
    .option(
      '--min-agreement <p>',
      'drop crops whose model probability for the prompt is below p',
      fraction('--min-agreement'),
    )
    .option('--since <date>', 'only crops donated on or after this day (YYYY-MM-DD, UTC)', date)
    .option(
      '--validation-fraction <f>',
      'share of donors whose crops become PublicTest (validation) rows',
      fraction('--validation-fraction'),
      DEFAULT_VALIDATION_FRACTION,
    )
    .exitOverride()
    .action((o: { out: string; minAgreement?: number; since?: number; validationFraction: number }) => {
      action = async () => {
        const out = resolve(o.out);
        if (!existsSync(dirname(out))) throw new UsageError(`--out: folder ${dirname(out)} does not exist`);
        const store = await openStore(where(), true);
        try {
          const s = await exportDonations(store, {
            out,
            validationFraction: o.validationFraction,
            ...(o.minAgreement === undefined ? {} : { minAgreement: o.minAgreement }),
            ...(o.since === undefined ? {} : { since: o.since }),
          });
          console.log(
            `wrote ${out}: ${s.rows} rows from ${s.donors} donors — Training ${s.trainingRows}, ` +
              `PublicTest (validation donors: ${s.validationDonors}) ${s.validationRows}` +
              (o.minAgreement === undefined ? '' : `; ${s.belowAgreement} below --min-agreement ${o.minAgreement}`),
          );
        } finally {
          await store.close();
        }
      };
    });
  program
    .command('stats')
    .description('counts per emotion, donors, and agreement with the model')
    .option(
      '--validation-fraction <f>',
      'share of donors counted as validation donors',
      fraction('--validation-fraction'),
      DEFAULT_VALIDATION_FRACTION,
    )
    .exitOverride()
    .action((o: { validationFraction: number }) => {
      action = async () => {
        const store = await openStore(where(), true);
        try {
          const tally = new StatsTally(o.validationFraction);
          for await (const c of store.crops()) tally.add(c);
          console.log(formatStats(tally.result()));
        } finally {
          await store.close();
        }
      };
    });
  program
    .command('delete')
    .description("delete every crop of one donor (the id the player's client shows)")
    .requiredOption('--donor <id>', 'donor id', donorId)
    .exitOverride()
    .action((o: { donor: string }) => {
      action = async () => {
        const store = await openStore(where(), false);
        try {
          const n = await store.deleteDonor(o.donor);
          console.log(`deleted ${n} crop${n === 1 ? '' : 's'} of donor ${o.donor}`);
        } finally {
          await store.close();
        }
      };
    });

  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  if (!action) {
    process.stderr.write('donations: say what to do: export, stats or delete (see --help)\n');
    return 2;
  }
  try {
    await (action as () => Promise<void>)();
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`donations: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`donations: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('donations/cli.ts')) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
