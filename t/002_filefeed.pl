# The file-change feed: a change that no statement hook sees (here a
# relation file extended behind PostgreSQL's back, as autovacuum's
# truncations are shrunk behind it) reaches the model through inotify, also
# in a tablespace created later; a feed overflow leads to a full rescan with
# correct totals; with the feed off, the periodic full rescan finds it.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('filefeed');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres'
diskquota.full_rescan_interval = 3600
});
$node->start;
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION diskquota;
CREATE SCHEMA s;
CREATE TABLE s.t AS SELECT 1 AS i;
SELECT diskquota.set_schema_quota('s', '5 MB');
SELECT diskquota.wait_for_worker_new_epoch();
});

# Extend the table's file by a number of MB (zero pages are valid empty
# pages to PostgreSQL): a change no hook sees.
sub grow_file
{
	my ($table, $mb) = @_;
	my $path = $node->data_dir . '/'
	  . $node->safe_psql('postgres', "SELECT pg_relation_filepath('$table')");
	open(my $fh, '>>', $path) or die "cannot open $path: $!";
	binmode $fh;
	print $fh "\0" x (1024 * 1024 * $mb);
	close $fh;
}

sub usage_matches
{
	my ($schema, $tables) = @_;
	return $node->poll_query_until('postgres',
		"SELECT nspsize_in_bytes = (SELECT sum(pg_total_relation_size(t)) FROM unnest($tables) t)"
		  . " FROM diskquota.show_schema_quota_view WHERE schema_name = '$schema'");
}

sub full_rescans
{
	return $node->safe_psql('postgres',
		"SELECT full_rescans FROM diskquota.status() WHERE database_name = 'postgres'");
}

is( $node->safe_psql('postgres',
		"SELECT degraded FROM diskquota.status() WHERE database_name = 'postgres'"),
	'f',
	'feed active, not degraded');

my $rescans = full_rescans();
grow_file('s.t', 8);
ok(usage_matches('s', q{ARRAY['s.t'::regclass]}),
	'a file grown behind the hooks is counted');
is(full_rescans(), $rescans, '... without a full rescan');
my ($ret, $stdout, $stderr) = $node->psql('postgres', 'INSERT INTO s.t VALUES (1)');
like(
	$stderr,
	qr/schema's disk space quota exceeded with name: s/,
	'... and enforced');

# A tablespace created after the launcher started is watched too.
my $spcdir = PostgreSQL::Test::Utils::tempdir();
$node->safe_psql(
	'postgres', qq{
CREATE TABLESPACE dq_spc LOCATION '$spcdir';
CREATE SCHEMA s2;
CREATE TABLE s2.t TABLESPACE dq_spc AS SELECT 1 AS i;
SELECT diskquota.set_schema_quota('s2', '100 MB');
SELECT diskquota.wait_for_worker_new_epoch();
});
# let the launcher watch the new directories (it does on its next round)
$node->safe_psql('postgres', 'SELECT diskquota.wait_for_worker_new_epoch()');
ok( $node->poll_query_until(
		'postgres',
		"SELECT nspsize_in_bytes = pg_total_relation_size('s2.t') FROM diskquota.show_schema_quota_view WHERE schema_name = 's2'"
	),
	'table in the new tablespace counted');
grow_file('s2.t', 3);
ok(usage_matches('s2', q{ARRAY['s2.t'::regclass]}),
	'a file grown in a tablespace created later is counted');

# A feed overflow (injected by a test-only setting) leads to a full rescan
# and correct totals, and shows in diskquota.status().
$rescans = full_rescans();
$node->safe_psql('postgres',
	'ALTER SYSTEM SET diskquota.feed_simulate_overflow = on');
$node->reload;
grow_file('s2.t', 1);
ok( $node->poll_query_until(
		'postgres',
		"SELECT full_rescans > $rescans FROM diskquota.status() WHERE database_name = 'postgres'"
	),
	'overflow leads to a full rescan');
ok(usage_matches('s2', q{ARRAY['s2.t'::regclass]}),
	'totals right after the rescan');
$node->wait_for_log(qr/diskquota file-change feed overflowed/);
ok( $node->poll_query_until(
		'postgres',
		"SELECT degraded_reason LIKE '%file-change feed overflowed%' FROM diskquota.status() WHERE database_name = 'postgres'"
	),
	'overflow shown in status');
$node->safe_psql('postgres',
	'ALTER SYSTEM RESET diskquota.feed_simulate_overflow');
$node->reload;

# Feed off: the periodic full rescan finds a change made meanwhile.
$node->safe_psql(
	'postgres', q{
ALTER SYSTEM SET diskquota.file_feed = off;
ALTER SYSTEM SET diskquota.full_rescan_interval = '2s';
});
$node->reload;
ok( $node->poll_query_until(
		'postgres',
		"SELECT degraded_reason LIKE '%no file-change feed%' FROM diskquota.status() WHERE database_name = 'postgres'"
	),
	'status says the feed is off');
$rescans = full_rescans();
grow_file('s2.t', 2);
ok( $node->poll_query_until(
		'postgres',
		"SELECT full_rescans > $rescans + 1 FROM diskquota.status() WHERE database_name = 'postgres'"
	),
	'full rescans run');
ok(usage_matches('s2', q{ARRAY['s2.t'::regclass]}),
	'the full rescan found the change made while the feed was off');

$node->stop;
done_testing();
