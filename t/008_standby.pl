# A streaming standby built with pg_basebackup: the library loads without
# error and diskquota does nothing there (no launcher, no worker, nothing
# written); its views and relation_size() can be read.  After promotion
# the launcher and the worker start and the quotas are enforced.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres'
diskquota.naptime = 1
});
$primary->start;
$primary->safe_psql(
	'postgres', q{
CREATE EXTENSION diskquota;
CREATE SCHEMA s;
CREATE TABLE s.t AS SELECT generate_series(1, 100000) AS i;
SELECT diskquota.set_schema_quota('s', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
});

$primary->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b', has_streaming => 1);
$standby->start;
$primary->safe_psql('postgres', 'CREATE TABLE s_late AS SELECT 1 AS i');
$primary->wait_for_catchup($standby);

is( $standby->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'diskquota%'"),
	'0',
	'no launcher and no worker on a standby');
is( $standby->safe_psql(
		'postgres', "SELECT quota_in_bytes FROM diskquota.show_schema_quota_view WHERE schema_name = 's'"
	),
	'1048576',
	'the quota views can be read');
is( $standby->safe_psql(
		'postgres', "SELECT diskquota.relation_size('s.t') = pg_total_relation_size('s.t')"),
	't',
	'relation_size() works');
my ($ret, $stdout, $stderr) = $standby->psql('postgres',
	'SELECT diskquota.wait_for_worker_new_epoch()');
is($stdout, 'f', 'wait_for_worker_new_epoch() returns false at once');
like($stderr, qr/The server is in recovery/, '... and says why');
($ret, $stdout, $stderr) = $standby->psql('postgres',
	"SELECT diskquota.set_schema_quota('s', '2 MB')",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($stderr, qr/ERROR:  25006:/, 'setting a quota fails as a read-only transaction');
unlike(slurp_file($standby->logfile), qr/(ERROR|FATAL|PANIC|WARNING):  (?!25006).*diskquota/,
	'no diskquota error or warning in the standby log');

# Promotion: the launcher and the worker start; the quota is enforced.
$standby->promote;
ok( $standby->poll_query_until(
		'postgres',
		"SELECT state = 'running' FROM diskquota.status() WHERE database_name = 'postgres'"),
	'the worker starts after promotion');
$standby->safe_psql('postgres', 'SELECT diskquota.wait_for_worker_new_epoch()');
($ret, $stdout, $stderr) = $standby->psql('postgres',
	'INSERT INTO s.t VALUES (1)',
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($stderr, qr/ERROR:  53100: schema's disk space quota exceeded with name: s/,
	'the quota is enforced on the promoted server');
is( $standby->safe_psql(
		'postgres', q{
SELECT u.used_bytes = pg_total_relation_size('s.t')
  FROM diskquota.quota_usage() u WHERE u.quota_type = 'schema' AND u.target_oid = 's'::regnamespace}),
	't',
	'usage on the promoted server is exact');

$standby->stop;
$primary->stop;
done_testing();
