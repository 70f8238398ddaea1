/**
 * Vitest global setup: a plain `npm test` without PostgreSQL says once, up front, that the
 * PostgreSQL half of the suite is skipped, why, and how to run it (the skipped tests also
 * carry the reason in their names, which a summary line does not show).
 */
export default function postgresNotice(): void {
  if ((process.env.REKEY_TEST_DATABASE_URL ?? '') !== '') return;
  process.stderr.write(
    'note: the PostgreSQL tests are skipped because REKEY_TEST_DATABASE_URL is not set.\n' +
      '      To run them: REKEY_TEST_DATABASE_URL=postgres://user:password@127.0.0.1:5432/postgres npm test\n' +
      '      (a server where the tests may create and drop databases), or `bash .ci/run`, which starts one.\n',
  );
}
